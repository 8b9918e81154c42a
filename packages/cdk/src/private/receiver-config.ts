import { GENEVE_PORT, VXLAN_PORT } from '../filter-rules.js';
import { HEC_TOKEN_PATH, RECEIVER_HOME } from './receiver-boot-script.js';

/** Where the receiver writes on the instance (on the encrypted root volume, its ReadWritePaths). */
export const RECEIVER_PCAP_DIR = `${RECEIVER_HOME}/pcap`;
export const RECEIVER_RECORDS_FILE = `${RECEIVER_HOME}/records/records.jsonl`;
export const RECEIVER_HEC_SPOOL_DIR = `${RECEIVER_HOME}/hec-spool`;
/** Where the receiver writes OCSF Parquet files before uploading them (with a lake). */
export const RECEIVER_OCSF_DIR = `${RECEIVER_HOME}/ocsf`;
/** The receiver's own health as CloudWatch EMF lines, shipped by the CloudWatch agent. */
export const RECEIVER_EMF_FILE = `${RECEIVER_HOME}/metrics/emf.jsonl`;

export interface ReceiverConfigOptions {
  /** The port of `/healthz`, the one the load balancer checks. */
  readonly healthPort: number;
  /** `net.core.rmem_max` on the instance: the receiver asks for all of it. */
  readonly receiveBufferMaxBytes: number;
  /** Splunk HEC base URL; the token is in the file the boot script writes from Secrets Manager. */
  readonly hecUrl?: string;
  /** The `Fleet` dimension of the receivers' EMF metrics; undefined: no EMF. */
  readonly metricsFleet?: string;
  /**
   * OCSF Parquet on S3 (an OcsfLake): the records' partition defaults (the stack's region and
   * account), and the bucket and key prefix the receiver uploads Parquet and pcap files to.
   */
  readonly lake?: {
    readonly region: string;
    readonly accountId: string;
    readonly bucket: string;
    readonly prefix: string;
    /** Security Lake custom sources by OCSF class folder (the receiver assumes each provider role). */
    readonly securityLake?: Readonly<
      Record<string, { readonly location: string; readonly roleArn: string; readonly externalId: string }>
    >;
  };
  /** The user's keys, merged over the generated ones (nested sections key by key). */
  readonly extra?: { readonly [key: string]: unknown };
}

/**
 * The receiver's `--config` file, in the keys of the receiver's own schema
 * (`receiverConfigSchema` in packages/receiver/src/config/receiver-config.ts, which rejects unknown
 * keys; test/receiver-config.test.ts validates this output against it). Workload identity comes
 * from EC2/ECS through the instance role (region from the unit's AWS_REGION).
 */
export function receiverConfig(o: ReceiverConfigOptions): Record<string, unknown> {
  const generated: Record<string, unknown> = {
    port: VXLAN_PORT,
    genevePort: GENEVE_PORT,
    healthPort: o.healthPort,
    recvBuffer: o.receiveBufferMaxBytes,
    pcapDir: RECEIVER_PCAP_DIR,
    records: RECEIVER_RECORDS_FILE,
    identity: { aws: true },
    // Records and HEC events name the instance (its id from IMDSv2), not the constant.
    dvcFromInstance: true,
    ...(o.metricsFleet !== undefined
      ? { cloudwatch: { emfFile: RECEIVER_EMF_FILE, fleet: o.metricsFleet } }
      : {}),
    ...(o.lake !== undefined
      ? {
          ocsf: { dir: RECEIVER_OCSF_DIR, region: o.lake.region, accountId: o.lake.accountId },
          s3: {
            bucket: o.lake.bucket,
            prefix: o.lake.prefix,
            ...(o.lake.securityLake !== undefined
              ? { securityLake: { destinations: o.lake.securityLake } }
              : {}),
          },
        }
      : {}),
    ...(o.hecUrl !== undefined
      ? { hec: { url: o.hecUrl, tokenFile: HEC_TOKEN_PATH, spoolDir: RECEIVER_HEC_SPOOL_DIR } }
      : {}),
  };
  return mergeSections(generated, o.extra ?? {});
}

/**
 * `extra` over `base`; where both hold an object (a section such as `identity` or `hec`), its keys
 * merge, so `{ identity: { clusters: [...] } }` keeps `identity.aws`. The receiver merges its flags
 * over the file the same way.
 */
function mergeSections(
  base: Record<string, unknown>,
  extra: { readonly [key: string]: unknown },
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
