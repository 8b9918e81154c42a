// `read --workers N`: N workers run the whole pipeline, each on the packets of the inner flows it owns
// (the flow table's own key, so both directions and both mirror points' copies meet in one worker),
// and send back JSON Lines blocks, which this thread writes. From a regular file, every worker reads
// the whole capture and routes each packet itself (CaptureRouter), keeping its own; from standard
// input or a pipe, which can be read once, this thread reads, routes, and copies each packet into its
// worker's ring. Expiry runs in every worker at the instants one pipeline over the whole capture would
// have run it, and a mirror point's ENI MAC reaches every worker before the frame that taught it, so
// the records are those of a single pipeline, in another order.
import { existsSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CaptureReader, HandoffKind, HandoffRing } from '@fargate-mirror/wire';
import { AnalysisError } from '../errors.js';
import { JsonLinesWriter } from '../output/json-lines-writer.js';
import { PIPELINE_COUNTERS, type PipelineCounterKey } from '../pipeline/pipeline-counters.js';
import { readableTwice, resolveEncapsulation } from './capture-encapsulation.js';
import { CaptureRouter, HELD } from './capture-router.js';
import type { ReadCaptureOptions, ReadSummary } from './read-capture.js';
import type {
  ShardPipelineOptions,
  ShardSource,
  ShardSummary,
  ShardToMain,
  ShardWorkerData,
} from './read-shard-protocol.js';

/** Each worker's ring: tens of thousands of packets, so a busy worker rarely stalls the reader. */
const RING_BYTES = 16 * 1024 * 1024;
/** Packets read between turns of the event loop, where the workers' record blocks are written. */
const PACKETS_PER_TURN = 4096;
const NO_WORDS = new Uint32Array(4);
const NO_BYTES = Buffer.alloc(0);

/** What one pipeline can do and N workers cannot (yet): outputs in capture order, callbacks. */
function unsupported(options: ReadCaptureOptions): string | undefined {
  if (options.pcapOut !== undefined) return 'a decapsulated pcap (--pcap-out) is written in capture order';
  if (options.dedupPcapOut !== undefined)
    return 'the de-duplicated pcap (--dedup-pcap) is written in capture order';
  if (options.recordSinks !== undefined && options.recordSinks.length > 0)
    return 'record sinks run in one thread';
  if (options.enrich !== undefined) return 'workload identity runs in one thread';
  if (options.innerFramePositions !== undefined) return 'pcap positions need the pcap';
  return undefined;
}

class ShardWorker {
  readonly thread: Worker;
  readonly done: Promise<ShardSummary>;
  /** Why the worker stopped before its summary, once it has. */
  protected failure: Error | undefined;

  constructor(
    file: URL,
    source: ShardSource,
    pipeline: ShardPipelineOptions,
    onRecords: ((block: Uint8Array) => void) | undefined,
  ) {
    const data: ShardWorkerData = { source, pipeline, records: onRecords !== undefined };
    this.thread = new Worker(file, { workerData: data });
    this.done = new Promise<ShardSummary>((resolve, reject) => {
      this.thread.on('message', (message: ShardToMain) => {
        if (message.type === 'records') onRecords?.(message.block);
        else if (message.type === 'done') resolve(message.summary);
        else reject(new Error(`read worker failed: ${message.message}`));
      });
      this.thread.on('error', reject);
      this.thread.on('exit', (code) =>
        reject(new Error(`read worker exited with ${code} before its summary`)),
      );
    });
    // Not awaited until the end: a failure meanwhile is kept (a full ring then throws it), never an
    // unhandled rejection.
    this.done.catch((error: Error) => {
      this.failure = error;
    });
  }
}

/**
 * The worker's file, beside this module. Resolved when a read starts workers, not at module load:
 * the receiver's worker bundle (CommonJS, no import.meta.url) carries this module too, and must load
 * without starting read workers. A single-file bundle (the CDK's receiver instances') has no such
 * file: READ_WORKERS_UNSUPPORTED, naming it, before any worker starts.
 */
function shardWorkerFile(): URL {
  const file = new URL('./read-shard-worker.js', import.meta.url);
  if (!existsSync(file))
    throw new AnalysisError(
      'READ_WORKERS_UNSUPPORTED',
      `read with workers: ${fileURLToPath(file)} is missing (a single-file bundle carries no read worker); read without --workers`,
    );
  return file;
}

/** A worker fed through its ring by the reading thread. */
class RingShardWorker extends ShardWorker {
  readonly ring: HandoffRing;

  constructor(
    file: URL,
    pipeline: ShardPipelineOptions,
    onRecords: ((block: Uint8Array) => void) | undefined,
  ) {
    const ring = HandoffRing.create(RING_BYTES);
    super(file, { kind: 'ring', ring: ring.buffer }, pipeline, onRecords);
    this.ring = ring;
  }

  /** Copies a packet in; false when the ring is full (then `waitForRoom`). Allocates nothing. */
  tryPush(
    buf: Buffer,
    kind: number,
    family: number,
    sec: number,
    nsec: number,
    off: number,
    len: number,
    words = NO_WORDS,
  ): boolean {
    return this.ring.push(buf, kind, words, family, sec, nsec, off, len);
  }

  /**
   * After `tryPush` found the ring full: wakes the worker, lets record blocks be written, and returns
   * after a moment for the caller to try again. Throws the worker's failure if it died.
   */
  async waitForRoom(): Promise<void> {
    this.ring.wakeIfWaiting();
    if (this.failure !== undefined) throw this.failure;
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * `read` over `workers` threads (see the file comment). Records go to `options.records` as a single
 * pipeline's would (the same set; each worker's in its order, blocks of them interleaved); the summary
 * is the sum of the workers' counters and the outer fragments' (counted once, while routing).
 */
export async function readCaptureInWorkers(
  options: ReadCaptureOptions,
  workers: number,
): Promise<ReadSummary> {
  const why = unsupported(options);
  if (why !== undefined) throw new AnalysisError('READ_WORKERS_UNSUPPORTED', `read with workers: ${why}`);
  if (!Number.isInteger(workers) || workers < 1)
    throw new AnalysisError(
      'READ_WORKERS_UNSUPPORTED',
      `read with workers: expected 1 or more, got ${workers}`,
    );
  const workerFile = shardWorkerFile();
  const encapsulation = resolveEncapsulation(options.file, options.encapsulation ?? 'auto', options);
  const mirror = encapsulation === 'mirror';
  // Opened here in both cases: a file that is not a capture fails before any worker starts.
  const reader = CaptureReader.open(options.file);
  const records = options.records !== undefined ? JsonLinesWriter.open(options.records) : undefined;
  const onRecords = records === undefined ? undefined : (block: Uint8Array) => records.writeEncoded(block);
  const pipeline: ShardPipelineOptions = {
    flows: options.flows,
    addressDomain: options.addressDomain,
    dvc: options.dvc,
    vxlanPort: options.vxlanPort,
    genevePort: options.genevePort,
    transactions: options.transactions,
    dedup: options.dedup,
  };
  const perVniAddresses = options.addressDomain === 'vni';
  const shards: ShardWorker[] = [];
  try {
    let routed: CaptureRouter['own'] | undefined;
    let captureStop: string | null = null;
    if (readableTwice(options.file)) {
      for (let index = 0; index < workers; index++) {
        const source: ShardSource = {
          kind: 'file',
          file: options.file,
          mirror,
          index,
          workers,
          perVniAddresses,
        };
        shards.push(new ShardWorker(workerFile, source, pipeline, onRecords));
      }
    } else {
      const rings = Array.from(
        { length: workers },
        () => new RingShardWorker(workerFile, pipeline, onRecords),
      );
      shards.push(...rings);
      const router = new CaptureRouter({ ...options, mirror, workers, perVniAddresses });
      captureStop = await routeToRings(reader, router, rings);
      routed = router.own;
    }
    const parts = await Promise.all(shards.map((s) => s.done));
    const read = parts[0].read;
    return {
      file: options.file,
      format: reader.format,
      encapsulation,
      ...sumCounters(parts, routed ?? read?.routed ?? {}),
      records: parts.reduce((n, p) => n + p.records, 0),
      malformed: sumMaps(parts.map((p) => p.malformed)),
      transactions: sumMaps(parts.map((p) => p.transactions)),
      reassembly: sumMaps(parts.map((p) => p.reassembly)),
      captureStop: read?.captureStop ?? captureStop,
    };
  } finally {
    await Promise.all(shards.map((s) => s.thread.terminate()));
    records?.close();
    reader.close();
  }
}

/** The reading thread's loop: every packet to its worker's ring; returns how the reading ended. */
async function routeToRings(
  reader: CaptureReader,
  router: CaptureRouter,
  shards: readonly RingShardWorker[],
): Promise<string | null> {
  const teachMac = async (): Promise<void> => {
    const d = router.decoder;
    const mac = router.mac;
    for (const shard of shards) {
      while (
        !shard.tryPush(
          mac,
          HandoffKind.MIRROR_POINT_MAC,
          d.mirrorSourceVersion,
          0,
          0,
          0,
          mac.length,
          d.mirrorSourceWords,
        )
      )
        await shard.waitForRoom();
    }
  };
  let untilTurn = PACKETS_PER_TURN;
  while (reader.next()) {
    const buf = reader.buf;
    const offset = reader.offset;
    const length = reader.capturedLength;
    const linkType = reader.linkType;
    const sec = reader.tsSec;
    const nsec = reader.tsNsec;
    if (router.tickDue(sec, nsec)) {
      for (const shard of shards) {
        while (!shard.tryPush(NO_BYTES, HandoffKind.TICK, 0, sec, nsec, 0, 0)) await shard.waitForRoom();
      }
    }
    const kind = router.route(buf, offset, length, linkType, sec, nsec);
    if (router.taughtMac) await teachMac();
    if (kind !== HELD) {
      const shard = shards[router.owner];
      if (kind === HandoffKind.REASSEMBLED) {
        const whole = router.reassembled;
        while (!shard.tryPush(whole.buf, kind, 0, sec, nsec, whole.offset, whole.length))
          await shard.waitForRoom();
      } else {
        while (!shard.tryPush(buf, kind, linkType, sec, nsec, offset, length)) await shard.waitForRoom();
      }
    }
    if (--untilTurn === 0) {
      untilTurn = PACKETS_PER_TURN;
      // A sleeping worker is woken once a turn, not per packet (each wake is a futex call).
      for (const shard of shards) shard.ring.wakeIfWaiting();
      await yieldToLoop();
    }
  }
  for (const shard of shards) shard.ring.close();
  return reader.stopReason ?? null;
}

function sumCounters(
  parts: readonly ShardSummary[],
  own: Partial<Record<PipelineCounterKey, number>>,
): Record<PipelineCounterKey, number> {
  const out = {} as Record<PipelineCounterKey, number>;
  for (const { key } of PIPELINE_COUNTERS) {
    out[key] = parts.reduce((n, p) => n + p.counters[key], own[key] ?? 0);
  }
  return out;
}

function sumMaps(maps: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const map of maps) for (const [k, v] of Object.entries(map)) out[k] = (out[k] ?? 0) + v;
  return out;
}
