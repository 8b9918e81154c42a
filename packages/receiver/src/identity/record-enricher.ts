import type { MirrorRecord } from '@fargate-mirror/analysis';
import type { IdentityResolver } from './identity-resolver.js';
import type { Workload } from './workload.js';

/**
 * Returns the `enrich` hook of the pipeline: stamps each record (flow, http, dns, tls) with the mirror
 * session and ENI of every mirror point that saw it, the ECS workload on each side (`src_ecs_cluster`,
 * `src_ecs_service`, `src_ecs_task_arn`, and `dest_ecs_*`) where known, and `direction` decided on
 * every address of the mirrored ENIs (an ENI may have several; the outer source is only its primary).
 * Synchronous and from memory only: unknown identities are looked up in the background for later
 * records.
 */
export function createRecordEnricher(resolver: IdentityResolver): (record: MirrorRecord) => void {
  return (record) => {
    const src = record.src_ip;
    const dest = record.dest_ip;
    const points = record.mirror_points;
    let seesSrc = false;
    let seesDest = false;
    let resolved = false;
    let srcByPoint: Workload | null = null;
    let destByPoint: Workload | null = null;
    for (const p of points ?? []) {
      const identity = resolver.mirrorPoint(p.vni, p.outer_src_ip);
      if (identity === undefined) {
        if (p.outer_src_ip === src) seesSrc = true;
        if (p.outer_src_ip === dest) seesDest = true;
        continue;
      }
      resolved = true;
      p.eni_id = identity.eni_id;
      p.mirror_session_id = identity.mirror_session_id;
      // The mirrored ENI saw the packets: sent them if the source is one of its addresses, else
      // received them (so multicast and broadcast to it count as inbound too).
      if (identity.eni_ips.includes(src) || p.outer_src_ip === src) {
        seesSrc = true;
        srcByPoint ??= identity.workload;
      } else {
        seesDest = true;
        if (identity.eni_ips.includes(dest) || p.outer_src_ip === dest) destByPoint ??= identity.workload;
      }
    }
    if (resolved) {
      record.direction =
        seesSrc && seesDest ? 'internal' : seesSrc ? 'outbound' : seesDest ? 'inbound' : 'unknown';
    }
    stamp(record, 'src', resolver.workload(src) ?? srcByPoint);
    stamp(record, 'dest', resolver.workload(dest) ?? destByPoint);
  };
}

function stamp(record: MirrorRecord, side: 'src' | 'dest', w: Workload | null): void {
  if (w === null) return;
  if (side === 'src') {
    record.src_ecs_cluster = w.cluster;
    if (w.service !== null) record.src_ecs_service = w.service;
    if (w.task_arn !== null) record.src_ecs_task_arn = w.task_arn;
  } else {
    record.dest_ecs_cluster = w.cluster;
    if (w.service !== null) record.dest_ecs_service = w.service;
    if (w.task_arn !== null) record.dest_ecs_task_arn = w.task_arn;
  }
}
