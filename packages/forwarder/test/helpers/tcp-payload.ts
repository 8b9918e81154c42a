// What a TCP stream carried, per direction, in a form that does not depend on how it was cut into
// packets: payload bytes and the sequence ranges they cover. A super-frame and the segments made from
// it give the same answer; a lost, duplicated or misplaced segment does not.
import { canonicalIp } from '@fargate-mirror/testkit/ground-truth';

export interface DirectedTcp {
  payloadBytes: number;
  /** Merged [start, end) ranges of raw sequence numbers (64-bit unwrapped from the first seen). */
  ranges: [number, number][];
}

/** The tshark fields tcpPayloadByDirection reads. */
export const TCP_PAYLOAD_FIELDS = [
  'ip.src',
  'ip.dst',
  'ipv6.src',
  'ipv6.dst',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.seq_raw',
  'tcp.len',
];

/**
 * Per "src|sport>dst|dport": payload bytes and covered sequence ranges, from tshark rows holding
 * TCP_PAYLOAD_FIELDS of a capture without tunnels (rows of other protocols are skipped).
 */
export function tcpPayloadByDirection(rows: readonly Record<string, string>[]): Record<string, DirectedTcp> {
  const spans = new Map<string, { base: number; spans: [number, number][]; bytes: number }>();
  for (const r of rows) {
    if (r['tcp.srcport'] === '') continue;
    // Inner headers only matter here (the pcaps given hold no tunnels): first occurrence.
    const src = canonicalIp((r['ip.src'] || r['ipv6.src']).split(',')[0]);
    const dst = canonicalIp((r['ip.dst'] || r['ipv6.dst']).split(',')[0]);
    const key = `${src}|${r['tcp.srcport']}>${dst}|${r['tcp.dstport']}`;
    const seq = Number(r['tcp.seq_raw']);
    const len = Number(r['tcp.len']);
    let e = spans.get(key);
    if (!e) {
      e = { base: seq, spans: [], bytes: 0 };
      spans.set(key, e);
    }
    e.bytes += len;
    if (len === 0) continue;
    // Unwrap relative to the first sequence number seen (streams here are far below 2 GB).
    let rel = seq - e.base;
    if (rel < -(2 ** 31)) rel += 2 ** 32;
    else if (rel > 2 ** 31) rel -= 2 ** 32;
    e.spans.push([rel, rel + len]);
  }
  const out: Record<string, DirectedTcp> = {};
  for (const [key, e] of spans) {
    const sorted = e.spans.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [s, t] of sorted) {
      const last = merged[merged.length - 1];
      if (last && s <= last[1]) last[1] = Math.max(last[1], t);
      else merged.push([s, t]);
    }
    out[key] = { payloadBytes: e.bytes, ranges: merged };
  }
  return out;
}
