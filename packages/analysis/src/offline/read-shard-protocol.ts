// What crosses between `read --workers`' reading thread and its analysing workers.

import type { MirrorPipelineOptions } from '../pipeline/mirror-pipeline.js';
import type { pipelineTotals } from './read-capture.js';

/** The pipeline options a worker is built with: only what can be copied to another thread. */
export type ShardPipelineOptions = Omit<
  MirrorPipelineOptions,
  'onRecord' | 'innerFrames' | 'dedupInnerFrames' | 'innerFramePositions' | 'enrich' | 'tickedByCaller'
>;

export interface ShardWorkerData {
  /** The HandoffRing the reading thread fills with this worker's packets. */
  readonly ring: SharedArrayBuffer;
  readonly pipeline: ShardPipelineOptions;
  /** Whether records are wanted (as JSON Lines blocks); otherwise only the counters. */
  readonly records: boolean;
}

/** One worker's share of `read`'s summary. */
export interface ShardSummary extends ReturnType<typeof pipelineTotals> {
  readonly records: number;
}

export type ShardToMain =
  /** Whole JSON Lines records, UTF-8, to be written as they are. */
  | { readonly type: 'records'; readonly block: Uint8Array }
  | { readonly type: 'done'; readonly summary: ShardSummary }
  | { readonly type: 'failed'; readonly message: string };
