// Entry point of a `read --workers` analysing thread: the full pipeline over the packets of the flows
// it owns, taken from its ring in capture order, with expiry at the instants the reading thread ticks.
// Records leave as JSON Lines blocks (transferred, not copied); counters once, at the end.
import { parentPort, workerData } from 'node:worker_threads';
import { HandoffKind, HandoffRing } from '@fargate-mirror/wire';
import { JsonLinesWriter } from '../output/json-lines-writer.js';
import { MirrorPipeline, packetMicros } from '../pipeline/mirror-pipeline.js';
import { pipelineTotals } from './read-capture.js';
import type { ShardToMain, ShardWorkerData } from './read-shard-protocol.js';

/** Records drained between looks at whether the ring was closed. */
const DRAIN_BATCH = 65_536;
/** Longest sleep on an empty ring; the producer wakes it sooner. */
const IDLE_WAIT_MS = 100;

const port = parentPort;
if (port === null) throw new Error('read-shard-worker.js must run as a worker thread');
const data = workerData as ShardWorkerData;
const post = (message: ShardToMain, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);

try {
  const ring = new HandoffRing(data.ring);
  const writer = data.records
    ? JsonLinesWriter.toBlocks((block) => post({ type: 'records', block }, [block.buffer as ArrayBuffer]))
    : undefined;
  const pipeline = new MirrorPipeline({
    ...data.pipeline,
    tickedByCaller: true,
    onRecord: writer === undefined ? () => {} : (record) => writer.write(record),
  });
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
      if (ring.drain(visit) === 0) break;
      continue;
    }
    ring.waitForDataSync(IDLE_WAIT_MS);
  }
  pipeline.finish();
  writer?.flush();
  post({
    type: 'done',
    summary: { ...pipelineTotals(pipeline), records: writer?.recordsWritten ?? 0 },
  });
} catch (error) {
  post({ type: 'failed', message: (error as Error).stack ?? String(error) });
}
