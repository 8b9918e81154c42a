// Entry point of a `read --workers` analysing thread: the full pipeline over the packets of the flows
// it owns, in capture order, with expiry at the instants one pipeline would run it. The packets come
// from a ring the reading thread fills, or from the capture file, which the worker then reads whole
// and routes itself. Records leave as JSON Lines blocks (transferred, not copied); counters once, at
// the end.
import { parentPort, workerData } from 'node:worker_threads';
import { CaptureReader, HandoffKind, HandoffRing } from '@fargate-mirror/wire';
import { JsonLinesWriter } from '../output/json-lines-writer.js';
import { MirrorPipeline, packetMicros } from '../pipeline/mirror-pipeline.js';
import { CaptureRouter, HELD } from './capture-router.js';
import { pipelineTotals } from './read-capture.js';
import type { ShardSource, ShardSummary, ShardToMain, ShardWorkerData } from './read-shard-protocol.js';

/** Records drained between looks at whether the ring was closed. */
const DRAIN_BATCH = 65_536;
/** Longest sleep on an empty ring; the producer wakes it sooner. */
const IDLE_WAIT_MS = 100;

const port = parentPort;
if (port === null) throw new Error('read-shard-worker.js must run as a worker thread');
const data = workerData as ShardWorkerData;
const post = (message: ShardToMain, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);

/** The ring's packets, until the reading thread closes it. */
function drainRing(ring: HandoffRing, pipeline: MirrorPipeline): void {
  const pointWords = new Uint32Array(4);
  const visit = (r: HandoffRing, record: number): void => {
    const offset = r.payloadOffset(record);
    const length = r.payloadLength(record);
    const sec = r.tsSec(record);
    const nsec = r.tsNsec(record);
    switch (r.kind(record)) {
      case HandoffKind.CAPTURED:
        pipeline.handleCaptured(r.data, offset, length, r.family(record), sec, nsec);
        break;
      case HandoffKind.UNENCAPSULATED:
        pipeline.handleUnencapsulated(r.data, offset, length, r.family(record), sec, nsec);
        break;
      case HandoffKind.REASSEMBLED:
        pipeline.handleReassembled(r.data, offset, length, sec, nsec);
        break;
      case HandoffKind.TICK:
        pipeline.tick(packetMicros(sec, nsec));
        break;
      case HandoffKind.MIRROR_POINT_MAC: {
        const points = pipeline.mirrorPoints;
        const version = r.source(record, pointWords);
        const id = points.idOf(r.data.readUInt32LE(offset), pointWords, version);
        points.teachMac(id, r.data, offset + 4);
        break;
      }
      default:
        throw new Error(`read worker: unknown record kind ${r.kind(record)} in its ring`);
    }
  };
  for (;;) {
    if (ring.drain(visit, DRAIN_BATCH) > 0) continue;
    // Closed after its last push: once that is seen, everything pushed before is visible too.
    if (ring.isClosed) {
      if (ring.drain(visit) === 0) return;
      continue;
    }
    ring.waitForDataSync(IDLE_WAIT_MS);
  }
}

/**
 * Every packet of the file, routed here as the reading thread would route it: each worker decodes all
 * of them that far (cheap next to analysing them) and analyses its own.
 */
function readOwnShare(
  source: Extract<ShardSource, { kind: 'file' }>,
  pipeline: MirrorPipeline,
): NonNullable<ShardSummary['read']> {
  const reader = CaptureReader.open(source.file);
  try {
    // The pipeline's own decoder: a packet this worker owns is decoded once, here.
    const router = new CaptureRouter({ ...data.pipeline, ...source, decoder: pipeline.decoder });
    const points = pipeline.mirrorPoints;
    const me = source.index;
    while (reader.next()) {
      const buf = reader.buf;
      const offset = reader.offset;
      const length = reader.capturedLength;
      const linkType = reader.linkType;
      const sec = reader.tsSec;
      const nsec = reader.tsNsec;
      if (router.tickDue(sec, nsec)) pipeline.tick(packetMicros(sec, nsec));
      const kind = router.route(buf, offset, length, linkType, sec, nsec);
      if (router.taughtMac) {
        const d = router.decoder;
        const id = points.idOf(router.mac.readUInt32LE(0), d.mirrorSourceWords, d.mirrorSourceVersion);
        points.teachMac(id, router.mac, 4);
      }
      if (kind === HELD || router.owner !== me) continue;
      if (kind !== HandoffKind.REASSEMBLED) pipeline.handleDecoded(router.status, buf, length, sec, nsec);
      else pipeline.handleDecodedReassembled(router.status, router.reassembled.buf, sec, nsec);
    }
    return { captureStop: reader.stopReason ?? null, routed: me === 0 ? router.own : undefined };
  } finally {
    reader.close();
  }
}

try {
  const writer = data.records
    ? JsonLinesWriter.toBlocks((block) => post({ type: 'records', block }, [block.buffer as ArrayBuffer]))
    : undefined;
  const pipeline = new MirrorPipeline({
    ...data.pipeline,
    tickedByCaller: true,
    onRecord: writer === undefined ? () => {} : (record) => writer.write(record),
  });
  const source = data.source;
  const read =
    source.kind === 'ring'
      ? drainRing(new HandoffRing(source.ring), pipeline)
      : readOwnShare(source, pipeline);
  pipeline.finish();
  writer?.flush();
  const summary: ShardSummary = {
    ...pipelineTotals(pipeline),
    records: writer?.recordsWritten ?? 0,
    ...(read === undefined ? {} : { read }),
  };
  post({ type: 'done', summary });
} catch (error) {
  post({ type: 'failed', message: (error as Error).stack ?? String(error) });
}
