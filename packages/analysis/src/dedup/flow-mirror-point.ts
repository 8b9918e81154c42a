import { FLOW_KEY_WORDS, FlowKey, type FrameDecoder } from '@fargate-mirror/wire';
import type { FlowTable } from '../flows/flow-table.js';

const key = new FlowKey();

/**
 * Notes mirror point `point` on flow `slot` (up to three per flow, as the flow table keeps them) when
 * the slot still holds the flow of the packet `inner` describes: the whole flow key (addresses, ports,
 * protocol, IP version) and the address domain must match, so a slot freed and reused since the first
 * copy was counted, even by a new connection between the same two hosts, never collects a stranger's
 * mirror point. Allocates nothing.
 */
export function addMirrorPointToFlow(
  table: FlowTable,
  slot: number,
  inner: FrameDecoder,
  domain: number,
  point: number,
): boolean {
  if (slot < 0 || point < 0 || table.keyDomain[slot] !== domain) return false;
  if (!key.set(inner).equalsAt(table.keys, slot * FLOW_KEY_WORDS)) return false;
  const mp = table.mirrorPoints;
  const base = slot * 3;
  if (mp[base] === point || mp[base + 1] === point || mp[base + 2] === point) return true;
  for (let i = 0; i < 3; i++) {
    if (mp[base + i] < 0) {
      mp[base + i] = point;
      return true;
    }
  }
  return true;
}
