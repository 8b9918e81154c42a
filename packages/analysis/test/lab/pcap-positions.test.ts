// `read --pcap-out FILE`: every record names FILE and the byte offset of its flow's first packet there.
// The offsets are checked against the file's own record headers and tshark's reading of the frame at
// each one: the record's 5-tuple, and for a flow record the time of its first packet.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MirrorRecord, readCapture } from '@fargate-mirror/analysis';
import { flowKey } from '@fargate-mirror/testkit/ground-truth';
import { type FrameAtOffset, framesByOffset } from '@fargate-mirror/testkit/pcap-offsets';
import { requireTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SAMPLE = new URL('../../../../fixtures/sample-mirror.pcap', import.meta.url).pathname;

/** Epoch microseconds of an ISO time with microseconds (records' times). */
function microsOf(iso: string): number {
  return Date.parse(iso) * 1000 + Number(iso.slice(23, 26));
}

/** Epoch microseconds of tshark's frame.time_epoch (nanosecond digits), cut as the pipeline cuts. */
function tsharkMicros(epoch: string): number {
  const [sec, frac = ''] = epoch.split('.');
  return Number(sec) * 1e6 + Number(frac.padEnd(9, '0').slice(0, 6));
}

describe('records point at their flow in read --pcap-out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-pcap-positions-'));
  const pcap = join(dir, 'inner.pcap');
  let records: MirrorRecord[] = [];
  let frames: Map<number, FrameAtOffset>;
  let plain: string;

  beforeAll(async () => {
    requireTools(['tshark']);
    readCapture({ file: SAMPLE, records: join(dir, 'records.jsonl'), pcapOut: pcap });
    records = readFileSync(join(dir, 'records.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as MirrorRecord);
    frames = await framesByOffset(pcap);
    readCapture({ file: SAMPLE, records: join(dir, 'plain.jsonl') });
    plain = readFileSync(join(dir, 'plain.jsonl'), 'utf8');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every record the file and an offset where a packet starts', () => {
    expect(records.length).toBeGreaterThan(20);
    for (const r of records) {
      expect(r.pcap_file, JSON.stringify(r)).toBe(pcap);
      expect(frames.has(r.pcap_offset as number), `${r.type} at ${r.pcap_offset}`).toBe(true);
    }
  });

  it("puts a packet of the record's own 5-tuple at that offset, for every type", () => {
    const types = new Set<string>();
    for (const r of records) {
      if (r.transport !== 'tcp' && r.transport !== 'udp') continue;
      const frame = frames.get(r.pcap_offset as number);
      expect(frame?.key, `${r.type} ${r.src_ip}:${r.src_port}`).toBe(
        flowKey(r.transport, r.src_ip, r.src_port, r.dest_ip, r.dest_port),
      );
      types.add(r.type);
    }
    expect([...types].sort()).toEqual(['dns', 'flow', 'http', 'tls']);
  });

  it("points a flow record at its first packet (the frame's time is the flow's start_time)", () => {
    const flows = records.filter((r) => r.type === 'flow');
    for (const r of flows) {
      const frame = frames.get(r.pcap_offset as number) as FrameAtOffset;
      expect(tsharkMicros(frame.time), `${r.community_id}`).toBe(microsOf(r.start_time));
    }
    // A transaction's flow began no later than the transaction.
    for (const r of records.filter((x) => x.type !== 'flow')) {
      const frame = frames.get(r.pcap_offset as number) as FrameAtOffset;
      expect(tsharkMicros(frame.time)).toBeLessThanOrEqual(microsOf(r.time));
    }
  });

  it('adds nothing to records when no pcap is written', () => {
    expect(plain).not.toContain('pcap_');
    const stripped = records.map((r) => {
      const { pcap_file: _f, pcap_offset: _o, ...rest } = r;
      return JSON.stringify(rest);
    });
    expect(`${stripped.join('\n')}\n`).toBe(plain);
  });
});
