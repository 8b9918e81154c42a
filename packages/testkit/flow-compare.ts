// Puts the CLI's flow records into the ground truth's shape, so a test compares them with one
// toEqual and a failure shows exactly which flow and which counter differ.
import { canonicalIp, flowKey, type GroundTruthFlow, type GroundTruthIcmp } from './ground-truth.ts';

/**
 * The fields of a `type:"flow"` record (docs/design.md §4) these comparisons read: the ground truth's
 * counters and 5-tuple, with the record's own transport (a name or an IP protocol number).
 */
export interface FlowRecord extends Omit<GroundTruthFlow, 'transport'> {
  type: 'flow';
  transport: string | number;
  start_time: string;
  truncated_packets: number;
  vni: number;
  [field: string]: unknown;
}

export function flowRecords(records: readonly Record<string, unknown>[]): FlowRecord[] {
  return records.filter((r) => r.type === 'flow') as FlowRecord[];
}

/**
 * TCP and UDP flow records merged per canonical 5-tuple (a flow may be reported in several records,
 * e.g. after an active timeout) and oriented like the earliest record: its src is the initiator.
 */
export function tcpUdpFlowsFromRecords(records: readonly Record<string, unknown>[]): GroundTruthFlow[] {
  const byKey = new Map<string, GroundTruthFlow>();
  const ordered = flowRecords(records)
    .filter((r) => r.transport === 'tcp' || r.transport === 'udp')
    .sort((a, b) => Date.parse(a.start_time) - Date.parse(b.start_time));
  for (const r of ordered) {
    const src = canonicalIp(r.src_ip);
    const dst = canonicalIp(r.dest_ip);
    const key = flowKey(String(r.transport), src, r.src_port, dst, r.dest_port);
    let f = byKey.get(key);
    if (!f) {
      f = {
        transport: r.transport as 'tcp' | 'udp',
        src_ip: src,
        src_port: r.src_port,
        dest_ip: dst,
        dest_port: r.dest_port,
        packets_out: 0,
        bytes_out: 0,
        packets_in: 0,
        bytes_in: 0,
        community_id: r.community_id,
      };
      byKey.set(key, f);
    }
    const same = f.src_ip === src && f.src_port === r.src_port;
    f.packets_out += same ? r.packets_out : r.packets_in;
    f.bytes_out += same ? r.bytes_out : r.bytes_in;
    f.packets_in += same ? r.packets_in : r.packets_out;
    f.bytes_in += same ? r.bytes_in : r.bytes_out;
  }
  return [...byKey.values()];
}

/** ICMP/ICMPv6 records summed per unordered address pair, like GroundTruth.icmp. */
export function icmpFromRecords(records: readonly Record<string, unknown>[]): GroundTruthIcmp[] {
  const byKey = new Map<string, GroundTruthIcmp>();
  for (const r of flowRecords(records)) {
    if (r.transport !== 'icmp' && r.transport !== 'icmpv6') continue;
    const ips = [canonicalIp(r.src_ip), canonicalIp(r.dest_ip)].sort() as [string, string];
    const key = `${r.transport}|${ips[0]}|${ips[1]}`;
    const e = byKey.get(key) ?? { transport: r.transport, ips, packets: 0, bytes: 0 };
    e.packets += r.packets_out + r.packets_in;
    e.bytes += r.bytes_out + r.bytes_in;
    byKey.set(key, e);
  }
  return [...byKey.values()];
}

/** A stable order for toEqual: by transport, then endpoints. */
export function sortFlows<T extends GroundTruthFlow>(flows: readonly T[]): T[] {
  const k = (f: GroundTruthFlow) => flowKey(f.transport, f.src_ip, f.src_port, f.dest_ip, f.dest_port);
  return [...flows].sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}

export function sortIcmp(entries: readonly GroundTruthIcmp[]): GroundTruthIcmp[] {
  const k = (e: GroundTruthIcmp) => `${e.transport}|${e.ips.join('|')}`;
  return [...entries].sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}
