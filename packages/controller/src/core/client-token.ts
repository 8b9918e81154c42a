import { createHash } from 'node:crypto';
import type { SessionSpec } from './plan.js';

/**
 * Deterministic ClientToken for one create attempt. Two invocations that plan the same session at
 * about the same time send the same token, so EC2 answers both with one session instead of making
 * two. The time bucket keeps the token from outliving a delete: EC2 would answer a repeated token
 * with the original (possibly deleted) session. The caller re-reads after a create and, if the
 * answer names a session that does not exist, retries with a fresh `salt`.
 */
export function clientToken(owner: string, spec: SessionSpec, bucket: number, salt = ''): string {
  const material = [
    owner,
    spec.eniId,
    spec.targetId,
    spec.filterId,
    spec.sessionNumber,
    spec.vni ?? 'random',
    spec.packetLength ?? 'whole',
    // Description and tags go into the call too: a token must never name two different calls,
    // or EC2 answers IdempotentParameterMismatch.
    spec.description,
    JSON.stringify(Object.entries(spec.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    bucket,
    salt,
  ].join('|');
  // 64 hex chars: EC2's ClientToken limit is 64 ASCII characters.
  return createHash('sha256').update(material).digest('hex');
}

/** Time buckets of `windowMs`: one create attempt's retries fall in one bucket. */
export function tokenBucket(nowMs: number, windowMs: number): number {
  return Math.floor(nowMs / windowMs);
}
