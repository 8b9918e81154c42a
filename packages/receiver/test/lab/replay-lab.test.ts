// `replay` into `receive` gives what `read` gives: a capture of real mirrored traffic is sent again
// from the mirror source's own address (so even the mirror points match), as VXLAN and, wrapped the
// way a Gateway Load Balancer delivers it, as GENEVE; and with --loop/--distinct-loops/--vni the
// replicas come out as distinct flows.
import { join } from 'node:path';
import { OUTER_CAPTURE_FILTER } from '@fargate-mirror/testkit/capture';
import { runCli } from '@fargate-mirror/testkit/cli';
import { createMirrorLab, type MirrorLab } from '@fargate-mirror/testkit/lab';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { wrapInGeneve } from '@fargate-mirror/testkit/rewrite';
import { curlTraffic, digTraffic, startTaskServers } from '@fargate-mirror/testkit/traffic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  countBy,
  flowRecords,
  metric,
  metrics,
  readJsonLines,
  requireBuiltCli,
  startReceive,
  stopReceive,
  waitUntil,
  withoutTiming,
} from '../helpers/receive-support.ts';

let lab: MirrorLab | undefined;
let outerPcap = '';
let genevePcap = '';

beforeAll(async () => {
  requireRootAndTools(['tcpdump', 'tshark', 'curl', 'dig', 'dnsmasq', 'openssl', 'scapy']);
  requireBuiltCli();
  const l = await createMirrorLab({ prefix: 'fmreplay', vni: 42 });
  lab = l;
  const servers = await startTaskServers(l);
  outerPcap = join(l.dir, 'outer.pcap');
  const outer = await l.startCapture('collector', l.dev.collector, OUTER_CAPTURE_FILTER, outerPcap);
  await curlTraffic(l, servers, { large: true });
  await digTraffic(l);
  expect((await outer.stop()).droppedByKernel).toBe(0);
  await servers.stop();
  genevePcap = join(l.dir, 'geneve.pcap');
  expect((await wrapInGeneve(outerPcap, genevePcap)).wrapped).toBeGreaterThan(100);
});

afterAll(async () => {
  await lab?.close();
});

/** `read FILE` records and the number of mirror datagrams it decoded. */
async function readRecords(file: string, name: string) {
  const l = lab as MirrorLab;
  const out = join(l.dir, `${name}.jsonl`);
  const r = await runCli(['read', file, '--records', out, '--summary-json']);
  expect(r.code, r.stderr).toBe(0);
  const summary = JSON.parse(r.stderr.trim().split('\n').pop() as string) as { mirroredPackets: number };
  return {
    records: flowRecords(readJsonLines(out)),
    mirrored: summary.mirroredPackets,
  };
}

/** Starts a receiver in the collector, replays from the task's mirror address, stops it; its records. */
async function replayIntoReceive(name: string, file: string, replayArgs: string[], expectedPackets: number) {
  const l = lab as MirrorLab;
  const records = join(l.dir, `${name}.jsonl`);
  const receiver = await startReceive(
    ['--health-port', '0', '--drain-seconds', '0', '--records', records],
    (cmd, args) => l.spawn('collector', cmd, args),
  );
  const target = `${l.collectorIp}:${receiver.port}`;
  const geneveTarget = `${l.collectorIp}:${receiver.genevePort}`;
  const sent = await l.exec('task', process.execPath, [
    CLI,
    'replay',
    file,
    '--to',
    target,
    '--geneve-to',
    geneveTarget,
    '--from',
    l.taskOuterIp,
    '--rate',
    '20000',
    '--summary-json',
    ...replayArgs,
  ]);
  const summary = JSON.parse(sent.stderr.trim().split('\n').pop() as string) as {
    datagrams: number;
    sendErrors: number;
  };
  expect(summary.sendErrors).toBe(0);
  await waitUntil(`${name}: the receiver to count the replayed packets`, async () => {
    return metric(await metrics(receiver.healthPort, l.ns.collector), 'packets_total') >= expectedPackets;
  });
  const m = await metrics(receiver.healthPort, l.ns.collector);
  await stopReceive(receiver);
  return { records: flowRecords(readJsonLines(records)), summary, metrics: m };
}

describe('replay into receive', () => {
  it('gives the same flow records as read of the capture, for VXLAN', async () => {
    const offline = await readRecords(outerPcap, 'read-vxlan');
    const live = await replayIntoReceive('live-vxlan', outerPcap, [], offline.mirrored);
    expect(live.summary.datagrams).toBe(offline.mirrored);
    expect(live.records.length).toBeGreaterThan(5);
    expect(countBy(live.records, withoutTiming)).toEqual(countBy(offline.records, withoutTiming));
  });

  it('gives the same flow records as read of the capture, for GENEVE from a GWLB endpoint', async () => {
    const offline = await readRecords(genevePcap, 'read-geneve');
    const live = await replayIntoReceive('live-geneve', genevePcap, [], offline.mirrored);
    expect(metric(live.metrics, 'datagrams_by_port_total{encapsulation="geneve"}')).toBe(offline.mirrored);
    expect(countBy(live.records, withoutTiming)).toEqual(countBy(offline.records, withoutTiming));
  });

  it('makes each --loop pass a distinct set of flows with --distinct-loops, under the --vni given', async () => {
    const offline = await readRecords(outerPcap, 'read-loop');
    const live = await replayIntoReceive(
      'live-loop',
      outerPcap,
      ['--loop', '3', '--distinct-loops', '--vni', '7'],
      3 * offline.mirrored,
    );
    expect(live.summary.datagrams).toBe(3 * offline.mirrored);
    expect(live.records.length).toBe(3 * offline.records.length);
    expect(new Set(live.records.map((r) => r.community_id)).size).toBe(3 * offline.records.length);
    expect(new Set(live.records.map((r) => r.vni))).toEqual(new Set([7]));
    // Pass 0 is the capture itself; each replica has the same packet and byte counts.
    const counts = (rs: typeof live.records) =>
      countBy(rs, (r) => `${r.transport} ${r.packets_out} ${r.bytes_out} ${r.packets_in} ${r.bytes_in}`);
    const tripled = new Map([...counts(offline.records)].map(([k, n]) => [k, 3 * n]));
    expect(counts(live.records)).toEqual(tripled);
    const originalAddresses = new Set(offline.records.map((r) => r.src_ip));
    expect(live.records.filter((r) => originalAddresses.has(r.src_ip as string)).length).toBe(
      offline.records.length,
    );
  });
});
