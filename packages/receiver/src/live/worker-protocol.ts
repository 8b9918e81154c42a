import type { ReceiverConfig } from '../config/receiver-config.js';
import type { ReceiverErrorCode } from '../errors.js';
import type { WorkerCounterValues } from '../metrics/receiver-counters.js';
import type { Intake } from './native-intake.js';

/** What the main thread gives each worker at start. */
export interface ReceiverWorkerData {
  readonly workerId: number;
  readonly workers: number;
  /** How the sockets are read: the recvmmsg addon, or Node's dgram (resolved from --intake). */
  readonly intake: Intake;
  readonly config: ReceiverConfig;
  /** Ports the sockets bind (resolved: never 0). `genevePort` 0 means no GENEVE socket. */
  readonly port: number;
  readonly genevePort: number;
  /** Decapsulated pcap directory, or undefined for no pcap. */
  readonly pcapDir: string | undefined;
  /** Whether finished records are sent to the main thread's writer. */
  readonly records: boolean;
  /** `toWorker[j]`: the ring this worker fills with packets owned by worker j (null for itself). */
  readonly toWorker: readonly (SharedArrayBuffer | null)[];
  /** `fromWorker[i]`: the ring worker i fills for this worker (null for itself). */
  readonly fromWorker: readonly (SharedArrayBuffer | null)[];
  /**
   * The afpacket intake with several workers: the packet-ring fanout group to join, once the first
   * worker has made one (undefined: make it).
   */
  readonly fanoutGroup?: number;
}

/** Counters of one worker since it started, sent periodically (never per packet). */
export interface WorkerStatsSnapshot {
  readonly worker: number;
  /** Every counter of the table in metrics/receiver-counters.ts. */
  readonly counters: Readonly<WorkerCounterValues>;
  /** Malformed datagrams and inner packets by reason. */
  readonly malformed: Readonly<Record<string, number>>;
  /** [vni, packets, IP bytes] for each VNI seen. */
  readonly vni: readonly (readonly [number, number, number])[];
}

export type WorkerToMain =
  | {
      readonly type: 'ready';
      readonly recvBufferBytes: number;
      readonly sockets: number;
      /** The afpacket intake's fanout group (several workers), for the others to join. */
      readonly fanoutGroup?: number;
    }
  | { readonly type: 'stats'; readonly stats: WorkerStatsSnapshot }
  | { readonly type: 'records'; readonly text: string; readonly count: number }
  | { readonly type: 'file-open'; readonly path: string; readonly openedAt: number; readonly vni: number }
  | { readonly type: 'file-complete'; readonly path: string; readonly bytes: number }
  | { readonly type: 'stopped-reading' }
  | { readonly type: 'finished' }
  | { readonly type: 'fatal'; readonly code: ReceiverErrorCode; readonly message: string }
  | MirrorPointMac;

/**
 * A mirror point's ENI MAC, learned by one worker from a frame of its flows and passed to the others
 * (the main thread forwards it): records' direction must not depend on which worker owns a flow.
 */
export interface MirrorPointMac {
  readonly type: 'mirror-point-mac';
  readonly vni: number;
  /** The point's address words (IPv4 mapped) and family. */
  readonly words: readonly number[];
  readonly version: number;
  /** The six bytes of the MAC. */
  readonly mac: readonly number[];
}

export type MainToWorker = { readonly type: 'stop-reading' } | { readonly type: 'finish' } | MirrorPointMac;
