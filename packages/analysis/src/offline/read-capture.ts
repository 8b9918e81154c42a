import { CaptureReader, PcapWriter } from '@fargate-mirror/wire';
import { JsonLinesWriter } from '../output/json-lines-writer.js';
import { MirrorPipeline, type MirrorPipelineOptions } from '../pipeline/mirror-pipeline.js';
import type { RecordSink } from '../records/mirror-record.js';

export interface ReadCaptureOptions extends Omit<MirrorPipelineOptions, 'onRecord' | 'innerFrames'> {
  readonly file: string;
  /** JSON Lines destination: a path or `-`. Omitted: no records. */
  readonly records?: string;
  /** Decapsulated inner frames as pcap. Omitted: none. */
  readonly pcapOut?: string;
  /** More destinations of every record (e.g. a Splunk HEC sink), after the JSON Lines file. */
  readonly recordSinks?: readonly RecordSink[];
}

export interface ReadSummary {
  readonly file: string;
  readonly format: string;
  readonly packets: number;
  readonly bytes: number;
  readonly mirroredPackets: number;
  readonly mirroredIpBytes: number;
  readonly flows: number;
  readonly records: number;
  readonly truncated: number;
  /** Copies of packets already counted at another mirror point (both ends mirrored), removed. */
  readonly duplicates: number;
  readonly notMirror: number;
  readonly innerNotIp: number;
  readonly outerFragments: number;
  readonly reassembled: number;
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
  const reader = CaptureReader.open(options.file);
  const records = options.records !== undefined ? JsonLinesWriter.open(options.records) : undefined;
  const pcap = options.pcapOut !== undefined ? PcapWriter.open(options.pcapOut) : undefined;
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
    });
    while (reader.next()) {
      pipeline.handleCaptured(
        reader.buf,
        reader.offset,
        reader.capturedLength,
        reader.linkType,
        reader.tsSec,
        reader.tsNsec,
      );
    }
    pipeline.finish();
    const s = pipeline.stats;
    return {
      file: options.file,
      format: reader.format,
      packets: s.input,
      bytes: s.inputBytes,
      mirroredPackets: s.mirrored,
      mirroredIpBytes: s.mirroredIpBytes,
      flows: pipeline.flows.stats.created,
      records: records?.recordsWritten ?? 0,
      truncated: s.truncated,
      duplicates: pipeline.dedup?.stats.duplicates ?? 0,
      notMirror: s.notMirror,
      innerNotIp: s.innerNotIp,
      outerFragments: s.outerFragments,
      reassembled: s.reassembled,
      malformed: s.malformedByReason(),
      transactions: { ...(pipeline.transactions?.stats ?? {}) },
      reassembly: { ...(pipeline.transactions?.reassembler.stats ?? {}) },
      captureStop: reader.stopReason ?? null,
    };
  } finally {
    records?.close();
    pcap?.close();
    reader.close();
  }
}
