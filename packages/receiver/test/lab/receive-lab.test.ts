// `receive` on real mirrored traffic (docs/design.md §6): the kernel mirrors the task's and the client's
// interfaces (VNI 42 and 43) over an outer link with a 1500-byte MTU, so full-size frames arrive as
// IP-fragmented VXLAN datagrams that the kernel reassembles for the socket. The receiver's pcap must
// hold every frame each mirrored interface carried, per VNI; its flows must equal `read` of a capture
// of the same outer stream.
import { basename, join } from 'node:path';
import { OUTER_CAPTURE_FILTER } from '@fargate-mirror/testkit/capture';
import { readJsonLines as readLines } from '@fargate-mirror/testkit/cli';
import { createMirrorLab, type MirrorLab } from '@fargate-mirror/testkit/lab';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { runClientTraffic, startTaskServers } from '@fargate-mirror/testkit/traffic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countBy,
  EPHEMERAL_SIDE_PORTS,
  flowRecords,
  framesHex,
  metric,
  metrics,
  pcapFiles,
  readCapture,
  readJsonLines,
  requireBuiltCli,
  startReceive,
  stopReceive,
  tsharkReadsCleanly,
  waitUntil,
  withoutTiming,
} from '../helpers/receive-support.ts';

let lab: MirrorLab | undefined;

beforeAll(async () => {
  requireRootAndTools(['tcpdump', 'tshark', 'curl', 'dig', 'openssl', 'dnsmasq', 'ping']);
  requireBuiltCli();
  lab = await createMirrorLab({ prefix: 'fmrecv', vni: 42, mirrorClient: { vni: 43 }, outerMtu: 1500 });
});

afterAll(async () => {
  await lab?.close();
});

describe('receive in a mirror lab', () => {
  it('writes every mirrored frame to pcap per VNI and the same flows as read of the outer stream', async () => {
    const l = lab as MirrorLab;
    // Prepare: servers in the task, a receiver on the collector, captures at all three points.
    const servers = await startTaskServers(l);
    const pcapDir = join(l.dir, 'pcap');
    const records = join(l.dir, 'records.jsonl');
    const receiver = await startReceive(
      [...EPHEMERAL_SIDE_PORTS, '--pcap-dir', pcapDir, '--records', records].concat([
        '--pcap-per-vni',
        '--address-domain',
        'vni',
        '--log-level',
        'info',
      ]),
      (cmd, args) => l.spawn('collector', cmd, args),
    );
    const outerPcap = join(l.dir, 'outer.pcap');
    const outer = await l.startCapture('collector', l.dev.collector, OUTER_CAPTURE_FILTER, outerPcap);
    const onTask = await l.startCapture('task', l.dev.taskMirrored, '', join(l.dir, 'task.pcap'));
    const onClient = await l.startCapture('client', l.dev.clientLink, '', join(l.dir, 'client.pcap'));

    // Act: real curl, dig, openssl and ping traffic; then stop the captures and, once the receiver
    // has taken in everything the outer capture saw, the receiver.
    await runClientTraffic(l, servers);
    for (const c of [onTask, onClient, outer]) expect((await c.stop()).droppedByKernel).toBe(0);
    const readRecords = join(l.dir, 'read.jsonl');
    const readSummary = await readCapture(outerPcap, readRecords, ['--address-domain', 'vni']);
    const mirroredInCapture = readSummary.mirroredPackets;
    expect(mirroredInCapture).toBeGreaterThan(100);
    await waitUntil('the receiver to count every mirrored packet', async () => {
      return metric(await metrics(receiver.healthPort, l.ns.collector), 'packets_total') >= mirroredInCapture;
    });
    await stopReceive(receiver);

    // Assess 1: outer fragments really happened, and the receiver saw whole datagrams anyway.
    expect(readSummary.outerFragments).toBeGreaterThan(0);
    expect(readSummary.reassembled).toBeGreaterThan(0);

    // Assess 2: per VNI, the receiver's pcap holds exactly the frames of that mirrored interface.
    const files = pcapFiles(pcapDir);
    for (const f of files) expect(await tsharkReadsCleanly(f)).toBeGreaterThan(0);
    const taskFrames = await framesHex([join(l.dir, 'task.pcap')]);
    const clientFrames = await framesHex([join(l.dir, 'client.pcap')]);
    const vni42 = await framesHex(files.filter((f) => f.includes('-vni42-')));
    const vni43 = await framesHex(files.filter((f) => f.includes('-vni43-')));
    expect(files.every((f) => f.includes('-vni42-') || f.includes('-vni43-'))).toBe(true);
    expect(taskFrames.length).toBeGreaterThan(100);
    expect(countBy(vni42, (h) => h)).toEqual(countBy(taskFrames, (h) => h));
    expect(countBy(vni43, (h) => h)).toEqual(countBy(clientFrames, (h) => h));

    // Assess 3: the flow records equal read's of the outer capture (timing aside), and the two
    // VNIs stay apart: each flow is seen by mirror points of its own VNI only.
    const live = flowRecords(readJsonLines(records));
    const offline = flowRecords(readLines(readRecords));
    expect(live.length).toBeGreaterThan(10);
    expect(countBy(live, withoutTiming)).toEqual(countBy(offline, withoutTiming));
    // Each live flow names the pcap file of its first packet: one of this run's (read wrote none).
    const names = new Set(files.map((f) => basename(f)));
    for (const r of live) expect(names.has(r.pcap_file as string), String(r.pcap_file)).toBe(true);
    for (const r of live) {
      const points = r.mirror_points as { vni: number; outer_src_ip: string }[];
      expect(points.map((p) => p.vni)).toEqual([r.vni]);
      expect(points[0].outer_src_ip).toBe(r.vni === 42 ? l.taskOuterIp : l.clientOuterIp);
    }
    expect(new Set(live.map((r) => r.vni))).toEqual(new Set([42, 43]));
  });
});
