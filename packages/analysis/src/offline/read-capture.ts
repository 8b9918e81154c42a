import { CaptureReader, PcapWriter } from '@fargate-mirror/wire';
import type { FramePositionSource } from '../flows/flow-pcap-positions.js';
import { JsonLinesWriter } from '../output/json-lines-writer.js';
import { MirrorPipeline, type MirrorPipelineOptions } from '../pipeline/mirror-pipeline.js';
import { type PipelineCounterKey, readPipelineCounters } from '../pipeline/pipeline-counters.js';
import type { RecordSink } from '../records/mirror-record.js';
import { resolveEncapsulation } from './capture-encapsulation.js';

export interface ReadCaptureOptions extends Omit<MirrorPipelineOptions, 'onRecord' | 'innerFrames'> {
  readonly file: string;
  /** JSON Lines destination: a path or `-`. Omitted: no records. */
  readonly records?: string;
  /** Decapsulated inner frames as pcap: a path or `-` (standard output). Omitted: none. */
  readonly pcapOut?: string;
  /** The same without the copies de-duplication removed (both ends mirrored). Omitted: none. */
  readonly dedupPcapOut?: string;
  /**
   * `mirror`: the capture holds mirror traffic (VXLAN, GENEVE) to decapsulate; `none`: an ordinary
   * capture taken on a host, analysed as it is; `auto` (default): `mirror` when any of the first
   * packets is mirror traffic, else `none` (standard input or a pipe, which cannot be read twice: `mirror`).
   */
  readonly encapsulation?: 'auto' | 'mirror' | 'none';
  /** More destinations of every record (e.g. a Splunk HEC sink), after the JSON Lines file. */
  readonly recordSinks?: readonly RecordSink[];
}

/** `read`'s summary: the pipeline's counters (PIPELINE_COUNTERS, by key), and the maps beside them. */
export interface ReadSummary extends Readonly<Record<PipelineCounterKey, number>> {
  readonly file: string;
  readonly format: string;
  /** Whether the capture was decapsulated (`mirror`) or analysed as it is (`none`). */
  readonly encapsulation: 'mirror' | 'none';
  /** Records written to the JSON Lines file. */
  readonly records: number;
  readonly malformed: Record<string, number>;
  /** Transaction records by type, and dissector counters. */
  readonly transactions: Readonly<Record<string, number>>;
  /** TCP reassembly counters (reordered, gaps, overlaps, retransmits, ...). */
  readonly reassembly: Readonly<Record<string, number>>;
  readonly captureStop: string | null;
}

/**
 * `fargate-mirror read`: a capture of mirrored traffic through the same pipeline as `receive`.
 * Throws CaptureFormatError when the file is not a capture.
 */
export function readCapture(options: ReadCaptureOptions): ReadSummary {
  const encapsulation = resolveEncapsulation(options.file, options.encapsulation ?? 'auto', options);
  const reader = CaptureReader.open(options.file);
  const records = options.records !== undefined ? JsonLinesWriter.open(options.records) : undefined;
  const pcap = openPcapOut(options.pcapOut);
  const dedupPcap = openPcapOut(options.dedupPcapOut);
  try {
    const sinks: RecordSink[] = [...(options.recordSinks ?? [])];
    if (records !== undefined) sinks.unshift((r) => records.write(r));
    const pipeline = new MirrorPipeline({
      ...options,
      onRecord:
        sinks.length === 0
          ? () => {}
          : sinks.length === 1
            ? sinks[0]
            : (r) => {
                for (const sink of sinks) sink(r);
              },
      innerFrames: pcap,
      innerFramePositions:
        pcap === undefined || options.pcapOut === '-' ? undefined : pcapFilePositions(pcap, options.pcapOut),
      dedupInnerFrames: dedupPcap,
    });
    const mirror = encapsulation === 'mirror';
    while (reader.next()) {
      if (mirror) {
        pipeline.handleCaptured(
          reader.buf,
          reader.offset,
          reader.capturedLength,
          reader.linkType,
          reader.tsSec,
          reader.tsNsec,
        );
      } else {
        pipeline.handleUnencapsulated(
          reader.buf,
          reader.offset,
          reader.capturedLength,
          reader.linkType,
          reader.tsSec,
          reader.tsNsec,
        );
      }
    }
    pipeline.finish();
    const { counters, ...maps } = pipelineTotals(pipeline);
    return {
      file: options.file,
      format: reader.format,
      encapsulation,
      ...counters,
      records: records?.recordsWritten ?? 0,
      ...maps,
      captureStop: reader.stopReason ?? null,
    };
  } finally {
    records?.close();
    pcap?.close();
    dedupPcap?.close();
    reader.close();
  }
}

/** What a pipeline adds to `read`'s summary: its counters and the by-reason maps. */
export function pipelineTotals(pipeline: MirrorPipeline): {
  counters: Record<PipelineCounterKey, number>;
  malformed: Record<string, number>;
  transactions: Record<string, number>;
  reassembly: Record<string, number>;
} {
  return {
    counters: readPipelineCounters(pipeline),
    malformed: pipeline.stats.malformedByReason(),
    transactions: { ...(pipeline.transactions?.stats ?? {}) },
    reassembly: { ...(pipeline.transactions?.reassembler.stats ?? {}) },
  };
}

/** Records of `read --pcap-out FILE` point at their flow's first packet in FILE (named as given). */
function pcapFilePositions(writer: PcapWriter, name: string | undefined): FramePositionSource {
  return {
    get lastFrameFile() {
      return writer.lastRecordOffset < 0 ? 0 : 1;
    },
    get lastFrameOffset() {
      return writer.lastRecordOffset;
    },
    fileName: (file) => (file === 1 ? name : undefined),
  };
}

/**
 * `-` writes to descriptor 1 as it is (a pipe, a file or a socket alike): reopening /dev/stdout fails
 * on a socket (ENXIO), and the descriptor is not ours to close.
 */
function openPcapOut(target: string | undefined): PcapWriter | undefined {
  if (target === undefined) return undefined;
  return target === '-' ? PcapWriter.toFd(1, {}, 'standard output') : PcapWriter.open(target);
}
