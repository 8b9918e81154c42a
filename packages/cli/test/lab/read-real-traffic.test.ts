// Issue 2, Verify: `fargate-mirror read` on captures of real traffic mirrored by the Linux kernel
// (docs/design.md §6) agrees with tshark on the mirrored interface itself: per-flow packets and bytes per
// direction, Community IDs, and frame for frame. The same traffic truncated to 128 bytes per inner
// frame, wrapped in GENEVE, or IP-fragmented gives the same flows.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type ReadOutcome, readCapture } from '@fargate-mirror/testkit/cli';
import {
  flowRecords,
  icmpFromRecords,
  sortFlows,
  sortIcmp,
  tcpUdpFlowsFromRecords,
} from '@fargate-mirror/testkit/flow-compare';
import {
  type GroundTruth,
  type GroundTruthFrame,
  groundTruthFlows,
  groundTruthFrames,
  innerFramesFromOuter,
} from '@fargate-mirror/testkit/ground-truth';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { fragmentCapture, truncateCapture, wrapInGeneve } from '@fargate-mirror/testkit/rewrite';
import { captureMirroredSession, type MirroredSession } from '@fargate-mirror/testkit/session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const hexes = (frames: { hex: string }[]) => frames.map((f) => f.hex);
const sorted = (xs: string[]) => [...xs].sort();

describe('fargate-mirror read on kernel-mirrored real traffic', () => {
  let session: MirroredSession;
  let truth: GroundTruth;
  let taskFrames: GroundTruthFrame[];
  let plain: ReadOutcome;

  beforeAll(async () => {
    requireRootAndTools(['tcpdump', 'tshark', 'dnsmasq', 'dig', 'curl', 'openssl', 'ping', 'scapy']);
    session = await captureMirroredSession({ stem: 'real' });
    truth = await groundTruthFlows(session.taskPcap);
    taskFrames = await groundTruthFrames(session.taskPcap);
    plain = await readCapture(session.outerPcap, session.dir, 'plain');
  });

  afterAll(() => {
    if (session) rmSync(session.dir, { recursive: true, force: true });
  });

  it("gives every TCP and UDP flow the packets, bytes and Community ID tshark counts on the task's interface", () => {
    expect(truth.flows.length).toBeGreaterThanOrEqual(14);
    expect(sortFlows(tcpUdpFlowsFromRecords(plain.records))).toEqual(sortFlows(truth.flows));
  });

  it('counts ICMP and ICMPv6 packets and bytes per address pair as tshark does', () => {
    expect(sortIcmp(icmpFromRecords(plain.records))).toEqual(sortIcmp(truth.icmp));
  });

  it('writes flow records with the contract fields, consistent totals and the mirror point', () => {
    const flows = flowRecords(plain.records);
    expect(flows.length).toBeGreaterThan(0);
    for (const f of flows) {
      expect(f).toMatchObject({
        type: 'flow',
        schema_version: '1.1.0',
        vni: 42,
        action: 'allowed',
        truncated_packets: 0,
        src: f.src_ip,
        dest: f.dest_ip,
        packets: f.packets_out + f.packets_in,
        bytes: f.bytes_out + f.bytes_in,
      });
      expect(f.mirror_points).toEqual([
        expect.objectContaining({ vni: 42, outer_src_ip: session.taskOuterIp }),
      ]);
      for (const field of ['time', 'start_time', 'end_time']) {
        expect(Number.isNaN(Date.parse(String(f[field])))).toBe(false);
      }
      expect(Date.parse(f.start_time)).toBeLessThanOrEqual(Date.parse(String(f.end_time)));
    }
  });

  it('writes a decapsulated pcap holding, frame for frame, the inner frames tshark sees', async () => {
    const outer = await innerFramesFromOuter(session.outerPcap);
    const inner = await groundTruthFrames(plain.innerPcap);
    // In the order of the outer capture, with its timestamps...
    expect(hexes(inner)).toEqual(hexes(outer.frames));
    expect(inner.map((f) => f.timeEpoch)).toEqual(outer.frames.map((f) => f.timeEpoch));
    // ...and exactly the frames on the mirrored interface.
    expect(sorted(hexes(inner))).toEqual(sorted(hexes(taskFrames)));
  });

  it('prints a summary on stderr: packets, bytes, flows, malformed, truncated, non-VXLAN', () => {
    const summary = plain.result.stderr;
    for (const word of [/packets/i, /bytes/i, /flows/i, /malformed/i, /truncated/i, /non-VXLAN/i]) {
      expect(summary).toMatch(word);
    }
  });

  it('reads the capture truncated to 128 bytes per inner frame into the same flows, counting truncation', async () => {
    // Prepare
    const truncated = join(session.dir, 'trunc128.pcap');
    const cut = await truncateCapture(session.outerPcap, truncated, 128);
    expect(cut.truncated).toBeGreaterThan(0);
    // Act
    const read = await readCapture(truncated, session.dir, 'trunc128');
    // Assess
    expect(sortFlows(tcpUdpFlowsFromRecords(read.records))).toEqual(sortFlows(truth.flows));
    expect(sortIcmp(icmpFromRecords(read.records))).toEqual(sortIcmp(truth.icmp));
    const truncatedPackets = flowRecords(read.records).reduce((n, f) => n + f.truncated_packets, 0);
    expect(truncatedPackets).toBe(cut.truncated);
    const innerSeen = await innerFramesFromOuter(truncated);
    expect(hexes(await groundTruthFrames(read.innerPcap))).toEqual(hexes(innerSeen.frames));
  });

  it('reads the same traffic wrapped in GENEVE by a Gateway Load Balancer into the same flows and frames', async () => {
    // Prepare
    const geneve = join(session.dir, 'geneve.pcap');
    expect((await wrapInGeneve(session.outerPcap, geneve)).wrapped).toBe(taskFrames.length);
    // Act
    const read = await readCapture(geneve, session.dir, 'geneve');
    // Assess
    expect(sortFlows(tcpUdpFlowsFromRecords(read.records))).toEqual(sortFlows(truth.flows));
    expect(sortIcmp(icmpFromRecords(read.records))).toEqual(sortIcmp(truth.icmp));
    for (const f of flowRecords(read.records)) {
      expect(f.mirror_points).toEqual([
        expect.objectContaining({ vni: 42, outer_src_ip: session.taskOuterIp }),
      ]);
    }
    expect(hexes(await groundTruthFrames(read.innerPcap))).toEqual(
      hexes(await groundTruthFrames(plain.innerPcap)),
    );
  });

  it('reads the same traffic with outer IP fragments, in order and reversed, into the same flows', async () => {
    const plainFlows = sortFlows(tcpUdpFlowsFromRecords(plain.records));
    const plainFrames = hexes(await groundTruthFrames(plain.innerPcap));
    for (const order of ['forward', 'reverse'] as const) {
      // Prepare
      const fragmented = join(session.dir, `frag-${order}.pcap`);
      expect(
        (await fragmentCapture(session.outerPcap, fragmented, { mtu: 1500, order })).fragmented,
      ).toBeGreaterThan(0);
      // Act
      const read = await readCapture(fragmented, session.dir, `frag-${order}`);
      // Assess
      expect(sortFlows(tcpUdpFlowsFromRecords(read.records))).toEqual(plainFlows);
      expect(hexes(await groundTruthFrames(read.innerPcap))).toEqual(plainFrames);
    }
  });
});
