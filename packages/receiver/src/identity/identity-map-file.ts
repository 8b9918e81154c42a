import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ReceiverError } from '../errors.js';
import {
  canonicalIp,
  type IdentitySnapshot,
  type MirrorPointIdentity,
  mirrorPointKey,
  type Workload,
} from './workload.js';

/** `--identity-map FILE` is unreadable or invalid; the message names each bad key. */
export class IdentityMapError extends ReceiverError {
  constructor(message: string, options?: ErrorOptions) {
    super('IDENTITY_MAP_INVALID', message, options);
    this.name = 'IdentityMapError';
  }
}

const address = z.string().refine((s) => canonicalIp(s) !== undefined, { message: 'expected an IP address' });
const workloadSchema = z.strictObject({
  cluster: z.string().min(1),
  service: z.string().min(1).nullish(),
  task_arn: z.string().min(1).nullish(),
  eni_id: z.string().min(1).nullish(),
});
const sessionSchema = z.strictObject({
  vni: z.number().int().min(0).max(16_777_215),
  outer_ip: address,
  mirror_session_id: z.string().min(1).nullish(),
  eni_id: z.string().min(1).nullish(),
  /** Every address of the mirrored ENI; the outer IP is always one of them. */
  eni_ips: z.array(address).optional(),
  cluster: z.string().min(1).nullish(),
  service: z.string().min(1).nullish(),
  task_arn: z.string().min(1).nullish(),
});
const mapSchema = z.strictObject({
  /** IP -> workload. */
  addresses: z.record(address, workloadSchema).default({}),
  /** Mirror points: (vni, outer_ip) -> session, ENI and workload. */
  sessions: z.array(sessionSchema).default([]),
});

/** The JSON/YAML shape of `--identity-map FILE`. */
export type IdentityMapInput = z.input<typeof mapSchema>;

/**
 * Reads an identity map for offline use (no AWS access), e.g.:
 * ```yaml
 * addresses:
 *   10.0.1.15: { cluster: shop, service: web, task_arn: arn:aws:ecs:...:task/shop/abc, eni_id: eni-0a1b }
 * sessions:
 *   - { vni: 4242, outer_ip: 10.0.1.15, mirror_session_id: tms-0c2d, eni_id: eni-0a1b, eni_ips: [10.0.1.15, 10.0.1.16] }
 * ```
 * A session without cluster/service/task_arn takes the workload of its ENI's addresses.
 */
export function loadIdentityMap(path: string): IdentitySnapshot {
  let data: unknown;
  try {
    data = parseYaml(readFileSync(path, 'utf8')) ?? {};
  } catch (error) {
    throw new IdentityMapError(`cannot read identity map ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const result = mapSchema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues.map(
      (i) => `${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`,
    );
    throw new IdentityMapError(`invalid identity map ${path}: ${problems.join('; ')}`);
  }
  return identitySnapshotOf(result.data);
}

/** Builds a snapshot from the validated map shape (also used by tests and the config file). */
export function identitySnapshotOf(input: IdentityMapInput): IdentitySnapshot {
  const map = mapSchema.parse(input);
  const addresses = new Map<string, Workload>();
  for (const [ip, w] of Object.entries(map.addresses)) {
    addresses.set(canonicalIp(ip) as string, {
      cluster: w.cluster,
      service: w.service ?? null,
      task_arn: w.task_arn ?? null,
      eni_id: w.eni_id ?? null,
    });
  }
  const mirrorPoints = new Map<string, MirrorPointIdentity>();
  for (const s of map.sessions) {
    const outer = canonicalIp(s.outer_ip) as string;
    const ips = [outer, ...(s.eni_ips ?? []).map((ip) => canonicalIp(ip) as string)];
    const eniIps = [...new Set(ips)];
    const workload: Workload | null =
      s.cluster != null
        ? {
            cluster: s.cluster,
            service: s.service ?? null,
            task_arn: s.task_arn ?? null,
            eni_id: s.eni_id ?? null,
          }
        : (eniIps.map((ip) => addresses.get(ip)).find((w) => w !== undefined) ?? null);
    mirrorPoints.set(mirrorPointKey(s.vni, outer), {
      mirror_session_id: s.mirror_session_id ?? null,
      eni_id: s.eni_id ?? workload?.eni_id ?? null,
      eni_ips: eniIps,
      workload,
    });
    if (workload !== null) for (const ip of eniIps) if (!addresses.has(ip)) addresses.set(ip, workload);
  }
  return { mirrorPoints, addresses };
}
