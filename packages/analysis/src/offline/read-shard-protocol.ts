// What crosses between `read --workers`' main thread and its analysing workers.

import type { MirrorPipelineOptions } from '../pipeline/mirror-pipeline.js';
import type { CaptureRouter } from './capture-router.js';
import type { pipelineTotals } from './read-capture.js';

/** The pipeline options a worker is built with: only what can be copied to another thread. */
export type ShardPipelineOptions = Omit<
  MirrorPipelineOptions,
  'onRecord' | 'innerFrames' | 'dedupInnerFrames' | 'innerFramePositions' | 'enrich' | 'tickedByCaller'
>;

/** Where a worker's packets come from. */
export type ShardSource =
  /** A HandoffRing the reading thread fills with this worker's packets (standard input). */
  | { readonly kind: 'ring'; readonly ring: SharedArrayBuffer }
  /**
   * The capture file itself: the worker reads every packet, routes each as the reading thread would,
   * and analyses those of its own flows (no copies between threads, no reading thread).
   */
  | {
      readonly kind: 'file';
      readonly file: string;
      readonly mirror: boolean;
      /** This worker's number, 0 to workers - 1; worker 0 also counts the outer fragments. */
      readonly index: number;
      readonly workers: number;
      readonly perVniAddresses: boolean;
    };

export interface ShardWorkerData {
  readonly source: ShardSource;
  readonly pipeline: ShardPipelineOptions;
  /** Whether records are wanted (as JSON Lines blocks); otherwise only the counters. */
  readonly records: boolean;
}

/** One worker's share of `read`'s summary. */
export interface ShardSummary extends ReturnType<typeof pipelineTotals> {
  readonly records: number;
  /** A worker reading the file: how its reading ended, and (worker 0) the fragments it counted. */
  readonly read?: {
    readonly captureStop: string | null;
    readonly routed?: CaptureRouter['own'];
  };
}

export type ShardToMain =
  /** Whole JSON Lines records, UTF-8, to be written as they are. */
  | { readonly type: 'records'; readonly block: Uint8Array }
  | { readonly type: 'done'; readonly summary: ShardSummary }
  | { readonly type: 'failed'; readonly message: string };
