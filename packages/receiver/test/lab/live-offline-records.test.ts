// The same input gives the same records live and offline (issue 18 item 9): one capture of real
// mirrored traffic (curl over IPv4 and IPv6, dig), as captured and with the TCP handshakes removed
// (mid-stream starts), read by `read` and replayed from the mirror source's own address into
// `receive`. Every record — flow, http, dns, tls — must be the same both ways, except the fields
// that legitimately differ: `receive` stamps packets with the time it reads them, not the capture's,
// so `time`, `start_time`, `end_time`, `duration` (flows) and `duration_ms` (transactions) differ.
import { join } from 'node:path';
import { OUTER_CAPTURE_FILTER } from '@fargate-mirror/testkit/capture';
import { runCli } from '@fargate-mirror/testkit/cli';
import { createMirrorLab, type MirrorLab } from '@fargate-mirror/testkit/lab';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { curlTraffic, digTraffic, startHttpServer, startTaskServers } from '@fargate-mirror/testkit/traffic';
import { CaptureReader, MirrorDecoder, PcapWriter } from '@fargate-mirror/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  type JsonRecord,
  metric,
  metrics,
  readJsonLines,
  requireBuiltCli,
  startReceive,
  stopReceive,
  waitUntil,
} from '../helpers/receive-support.ts';

/** Fields that depend on when the packets were read, not on what they hold. */
const CLOCK_FIELDS = new Set(['time', 'start_time', 'end_time', 'duration', 'duration_ms']);
const SYN = 0x02;
const HTTP_PORT = 8000;

let lab: MirrorLab | undefined;
let outerPcap = '';
let midstreamPcap = '';
let requestsOnlyPcap = '';

/** Copies the outer capture without the mirrored TCP packets `drop` picks. */
function withoutPackets(
  input: string,
  output: string,
  drop: (inner: MirrorDecoder['inner']) => boolean,
): number {
  const reader = CaptureReader.open(input);
  const decoder = new MirrorDecoder();
  const writer = PcapWriter.open(output, { linkType: reader.linkType });
  let dropped = 0;
  while (reader.next()) {
    const data = Buffer.from(reader.buf.subarray(reader.offset, reader.offset + reader.capturedLength));
    decoder.decodeCaptured(data, 0, data.length, reader.linkType);
    const inner = decoder.inner;
    if (inner.protocol === 6 && inner.hasPorts && drop(inner)) {
      dropped++;
      continue;
    }
    writer.write(data, 0, data.length, reader.originalLength, reader.tsSec, reader.tsNsec);
  }
  writer.close();
  reader.close();
  return dropped;
}

/** A record as a canonical string without its clock fields, for a multiset comparison. */
function withoutClock(record: JsonRecord): string {
  const copy: JsonRecord = {};
  for (const key of Object.keys(record).sort()) if (!CLOCK_FIELDS.has(key)) copy[key] = record[key];
  return JSON.stringify(copy);
}

const canonical = (records: JsonRecord[]) => records.map(withoutClock).sort();

async function offlineRecords(file: string, name: string) {
  const l = lab as MirrorLab;
  const out = join(l.dir, `${name}.jsonl`);
  const r = await runCli(['read', file, '--records', out, '--summary-json']);
  expect(r.code, r.stderr).toBe(0);
  const summary = JSON.parse(r.stderr.trim().split('\n').pop() as string) as { mirroredPackets: number };
  return { records: readJsonLines(out), mirrored: summary.mirroredPackets };
}

async function liveRecords(file: string, name: string, expectedPackets: number) {
  const l = lab as MirrorLab;
  const records = join(l.dir, `${name}.jsonl`);
  const receiver = await startReceive(
    ['--health-port', '0', '--drain-seconds', '0', '--records', records],
    (cmd, args) => l.spawn('collector', cmd, args),
  );
  await l.exec('task', process.execPath, [
    CLI,
    'replay',
    file,
    '--to',
    `${l.collectorIp}:${receiver.port}`,
    '--from',
    l.taskOuterIp,
    '--rate',
    '20000',
  ]);
  await waitUntil(`${name}: the receiver to count the replayed packets`, async () => {
    return metric(await metrics(receiver.healthPort, l.ns.collector), 'packets_total') >= expectedPackets;
  });
  await stopReceive(receiver);
  return readJsonLines(records);
}

beforeAll(async () => {
  requireRootAndTools(['tcpdump', 'curl', 'dig', 'dnsmasq', 'openssl']);
  requireBuiltCli();
  const l = await createMirrorLab({ prefix: 'fmsame', vni: 42 });
  lab = l;
  const servers = await startTaskServers(l);
  // HTTP on a port no table names, so a flow's app can only come from what the dissectors saw.
  const http = await startHttpServer(l, HTTP_PORT);
  outerPcap = join(l.dir, 'outer.pcap');
  const outer = await l.startCapture('collector', l.dev.collector, OUTER_CAPTURE_FILTER, outerPcap);
  await curlTraffic(l, { ...servers, httpPort: HTTP_PORT }, { large: true });
  await digTraffic(l);
  expect((await outer.stop()).droppedByKernel).toBe(0);
  await servers.stop();
  await http.stop();
  midstreamPcap = join(l.dir, 'midstream.pcap');
  const handshake = (inner: MirrorDecoder['inner']) => (inner.tcp.flags & SYN) !== 0;
  expect(withoutPackets(outerPcap, midstreamPcap, handshake)).toBeGreaterThan(0);
  // The mirror lost every TCP packet the task sent: requests whose bytes nothing ever acknowledges.
  requestsOnlyPcap = join(l.dir, 'requests-only.pcap');
  const fromTask = (inner: MirrorDecoder['inner']) => handshake(inner) || inner.srcPort === HTTP_PORT;
  expect(withoutPackets(outerPcap, requestsOnlyPcap, fromTask)).toBeGreaterThan(0);
}, 180_000);

afterAll(async () => {
  await lab?.close();
});

describe('live and offline give the same records', () => {
  it('for a capture with its handshakes', async () => {
    const offline = await offlineRecords(outerPcap, 'read-full');
    const live = await liveRecords(outerPcap, 'live-full', offline.mirrored);
    expect(offline.records.filter((r) => r.type === 'http').length).toBe(12);
    expect(canonical(live)).toEqual(canonical(offline.records));
  });

  it('for the same capture without SYN and SYN-ACK (every TCP flow starts mid-stream, IPv6 included)', async () => {
    const offline = await offlineRecords(midstreamPcap, 'read-midstream');
    const live = await liveRecords(midstreamPcap, 'live-midstream', offline.mirrored);
    const http = offline.records.filter((r) => r.type === 'http');
    expect(http.length).toBe(12);
    // Every flow that carried an HTTP transaction is labelled http, both ways.
    const httpFlows = offline.records.filter((r) => r.type === 'flow' && r.app === 'http');
    expect(httpFlows.length).toBe(8);
    expect(canonical(live)).toEqual(canonical(offline.records));
  });

  it('for mid-stream flows whose requests nothing acknowledges (the answers were not mirrored)', async () => {
    const offline = await offlineRecords(requestsOnlyPcap, 'read-requests-only');
    const live = await liveRecords(requestsOnlyPcap, 'live-requests-only', offline.mirrored);
    const http = offline.records.filter((r) => r.type === 'http');
    expect(http.length).toBe(12);
    expect(http.every((r) => r.http_method !== null && r.status === null)).toBe(true);
    const httpFlows = offline.records.filter((r) => r.type === 'flow' && r.app === 'http');
    expect(httpFlows.length).toBe(8);
    expect(canonical(live)).toEqual(canonical(offline.records));
  });
});
