import { AwsIdentitySource } from './aws-identity-source.js';
import { loadIdentityMap } from './identity-map-file.js';
import { IdentityResolver } from './identity-resolver.js';
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
  readonly onError?: (error: unknown, what: string) => void;
}

export interface WorkloadIdentity {
  readonly resolver: IdentityResolver;
  /** The pipeline's `enrich` hook. */
  readonly enrich: (record: Record<string, unknown>) => void;
  close(): void;
}

/**
 * Workload identity from a map file and/or AWS, started (the first AWS sweep awaited). Undefined when
 * neither is configured.
 */
export async function startWorkloadIdentity(
  options: WorkloadIdentityOptions,
): Promise<WorkloadIdentity | undefined> {
  if (options.mapFile === undefined && !options.aws) return undefined;
  const source = options.aws ? new AwsIdentitySource({ clusters: options.clusters }) : undefined;
  const resolver = new IdentityResolver({
    static: options.mapFile === undefined ? undefined : loadIdentityMap(options.mapFile),
    source,
    refreshMs: (options.refreshSeconds ?? 60) * 1000,
    ttlMs: (options.ttlSeconds ?? 300) * 1000,
    negativeTtlMs: (options.negativeTtlSeconds ?? 60) * 1000,
    onError: options.onError,
  });
  await resolver.start();
  return {
    resolver,
    enrich: createRecordEnricher(resolver),
    close() {
      resolver.stop();
      source?.destroy();
    },
  };
}
