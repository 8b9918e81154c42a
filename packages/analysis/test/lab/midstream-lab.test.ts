// HTTP transactions of connections whose handshake the mirror never delivered (capture started
// mid-connection, receiver restarted, SYN dropped): real traffic from the lab, the SYN (or SYN and
// SYN-ACK) removed from the outer capture, and tshark over the task's own capture as the reference.
// Each transaction must come out as one record with its request and its response.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonLines, runCli } from '@fargate-mirror/testkit/cli';
import { run } from '@fargate-mirror/testkit/proc';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { captureMirroredSession, type MirroredSession } from '@fargate-mirror/testkit/session';
import { CaptureReader, MirrorDecoder, PcapWriter } from '@fargate-mirror/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TOOLS = ['tcpdump', 'tshark', 'dnsmasq', 'dig', 'curl', 'openssl', 'ping', '/usr/bin/python3', 'scapy'];
type Rec = Record<string, unknown>;
const SYN = 0x02;
const ACK = 0x10;

/** Copies the outer capture without the mirrored packets `drop` picks (by their inner TCP flags). */
function withoutPackets(input: string, output: string, drop: (flags: number) => boolean): number {
  const reader = CaptureReader.open(input);
  const decoder = new MirrorDecoder();
  const writer = PcapWriter.open(output, { linkType: reader.linkType });
  let dropped = 0;
  while (reader.next()) {
    const data = Buffer.from(reader.buf.subarray(reader.offset, reader.offset + reader.capturedLength));
    decoder.decodeCaptured(data, 0, data.length, reader.linkType);
    const inner = decoder.inner;
    if (inner.protocol === 6 && inner.hasPorts && drop(inner.tcp.flags)) {
      dropped++;
      continue;
    }
    writer.write(data, 0, data.length, reader.originalLength, reader.tsSec, reader.tsNsec);
  }
  writer.close();
  reader.close();
  return dropped;
}

async function httpRecords(pcap: string): Promise<Rec[]> {
  const out = `${pcap}.records.jsonl`;
  const r = await runCli(['read', pcap, '--records', out]);
  if (r.code !== 0) throw new Error(`fargate-mirror read ${pcap} exited ${r.code}:\n${r.stderr}`);
  return readJsonLines(out).filter((x) => x.type === 'http');
}

/** What tshark pairs (client port, URL, status) in the task's own capture, handshakes included. */
async function tsharkPairs(pcap: string): Promise<string[]> {
  const { stdout } = await run('tshark', [
    '-r',
    pcap,
    '-n',
    '-T',
    'fields',
    '-E',
    'separator=\t',
    '-Y',
    'http.response',
    '-e',
    'tcp.dstport',
    '-e',
    'http.response_for.uri',
    '-e',
    'http.response.code',
  ]);
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [port, uri, code] = l.split('\t');
      return `${port} ${uri.replace(/token=[^&]*/, 'token=REDACTED')} ${code}`;
    })
    .sort();
}

const pairsOf = (records: Rec[]) => records.map((r) => `${r.src_port} ${r.url} ${r.status}`).sort();

describe('HTTP pairing without the TCP handshake (mid-stream start)', () => {
  let session: MirroredSession;
  let expected: string[];

  beforeAll(async () => {
    requireRootAndTools(TOOLS);
    session = await captureMirroredSession({ stem: 'midstream' });
    expected = await tsharkPairs(session.taskPcap);
  }, 180_000);

  afterAll(() => {
    if (session) rmSync(session.dir, { recursive: true, force: true });
  });

  it('pairs every request with its response when the client SYN was not mirrored', async () => {
    const pcap = join(session.dir, 'no-syn.pcap');
    const dropped = withoutPackets(session.outerPcap, pcap, (f) => (f & SYN) !== 0 && (f & ACK) === 0);
    expect(dropped).toBeGreaterThan(0);
    expect(expected.length).toBe(12);
    const records = await httpRecords(pcap);
    // One record per transaction, each with both halves: no request-only or response-only records.
    expect(records.every((r) => r.http_method !== null && r.status !== null)).toBe(true);
    expect(pairsOf(records)).toEqual(expected);
  });

  it('pairs every request with its response when neither SYN nor SYN-ACK was mirrored (keep-alive included)', async () => {
    const pcap = join(session.dir, 'no-handshake.pcap');
    const dropped = withoutPackets(session.outerPcap, pcap, (f) => (f & SYN) !== 0);
    expect(dropped).toBeGreaterThan(0);
    const records = await httpRecords(pcap);
    expect(records.every((r) => r.http_method !== null && r.status !== null)).toBe(true);
    expect(pairsOf(records)).toEqual(expected);
  });
});
