// `receive --intake afpacket`: the packet ring on the collector's interface instead of UDP sockets.
// The kernel mirrors the task's and the client's interfaces (VNI 42 and 43) over an outer link with a
// 1500-byte MTU, so full-size frames arrive as IP-fragmented VXLAN datagrams, which the ring sees
// fragment by fragment (the kernel reassembles only for sockets). With one worker and with two (the
// ring's frames shared by mirror session, datagrams of another worker's connections handed over), the
// receiver must count every mirrored packet `read` finds in a tcpdump capture of the same stream and
// write the same flows; the interface's other traffic is counted as ignored, not decoded.
import { join } from 'node:path';
import { OUTER_CAPTURE_FILTER } from '@fargate-mirror/testkit/capture';
import { readJsonLines as readLines } from '@fargate-mirror/testkit/cli';
import { createMirrorLab, type MirrorLab } from '@fargate-mirror/testkit/lab';
import { run } from '@fargate-mirror/testkit/proc';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { SYSTEM_PYTHON } from '@fargate-mirror/testkit/rewrite';
import {
  pingTraffic,
  runClientTraffic,
  startTaskServers,
  type TaskServers,
} from '@fargate-mirror/testkit/traffic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countBy,
  EPHEMERAL_SIDE_PORTS,
  flowRecords,
  type JsonRecord,
  LOOPBACK_RECEIVE,
  metric,
  metrics,
  REPO,
  readCapture,
  readJsonLines,
  requireBuiltCli,
  startReceive,
  stopReceive,
  tsharkFrames,
  vxlanDatagramsFrom,
  waitUntil,
  withoutTiming,
} from '../helpers/receive-support.ts';

let lab: MirrorLab | undefined;
let servers: TaskServers | undefined;

beforeAll(async () => {
  requireRootAndTools(['tcpdump', 'tshark', 'curl', 'dig', 'openssl', 'dnsmasq', 'ping']);
  requireBuiltCli();
  lab = await createMirrorLab({ prefix: 'fmring', vni: 42, mirrorClient: { vni: 43 }, outerMtu: 1500 });
  servers = await startTaskServers(lab);
});

afterAll(async () => {
  await lab?.close();
});

/** receive with the packet ring on the collector's bridge, where the mirrored stream arrives. */
function onTheBridge(l: MirrorLab): string[] {
  return [...EPHEMERAL_SIDE_PORTS, '--intake', 'afpacket', '--capture-interface', l.dev.collector];
}

/** The largest gap between a live flow's start_time and that of read's record of the same flow. */
function largestStartTimeGapMicros(live: JsonRecord[], offline: JsonRecord[]): number {
  const starts = new Map<string, number[]>();
  const micros = (r: JsonRecord) =>
    Date.parse(r['start_time'] as string) * 1000 + Number((r['start_time'] as string).slice(23, 26));
  for (const r of offline) starts.set(withoutTiming(r), [...(starts.get(withoutTiming(r)) ?? []), micros(r)]);
  let largest = 0;
  for (const r of live) {
    const candidates = starts.get(withoutTiming(r)) ?? [];
    const gap = Math.min(...candidates.map((t) => Math.abs(t - micros(r))));
    largest = Math.max(largest, gap);
  }
  return largest;
}

describe('receive --intake afpacket', () => {
  for (const workers of [1, 2]) {
    it(`with ${workers} worker(s) counts every mirrored packet and writes read's flows, outer fragments included`, async () => {
      const l = lab as MirrorLab;
      const records = join(l.dir, `records-${workers}.jsonl`);
      const receiver = await startReceive(
        [...onTheBridge(l), '--workers', String(workers), '--records', records, '--address-domain', 'vni'],
        (cmd, args) => l.spawn('collector', cmd, args),
      );
      expect(receiver.proc.stderr()).toMatch(
        new RegExp(`ready: .*, intake afpacket on ${l.dev.collector}, `),
      );
      const outerPcap = join(l.dir, `outer-${workers}.pcap`);
      const outer = await l.startCapture('collector', l.dev.collector, OUTER_CAPTURE_FILTER, outerPcap);
      await runClientTraffic(l, servers as TaskServers);
      // Frames on the interface that are not for a mirror port: the task pings the collector.
      await run('ip', ['netns', 'exec', l.ns.task, 'ping', '-c', '3', '-i', '0.2', '-W', '5', l.collectorIp]);
      const outerStats = await outer.stop();
      expect(outerStats.droppedByKernel).toBe(0);

      const readRecords = join(l.dir, `read-${workers}.jsonl`);
      const summary = await readCapture(outerPcap, readRecords, ['--address-domain', 'vni']);
      expect(summary.mirroredPackets).toBeGreaterThan(100);
      // Full-size frames really crossed the outer link as fragments.
      expect(summary.outerFragments).toBeGreaterThan(0);
      expect(summary.reassembled).toBeGreaterThan(0);

      const ns = l.ns.collector;
      await waitUntil(
        'the receiver to count every mirrored packet',
        async () =>
          metric(await metrics(receiver.healthPort, ns), 'packets_total') >= summary.mirroredPackets,
      );
      const m = await metrics(receiver.healthPort, ns);
      await stopReceive(receiver);
      expect(metric(m, 'packets_total')).toBe(summary.mirroredPackets);
      expect(metric(m, 'datagrams_by_outcome_total{outcome="mirrored"}')).toBe(summary.mirroredPackets);
      expect(metric(m, 'kernel_drops_total')).toBe(0);
      expect(metric(m, 'datagrams_by_outcome_total{outcome="malformed"}')).toBe(0);
      // The outer fragments reached the ring one by one and were all made whole again.
      expect(metric(m, 'capture_fragments_total')).toBeGreaterThanOrEqual(summary.outerFragments);
      expect(metric(m, 'capture_fragment_datagrams_dropped_total')).toBe(0);
      // The ring's filter let in exactly the frames tcpdump's mirror filter kept, not the pings.
      expect(metric(m, 'capture_frames_total')).toBe(outerStats.captured);
      expect(metric(m, 'capture_frames_ignored_total')).toBe(0);
      // Two workers: the frames were shared, and datagrams of the other worker's connections moved.
      if (workers > 1) expect(metric(m, 'worker_handoffs_total')).toBeGreaterThan(0);

      const live = flowRecords(readJsonLines(records));
      const offline = flowRecords(readLines(readRecords));
      expect(live.length).toBeGreaterThan(10);
      expect(countBy(live, withoutTiming)).toEqual(countBy(offline, withoutTiming));
      // Times are the kernel's capture times of the frames, as tcpdump's: microseconds apart (its
      // tap and the ring's stamp the same frames one after the other), where the worker's own clock
      // would lag by up to a block's retire time (10 ms) on a quiet link.
      expect(largestStartTimeGapMicros(live, offline)).toBeLessThan(1000);
      expect(new Set(live.map((r) => r.vni))).toEqual(new Set([42, 43]));
    }, 180_000);
  }

  it('refuses datagrams from outside --allow-sources, reassembled ones included, before decoding', async () => {
    const l = lab as MirrorLab;
    const records = join(l.dir, 'allow.jsonl');
    const receiver = await startReceive(
      [...onTheBridge(l), '--records', records, '--allow-sources', `${l.taskOuterIp}/32`],
      (cmd, args) => l.spawn('collector', cmd, args),
    );
    const outerPcap = join(l.dir, 'allow-outer.pcap');
    const outer = await l.startCapture('collector', l.dev.collector, OUTER_CAPTURE_FILTER, outerPcap);
    // Full-size echoes: every mirrored one crosses the 1500-byte outer link in two fragments.
    await pingTraffic(l, { count: 3, size: 1472 });
    expect((await outer.stop()).droppedByKernel).toBe(0);
    const allowed = await vxlanDatagramsFrom(outerPcap, l.taskOuterIp);
    const refused = await vxlanDatagramsFrom(outerPcap, l.clientOuterIp as string);
    expect(allowed).toBeGreaterThanOrEqual(12); // 3 echoes and replies, IPv4 and IPv6
    expect(refused).toBeGreaterThanOrEqual(12);
    const ns = l.ns.collector;
    await waitUntil('every datagram counted', async () => {
      const m = await metrics(receiver.healthPort, ns);
      return metric(m, 'datagrams_received_total') >= allowed + refused;
    });
    const m = await metrics(receiver.healthPort, ns);
    await stopReceive(receiver);
    // Every outer fragment tcpdump saw went through the worker's reassembly, and none was left over.
    const fragments = await tsharkFrames(outerPcap, 'ip.flags.mf==1 || ip.frag_offset>0');
    expect(fragments).toBeGreaterThanOrEqual(24);
    expect(metric(m, 'capture_fragments_total')).toBe(fragments);
    expect(metric(m, 'capture_fragment_datagrams_dropped_total')).toBe(0);
    expect(metric(m, 'datagrams_refused_total{reason="source_not_allowed"}')).toBe(refused);
    expect(metric(m, 'packets_total')).toBe(allowed);
    const points = readJsonLines(records).flatMap((r) => r.mirror_points as { outer_src_ip: string }[]);
    expect(points.length).toBeGreaterThan(0);
    expect(new Set(points.map((p) => p.outer_src_ip))).toEqual(new Set([l.taskOuterIp]));
  }, 120_000);

  it('counts a UDP_SEGMENT super-datagram as the datagrams its sender gave the kernel, as a socket does', async () => {
    // Loopback keeps a local sender's super-datagram whole up to the receiving socket, which splits
    // it; the ring sees it whole and must split it the same way (by the segment size it names).
    const l = lab as MirrorLab;
    const results: Record<string, { datagrams: number; flows: string[] }> = {};
    for (const intake of ['native', 'afpacket']) {
      const records = join(l.dir, `gso-${intake}.jsonl`);
      const receiver = await startReceive(
        [
          ...LOOPBACK_RECEIVE,
          '--intake',
          intake,
          ...(intake === 'afpacket' ? ['--capture-interface', 'lo'] : []),
          '--records',
          records,
        ],
        (cmd, args) => l.spawn('collector', cmd, args),
      );
      const sender = await l.exec('collector', SYSTEM_PYTHON, [
        '-B',
        join(REPO, 'packages/testkit/udp-gso-send.py'),
        '--port',
        String(receiver.port),
        '--batches',
        '3',
        '--batch',
        '10',
      ]);
      const sent = Number(sender.stdout.trim());
      expect(sent).toBe(30);
      const ns = l.ns.collector;
      await waitUntil(
        `${intake}: every datagram counted`,
        async () => metric(await metrics(receiver.healthPort, ns), 'packets_total') >= sent,
      );
      const m = await metrics(receiver.healthPort, ns);
      await stopReceive(receiver);
      expect(metric(m, 'datagrams_by_outcome_total{outcome="malformed"}')).toBe(0);
      results[intake] = {
        datagrams: metric(m, 'datagrams_received_total'),
        flows: flowRecords(readJsonLines(records)).map(withoutTiming).sort(),
      };
    }
    expect(results.afpacket.datagrams).toBe(30);
    expect(results.native.datagrams).toBe(30);
    // One flow per source port, the last datagram of each batch (20 bytes shorter) included.
    expect(results.afpacket.flows).toHaveLength(30);
    expect(results.afpacket.flows).toEqual(results.native.flows);
  }, 120_000);
});
