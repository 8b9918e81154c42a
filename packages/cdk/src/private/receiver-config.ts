import { GENEVE_PORT, VXLAN_PORT } from '../filter-rules.js';
import { RECEIVER_HOME } from './receiver-boot-script.js';

/** Where the receiver writes on the instance (on the encrypted root volume). */
export const RECEIVER_PCAP_DIR = `${RECEIVER_HOME}/pcap`;
export const RECEIVER_RECORDS_FILE = `${RECEIVER_HOME}/records/records.jsonl`;

export interface ReceiverConfigOptions {
  /** The port of `/healthz`, the one the load balancer checks. */
  readonly healthPort: number;
  /** `net.core.rmem_max` on the instance: the receiver asks for all of it. */
  readonly receiveBufferMaxBytes: number;
  /** The user's keys, merged over the generated ones. */
  readonly extra?: { readonly [key: string]: unknown };
}

/**
 * The receiver's `--config` file, in the keys of the receiver's own schema
 * (`receiverConfigSchema` in packages/receiver/src/config/receiver-config.ts, which rejects unknown
 * keys; test/receiver-config.test.ts validates this output against it).
 *
 * Splunk HEC and AWS identity resolution are not written: the receiver's schema has no keys for
 * them yet (see README.md).
 */
export function receiverConfig(o: ReceiverConfigOptions): Record<string, unknown> {
  return {
    port: VXLAN_PORT,
    genevePort: GENEVE_PORT,
    healthPort: o.healthPort,
    recvBuffer: o.receiveBufferMaxBytes,
    pcapDir: RECEIVER_PCAP_DIR,
    records: RECEIVER_RECORDS_FILE,
    ...o.extra,
  };
}
