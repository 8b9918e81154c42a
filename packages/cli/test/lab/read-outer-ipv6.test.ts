// Issue 2, Verify: mirrored traffic carried over IPv6 (VXLAN in IPv6/UDP 4789), also inside GENEVE
// (protocol 0x86DD) and with IPv6 Fragment headers, reads into the flows tshark counts on the
// mirrored interface.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type ReadOutcome, readCapture } from '@fargate-mirror/testkit/cli';
import { flowRecords, sortFlows, tcpUdpFlowsFromRecords } from '@fargate-mirror/testkit/flow-compare';
import { type GroundTruth, groundTruthFlows, groundTruthFrames } from '@fargate-mirror/testkit/ground-truth';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { fragmentCapture, wrapInGeneve } from '@fargate-mirror/testkit/rewrite';
import { captureMirroredSession, type MirroredSession } from '@fargate-mirror/testkit/session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('fargate-mirror read on mirrored traffic over IPv6', () => {
  let session: MirroredSession;
  let truth: GroundTruth;
  let plain: ReadOutcome;

  beforeAll(async () => {
    requireRootAndTools(['tcpdump', 'tshark', 'dnsmasq', 'dig', 'curl', 'openssl', 'ping', 'scapy']);
    session = await captureMirroredSession({ outerIpv6: true, stem: 'v6' });
    truth = await groundTruthFlows(session.taskPcap);
    plain = await readCapture(session.outerPcap, session.dir, 'v6');
  });

  afterAll(() => {
    if (session) rmSync(session.dir, { recursive: true, force: true });
  });

  it('gives every TCP and UDP flow the packets and bytes tshark counts, with the IPv6 mirror point', () => {
    expect(sortFlows(tcpUdpFlowsFromRecords(plain.records))).toEqual(sortFlows(truth.flows));
    for (const f of flowRecords(plain.records)) {
      expect(f.mirror_points).toEqual([expect.objectContaining({ vni: 42, outer_src_ip: 'fd00:77:2::1' })]);
    }
  });

  it('writes every inner frame of the mirrored interface to the decapsulated pcap', async () => {
    const inner = (await groundTruthFrames(plain.innerPcap)).map((f) => f.hex).sort();
    const task = (await groundTruthFrames(session.taskPcap)).map((f) => f.hex).sort();
    expect(inner).toEqual(task);
  });

  it('reads the IPv6 VXLAN stream inside GENEVE into the same flows', async () => {
    const geneve = join(session.dir, 'v6-geneve.pcap');
    await wrapInGeneve(session.outerPcap, geneve);
    const read = await readCapture(geneve, session.dir, 'v6-geneve');
    expect(sortFlows(tcpUdpFlowsFromRecords(read.records))).toEqual(sortFlows(truth.flows));
  });

  it('reads the IPv6 VXLAN stream with IPv6 fragments, reversed, into the same flows', async () => {
    const fragmented = join(session.dir, 'v6-frag.pcap');
    const counts = await fragmentCapture(session.outerPcap, fragmented, { mtu: 1280, order: 'reverse' });
    expect(counts.fragmented).toBeGreaterThan(0);
    const read = await readCapture(fragmented, session.dir, 'v6-frag');
    expect(sortFlows(tcpUdpFlowsFromRecords(read.records))).toEqual(sortFlows(truth.flows));
  });
});
