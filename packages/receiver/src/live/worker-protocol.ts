import type { ReceiverConfig } from '../config/receiver-config.js';
import type { IdentityCacheSizes, IdentityStats } from '../identity/identity-resolver.js';

/** What the main thread gives each worker at start. */
export interface ReceiverWorkerData {
  readonly workerId: number;
  readonly workers: number;
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
}

/** Counters of one worker since it started, sent periodically (never per packet). */
export interface WorkerStatsSnapshot {
  readonly worker: number;
  /** Datagrams read from this worker's sockets, and their UDP payload bytes. */
  readonly datagrams: number;
  readonly datagramBytes: number;
  readonly vxlanDatagrams: number;
  readonly geneveDatagrams: number;
  /** Datagrams handed to the worker that owns their flow, taken from other workers, lost (ring full). */
  readonly handoffsOut: number;
  readonly handoffsIn: number;
  readonly handoffDrops: number;
  /** Inner frames recovered, their IP bytes, and the pipeline's other outcomes. */
  readonly mirrored: number;
  readonly mirroredIpBytes: number;
  readonly truncated: number;
  readonly notMirror: number;
  readonly innerNotIp: number;
  readonly malformed: Readonly<Record<string, number>>;
  readonly flowsActive: number;
  readonly flowsCreated: number;
  readonly flowsEnded: number;
  readonly flowsEvicted: number;
  /** Packets already counted at another mirror point (both ends mirrored), removed. */
  readonly duplicates: number;
  /** Packets the de-duplicator looked at, and its entries overwritten while still in the window. */
  readonly dedupChecked: number;
  readonly dedupOverwritten: number;
  /** Workload identity (zeros when none is configured). */
  readonly identity: Readonly<IdentityStats>;
  readonly identityCache: IdentityCacheSizes;
  /** [vni, packets, IP bytes] for each VNI seen. */
  readonly vni: readonly (readonly [number, number, number])[];
  readonly recordsEmitted: number;
  readonly pcap: {
    readonly framesWritten: number;
    readonly framesDropped: number;
    readonly bytesWritten: number;
    readonly filesCompleted: number;
    readonly errors: number;
    readonly bufferedBytes: number;
  };
}

export type WorkerToMain =
  | { readonly type: 'ready'; readonly recvBufferBytes: number; readonly sockets: number }
  | { readonly type: 'stats'; readonly stats: WorkerStatsSnapshot }
  | { readonly type: 'records'; readonly text: string; readonly count: number }
  | { readonly type: 'file-complete'; readonly path: string; readonly bytes: number }
  | { readonly type: 'stopped-reading' }
  | { readonly type: 'finished' }
  | { readonly type: 'fatal'; readonly code: string; readonly message: string };

export type MainToWorker = { readonly type: 'stop-reading' } | { readonly type: 'finish' };
