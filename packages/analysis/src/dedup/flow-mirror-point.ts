import type { FrameDecoder } from '@fargate-mirror/wire';
import type { FlowTable } from '../flows/flow-table.js';

/**
 * Notes mirror point `point` on flow `slot` (up to three per flow, as the flow table keeps them) when
 * the slot still holds the flow of the packet `inner` describes: a slot freed and reused since the
 * first copy was counted must not collect a stranger's mirror point. Allocates nothing.
 */
export function addMirrorPointToFlow(
  table: FlowTable,
  slot: number,
  inner: FrameDecoder,
  domain: number,
  point: number,
): boolean {
  if (slot < 0 || point < 0 || table.keyDomain[slot] !== domain) return false;
  if ((table.keyMeta[slot] & 0xff) !== inner.protocol) return false;
  const kw = table.keyWords;
  const w = inner.addressWords;
  const o = slot * 8;
  const forward =
    kw[o] === w[0] &&
    kw[o + 1] === w[1] &&
    kw[o + 2] === w[2] &&
    kw[o + 3] === w[3] &&
    kw[o + 4] === w[4] &&
    kw[o + 5] === w[5] &&
    kw[o + 6] === w[6] &&
    kw[o + 7] === w[7];
  const reverse =
    kw[o] === w[4] &&
    kw[o + 1] === w[5] &&
    kw[o + 2] === w[6] &&
    kw[o + 3] === w[7] &&
    kw[o + 4] === w[0] &&
    kw[o + 5] === w[1] &&
    kw[o + 6] === w[2] &&
    kw[o + 7] === w[3];
  if (!forward && !reverse) return false;
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
