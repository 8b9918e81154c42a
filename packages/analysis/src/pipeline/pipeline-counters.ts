import type { MirrorPipeline } from './mirror-pipeline.js';

/** One counter of the data path: its name in `read`'s summary, what it counts, where it is read. */
export interface PipelineCounter {
  readonly key: PipelineCounterKey;
  /** What it counts, for people: the summary line of `read` is this and the value. */
  readonly help: string;
  readonly read: (pipeline: MirrorPipeline) => number;
}

export type PipelineCounterKey =
  | 'packets'
  | 'bytes'
  | 'mirroredPackets'
  | 'mirroredIpBytes'
  | 'flows'
  | 'truncated'
  | 'duplicates'
  | 'notMirror'
  | 'innerNotIp'
  | 'outerFragments'
  | 'reassembled';

/**
 * The data path's counters, declared once: `read`'s summary (the JSON of `--summary-json` and the
 * text on stderr) is derived from this list. The by-reason counts (`malformed`, transactions, TCP
 * reassembly) are maps beside it.
 */
export const PIPELINE_COUNTERS: readonly PipelineCounter[] = [
  { key: 'packets', help: 'packets read', read: (p) => p.stats.input },
  { key: 'bytes', help: 'bytes read', read: (p) => p.stats.inputBytes },
  {
    key: 'mirroredPackets',
    help: 'mirrored packets (inner frames recovered, or frames of an ordinary capture)',
    read: (p) => p.stats.mirrored,
  },
  {
    key: 'mirroredIpBytes',
    help: 'IP bytes of those, from their headers',
    read: (p) => p.stats.mirroredIpBytes,
  },
  { key: 'flows', help: 'flows', read: (p) => p.flows.stats.created },
  {
    key: 'truncated',
    help: 'truncated packets (cut by PacketLength or the capture)',
    read: (p) => p.stats.truncated,
  },
  {
    key: 'duplicates',
    help: 'duplicates removed (the same packet seen at two mirror points)',
    read: (p) => p.dedup?.stats.duplicates ?? 0,
  },
  { key: 'notMirror', help: 'non-VXLAN packets (not mirror traffic)', read: (p) => p.stats.notMirror },
  { key: 'innerNotIp', help: 'inner frames without IP (ARP and the like)', read: (p) => p.stats.innerNotIp },
  { key: 'outerFragments', help: 'outer IP fragments', read: (p) => p.stats.outerFragments },
  {
    key: 'reassembled',
    help: 'outer datagrams reassembled from fragments',
    read: (p) => p.stats.reassembled,
  },
];

/** Every counter's value, by key. */
export function readPipelineCounters(pipeline: MirrorPipeline): Record<PipelineCounterKey, number> {
  const out = {} as Record<PipelineCounterKey, number>;
  for (const c of PIPELINE_COUNTERS) out[c.key] = c.read(pipeline);
  return out;
}
