// Issue 2, Verify: a capture whose VXLAN datagrams the kernel itself IP-fragmented (outer MTU 1500,
// inner frames of 1500 bytes) reads into the same flows as the mirrored interface shows, as the
// kernel's own reassembly would hand them to a live UDP socket.
import { rmSync } from 'node:fs';
import { type ReadOutcome, readCapture } from '@fargate-mirror/testkit/cli';
import {
  icmpFromRecords,
  sortFlows,
  sortIcmp,
  tcpUdpFlowsFromRecords,
} from '@fargate-mirror/testkit/flow-compare';
import { type GroundTruth, groundTruthFlows, groundTruthFrames } from '@fargate-mirror/testkit/ground-truth';
import { run } from '@fargate-mirror/testkit/proc';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { captureMirroredSession, type MirroredSession } from '@fargate-mirror/testkit/session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('fargate-mirror read on a capture with outer IP fragments made by the kernel', () => {
  let session: MirroredSession;
  let truth: GroundTruth;
  let read: ReadOutcome;

  beforeAll(async () => {
    requireRootAndTools(['tcpdump', 'tshark', 'dnsmasq', 'dig', 'curl', 'openssl', 'ping']);
    // 1472-byte pings fill whole 1500-byte frames in both directions too.
    session = await captureMirroredSession({ outerMtu: 1500, stem: 'frag', traffic: { pingSize: 1472 } });
    truth = await groundTruthFlows(session.taskPcap);
    read = await readCapture(session.outerPcap, session.dir, 'frag');
  });

  afterAll(() => {
    if (session) rmSync(session.dir, { recursive: true, force: true });
  });

  it('really holds outer IPv4 fragments', async () => {
    const { stdout } = await run('tshark', ['-r', session.outerPcap, '-n', '-Y', 'ip.flags.mf == 1']);
    expect(stdout.split('\n').filter(Boolean).length).toBeGreaterThan(100);
  });

  it('gives every TCP and UDP flow the packets and bytes tshark counts on the mirrored interface', () => {
    expect(sortFlows(tcpUdpFlowsFromRecords(read.records))).toEqual(sortFlows(truth.flows));
  });

  it('counts ICMP and ICMPv6 per address pair as tshark does', () => {
    expect(sortIcmp(icmpFromRecords(read.records))).toEqual(sortIcmp(truth.icmp));
  });

  it('writes every inner frame of the mirrored interface to the decapsulated pcap', async () => {
    const inner = (await groundTruthFrames(read.innerPcap)).map((f) => f.hex).sort();
    const task = (await groundTruthFrames(session.taskPcap)).map((f) => f.hex).sort();
    expect(inner).toEqual(task);
  });
});
