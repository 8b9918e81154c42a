import type { RegionState, TrafficMirrorSession } from '../state/types.js';
import type { Ec2Context } from './context.js';

/**
 * EC2's API is eventually consistent: a resource just created may be missing from a Describe, and
 * one just deleted may still be listed, for a while (EC2 API reference, "Eventual consistency").
 * With `describeLagMs` set, DescribeTrafficMirrorSessions shows that: a new session appears
 * `describeLagMs` after its create, a deleted one disappears `describeLagMs` after its delete. The
 * writes themselves see the true state (a session number in use is refused at once), as EC2's
 * do. Not persisted: the lag is transient, a reloaded state is consistent.
 */
const visibleFrom = new WeakMap<TrafficMirrorSession, number>();
const tombstones = new WeakMap<RegionState, { session: TrafficMirrorSession; until: number }[]>();

export function sessionCreated(ctx: Ec2Context, session: TrafficMirrorSession): void {
  if (ctx.describeLagMs > 0) visibleFrom.set(session, ctx.clock.now() + ctx.describeLagMs);
}

export function sessionDeleted(ctx: Ec2Context, session: TrafficMirrorSession | undefined): void {
  if (ctx.describeLagMs <= 0 || session === undefined) return;
  const list = tombstones.get(ctx.region) ?? [];
  list.push({ session, until: ctx.clock.now() + ctx.describeLagMs });
  tombstones.set(ctx.region, list);
}

/** Ids of deleted sessions a Describe still lists. */
export function lingeringIds(ctx: Ec2Context): Set<string> {
  const now = ctx.clock.now();
  const list = (tombstones.get(ctx.region) ?? []).filter((t) => t.until > now);
  tombstones.set(ctx.region, list);
  return new Set(list.map((t) => t.session.trafficMirrorSessionId));
}

/**
 * What a Describe sees of `live` (the true sessions it selected): without those not visible yet,
 * with deleted ones still lingering (all of them, or those named in `ids`).
 */
export function describedSessions(
  ctx: Ec2Context,
  live: readonly TrafficMirrorSession[],
  ids: readonly string[],
): TrafficMirrorSession[] {
  if (ctx.describeLagMs <= 0) return [...live];
  const now = ctx.clock.now();
  const shown = live.filter((s) => (visibleFrom.get(s) ?? 0) <= now);
  const lingering = lingeringIds(ctx);
  const wanted = new Set(ids);
  for (const t of tombstones.get(ctx.region) ?? []) {
    if (!lingering.has(t.session.trafficMirrorSessionId)) continue;
    if (ids.length > 0 && !wanted.has(t.session.trafficMirrorSessionId)) continue;
    if (shown.some((s) => s.trafficMirrorSessionId === t.session.trafficMirrorSessionId)) continue;
    shown.push(t.session);
  }
  return shown.sort((a, b) => a.seq - b.seq);
}
