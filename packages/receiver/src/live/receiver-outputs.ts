import { join } from 'node:path';
import type { ReceiverConfig } from '../config/receiver-config.js';

export interface ReceiverOutputs {
  /** Decapsulated pcap directory, or undefined for no pcap. */
  readonly pcapDir: string | undefined;
  /** Records file, `-` for stdout, or undefined for no records. */
  readonly records: string | undefined;
  /** Whether these are the defaults under `outDir` (so `receive` alone is useful). */
  readonly defaulted: boolean;
}

/** Sinks are optional and combinable; with neither configured, both go under `outDir`. */
export function resolveOutputs(config: ReceiverConfig): ReceiverOutputs {
  if (config.pcapDir === undefined && config.records === undefined) {
    return {
      pcapDir: join(config.outDir, 'pcap'),
      records: join(config.outDir, 'records.jsonl'),
      defaulted: true,
    };
  }
  return { pcapDir: config.pcapDir, records: config.records, defaulted: false };
}
