import type { MirrorRecord } from '@fargate-mirror/analysis';
import { AwsIdentitySource } from './aws-identity-source.js';
import { loadIdentityMap } from './identity-map-file.js';
import { type IdentityErrorReport, IdentityResolver } from './identity-resolver.js';
import { createRecordEnricher } from './record-enricher.js';

export interface WorkloadIdentityOptions {
  /** `--identity-map FILE` (JSON or YAML), for offline use. */
  readonly mapFile?: string;
  /** Resolve through EC2 and ECS (SDK default configuration: AWS_ENDPOINT_URL, AWS_REGION, ...). */
  readonly aws?: boolean;
  /** Clusters whose tasks are mapped. @default every cluster */
  readonly clusters?: readonly string[];
  /** @default 60 */
  readonly refreshSeconds?: number;
  /** @default 300 */
  readonly ttlSeconds?: number;
  /** @default 60 */
  readonly negativeTtlSeconds?: number;
  /** Tasks, ENIs and sessions that disappeared keep answering this long (flows outlive tasks). @default 600 */
  readonly graceSeconds?: number;
  /** At most once a minute per error code; every failure is counted in `resolver.stats`. */
  readonly onError?: (error: unknown, what: string, report: IdentityErrorReport) => void;
}

export interface WorkloadIdentity {
  readonly resolver: IdentityResolver;
  /** The pipeline's `enrich` hook. */
  readonly enrich: (record: MirrorRecord) => void;
  close(): void;
}

/**
 * Workload identity from a map file and/or AWS, started (the first AWS sweep awaited). Undefined when
 * neither is configured.
 */
export async function startWorkloadIdentity(
  options: WorkloadIdentityOptions,
): Promise<WorkloadIdentity | undefined> {
  const identity = createWorkloadIdentity(options);
  await identity?.resolver.start();
  return identity;
}

/**
 * The same, not started yet: the caller holds it (and can report to its resolver) before the first
 * sweep; `resolver.start()` begins the refreshes.
 */
export function createWorkloadIdentity(options: WorkloadIdentityOptions): WorkloadIdentity | undefined {
  if (options.mapFile === undefined && !options.aws) return undefined;
  const source = options.aws ? new AwsIdentitySource({ clusters: options.clusters }) : undefined;
  const resolver = new IdentityResolver({
    graceMs: (options.graceSeconds ?? 600) * 1000,
    static: options.mapFile === undefined ? undefined : loadIdentityMap(options.mapFile),
    source,
    refreshMs: (options.refreshSeconds ?? 60) * 1000,
    ttlMs: (options.ttlSeconds ?? 300) * 1000,
    negativeTtlMs: (options.negativeTtlSeconds ?? 60) * 1000,
    onError: options.onError,
  });
  return {
    resolver,
    enrich: createRecordEnricher(resolver),
    close() {
      resolver.stop();
      source?.destroy();
    },
  };
}
