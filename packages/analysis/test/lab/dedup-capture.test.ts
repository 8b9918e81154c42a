// De-duplication on a capture where every packet arrives twice, as when both ends of a conversation
// are mirrored: the fixture's real mirrored traffic plus a copy of each packet from a second mirror
// point (another outer source and VNI, one routed hop later: TTL/hop limit lowered, checksums new).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  countByType,
  ofType,
  type ReadResult,
  readRecords,
  rewriteMirror,
  SAMPLE_MIRROR,
  withoutMirrorView,
} from '@fargate-mirror/testkit/mirror-records';
import { requireTools } from '@fargate-mirror/testkit/require-tools';
import { CaptureReader } from '@fargate-mirror/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCapture } from '../../src/offline/read-capture.js';

const TASK_POINT = { vni: 42, outer_src_ip: '10.77.2.1' };
const CLIENT_POINT = { vni: 43, outer_src_ip: '10.77.2.3' };

describe('de-duplication of packets seen at two mirror points', () => {
  let dir: string;
  let single: ReadResult;
  let both: ReadResult;
  let doubled: string;

  beforeAll(async () => {
    requireTools(['/usr/bin/python3', 'scapy']);
    dir = mkdtempSync(join(tmpdir(), 'fm-dedup-'));
    doubled = join(dir, 'both-ends.pcap');
    await rewriteMirror(SAMPLE_MIRROR, doubled, {
      outerSrc: CLIENT_POINT.outer_src_ip,
      vni: CLIENT_POINT.vni,
      hopDec: 1,
      // Less than the fixture's shortest request/response gap (99 us): a transaction record is
      // written at its response, and lists the mirror points that had seen the flow by then.
      delayUs: 20,
      withOriginal: true,
    });
    single = await readRecords(SAMPLE_MIRROR, join(dir, 'single.jsonl'));
    both = await readRecords(doubled, join(dir, 'both.jsonl'));
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts every packet once: the same flows, counters and transactions as one mirror point', () => {
    expect(countByType(both.records)).toEqual(countByType(single.records));
    expect(both.records.map(withoutMirrorView).sort()).toEqual(single.records.map(withoutMirrorView).sort());
    expect(both.summary['flows']).toBe(single.summary['flows']);
  });

  it('writes a decapsulated pcap without the second copies (--dedup-pcap): the frames of one mirror point', () => {
    const withCopies = join(dir, 'with-copies.pcap');
    const withoutCopies = join(dir, 'without-copies.pcap');
    readCapture({ file: doubled, pcapOut: withCopies, dedupPcapOut: withoutCopies });
    readCapture({ file: SAMPLE_MIRROR, pcapOut: join(dir, 'single.pcap') });
    const frames = (file: string) => {
      const reader = CaptureReader.open(file);
      const out: string[] = [];
      while (reader.next()) {
        out.push(
          Buffer.from(reader.buf.subarray(reader.offset, reader.offset + reader.capturedLength)).toString(
            'hex',
          ),
        );
      }
      reader.close();
      return out;
    };
    const single = frames(join(dir, 'single.pcap'));
    expect(frames(withCopies)).toHaveLength(2 * single.length);
    // The first copy of each packet (the kernel's own mirror point) stays, byte for byte, in order;
    // the non-IP frames (ARP) are not de-duplicated and stay twice.
    const kept = frames(withoutCopies);
    const notIp = Number(both.summary['innerNotIp']) / 2;
    expect(kept).toHaveLength(single.length + notIp);
    expect(single.filter((f) => !kept.includes(f))).toEqual([]);
  });

  it('removes exactly the second copies, and says how many', () => {
    const innerIp = Number(single.summary['mirroredPackets']) - Number(single.summary['innerNotIp']);
    expect(both.summary['duplicates']).toBe(innerIp);
    expect(both.summary['mirroredPackets']).toBe(2 * Number(single.summary['mirroredPackets']));
  });

  it('keeps both mirror points on every flow and transaction record', () => {
    for (const r of both.records) {
      const points = (r['mirror_points'] as Record<string, unknown>[]).map((p) => ({
        vni: p['vni'],
        outer_src_ip: p['outer_src_ip'],
      }));
      expect(points).toEqual(expect.arrayContaining([TASK_POINT, CLIENT_POINT]));
      expect(points).toHaveLength(2);
    }
    expect(ofType(both.records, 'flow').length).toBeGreaterThan(0);
  });

  it('counts a copy arriving after the window, and a repeat from the same mirror point, as new packets', async () => {
    const late = join(dir, 'late.pcap');
    await rewriteMirror(SAMPLE_MIRROR, late, {
      outerSrc: CLIENT_POINT.outer_src_ip,
      vni: CLIENT_POINT.vni,
      delayUs: 200_000,
      withOriginal: true,
    });
    const r = await readRecords(late, join(dir, 'late.jsonl'), ['--dedup-window-ms', '50']);
    expect(r.summary['duplicates']).toBe(0);
    const samePoint = join(dir, 'same-point.pcap');
    await rewriteMirror(SAMPLE_MIRROR, samePoint, { delayUs: 150, withOriginal: true });
    const s = await readRecords(samePoint, join(dir, 'same-point.jsonl'));
    expect(s.summary['duplicates']).toBe(0);
    const packets = (rs: ReadResult) =>
      ofType(rs.records, 'flow').reduce((n, f) => n + Number(f['packets']), 0);
    expect(packets(s)).toBe(2 * packets(single));
  });

  it('turns off with --no-dedup: every copy is counted', async () => {
    doubled = join(dir, 'both-ends.pcap');
    const r = await readRecords(doubled, join(dir, 'nodedup.jsonl'), ['--no-dedup']);
    const packets = (rs: ReadResult) =>
      ofType(rs.records, 'flow').reduce((n, f) => n + Number(f['packets']), 0);
    expect(r.summary['duplicates']).toBe(0);
    expect(packets(r)).toBe(2 * packets(single));
  });
});
