import type { RegionState, TrafficMirrorSession } from './types.js';

/**
 * A cached list of a region's sessions. Object.values over a 10,000-key record on every
 * CreateTrafficMirrorSession made the 10,000-session quota quadratic; the list is built once,
 * kept in step on create and delete.
 */
const lists = new WeakMap<Record<string, TrafficMirrorSession>, TrafficMirrorSession[]>();

export function sessionList(region: RegionState): TrafficMirrorSession[] {
  let list = lists.get(region.trafficMirrorSessions);
  if (!list) {
    list = Object.values(region.trafficMirrorSessions);
    lists.set(region.trafficMirrorSessions, list);
  }
  return list;
}

export function addSession(region: RegionState, session: TrafficMirrorSession): void {
  region.trafficMirrorSessions[session.trafficMirrorSessionId] = session;
  lists.get(region.trafficMirrorSessions)?.push(session);
}

export function deleteSession(region: RegionState, sessionId: string): void {
  const session = region.trafficMirrorSessions[sessionId];
  delete region.trafficMirrorSessions[sessionId];
  const list = lists.get(region.trafficMirrorSessions);
  const index = session && list ? list.indexOf(session) : -1;
  if (index >= 0) list?.splice(index, 1);
}
