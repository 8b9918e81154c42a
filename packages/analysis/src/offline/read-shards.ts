// `read --workers N`: one thread reads the capture and sends each packet to the worker that owns its
// inner flow (the flow table's own key, so both directions and both mirror points' copies meet in one
// worker); N workers run the whole pipeline on their share and send back JSON Lines blocks, which this
// thread writes. Expiry runs in every worker at the instants one pipeline over the whole capture would
// have run it (the reading thread sends the ticks in capture order), so the records are those of a
// single pipeline, in another order.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import {
  CaptureReader,
  DecodeStatus,
  flowOwner,
  HandoffKind,
  HandoffRing,
  IpReassembler,
  LinkType,
  MirrorDecoder,
  MirrorStage,
  ReassemblyStatus,
} from '@fargate-mirror/wire';
import { AnalysisError } from '../errors.js';
import { MirrorPointRegistry } from '../flows/mirror-points.js';
import { JsonLinesWriter } from '../output/json-lines-writer.js';
import { EXPIRY_INTERVAL_MICROS, packetMicros } from '../pipeline/mirror-pipeline.js';
import { PIPELINE_COUNTERS, type PipelineCounterKey } from '../pipeline/pipeline-counters.js';
import { resolveEncapsulation } from './capture-encapsulation.js';
import type { ReadCaptureOptions, ReadSummary } from './read-capture.js';
import type {
  ShardPipelineOptions,
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
  readonly ring = HandoffRing.create(RING_BYTES);
  readonly thread: Worker;
  readonly done: Promise<ShardSummary>;
  /** Why the worker stopped before its summary, once it has. */
  private failure: Error | undefined;

  constructor(pipeline: ShardPipelineOptions, onRecords: ((block: Uint8Array) => void) | undefined) {
    const data: ShardWorkerData = { ring: this.ring.buffer, pipeline, records: onRecords !== undefined };
    // Resolved here, not at module load: the receiver's worker bundle (CommonJS, no import.meta.url)
    // carries this module too, and must load without starting read workers.
    this.thread = new Worker(new URL('./read-shard-worker.js', import.meta.url), { workerData: data });
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
 * is the sum of the workers' and the reading thread's counters.
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
  const encapsulation = resolveEncapsulation(options.file, options.encapsulation ?? 'auto', options);
  const mirror = encapsulation === 'mirror';
  const reader = CaptureReader.open(options.file);
  const records = options.records !== undefined ? JsonLinesWriter.open(options.records) : undefined;
  const pipeline: ShardPipelineOptions = {
    flows: options.flows,
    addressDomain: options.addressDomain,
    dvc: options.dvc,
    vxlanPort: options.vxlanPort,
    genevePort: options.genevePort,
    transactions: options.transactions,
    dedup: options.dedup,
  };
  const shards = Array.from(
    { length: workers },
    () =>
      new ShardWorker(pipeline, records === undefined ? undefined : (block) => records.writeEncoded(block)),
  );
  try {
    const decoder = new MirrorDecoder({ vxlanPort: options.vxlanPort, genevePort: options.genevePort });
    const reassembler = new IpReassembler();
    const perVni = options.addressDomain === 'vni';
    const own = { packets: 0, bytes: 0, outerFragments: 0, reassembled: 0 };
    // The worker of the flow the decoder just decoded; what has none (not mirror traffic, a bad
    // tunnel or inner header) is only counted, by worker 0.
    const owner = (status: number): ShardWorker =>
      shards[
        decoder.stage === MirrorStage.INNER && status === DecodeStatus.OK
          ? flowOwner(decoder.inner, perVni ? decoder.vni : 0, workers)
          : 0
      ];
    // A mirror point's ENI MAC is learned from one flow's frames and gives every flow of the point its
    // direction: learned here from every frame, it goes to every worker before the frame that taught it.
    const points = new MirrorPointRegistry();
    const mac = Buffer.alloc(10);
    /** Whether the frame just decoded taught a point's MAC (then `teachMac` before sending it on). */
    const learnsMac = (buf: Buffer, status: number): boolean => {
      const d = decoder;
      if (d.stage !== MirrorStage.INNER || status !== DecodeStatus.OK || d.mirrorSourceVersion === 0)
        return false;
      const id = points.idOf(d.vni, d.mirrorSourceWords, d.mirrorSourceVersion);
      if (points.knowsMac(id)) return false;
      points.frameSide(id, buf, d.inner);
      if (!points.knowsMac(id)) return false;
      mac.writeUInt32LE(d.vni, 0);
      points.copyMac(id, mac, 4);
      return true;
    };
    const teachMac = async (): Promise<void> => {
      const d = decoder;
      const kind = HandoffKind.MIRROR_POINT_MAC;
      const words = d.mirrorSourceWords;
      for (const shard of shards) {
        while (!shard.tryPush(mac, kind, d.mirrorSourceVersion, 0, 0, 0, mac.length, words))
          await shard.waitForRoom();
      }
    };
    let lastTick = 0;
    let untilTurn = PACKETS_PER_TURN;
    while (reader.next()) {
      const buf = reader.buf;
      const offset = reader.offset;
      const length = reader.capturedLength;
      const sec = reader.tsSec;
      const nsec = reader.tsNsec;
      const now = packetMicros(sec, nsec);
      if (now - lastTick >= EXPIRY_INTERVAL_MICROS) {
        // Where one pipeline would expire, before this packet: in every worker, and the fragments here.
        lastTick = now;
        reassembler.expire(now);
        for (const shard of shards) {
          while (!shard.tryPush(NO_BYTES, HandoffKind.TICK, 0, sec, nsec, 0, 0)) await shard.waitForRoom();
        }
      }
      if (!mirror) {
        const status = decoder.decodeUnencapsulated(buf, offset, offset + length, reader.linkType);
        const shard = owner(status);
        while (!shard.tryPush(buf, HandoffKind.UNENCAPSULATED, reader.linkType, sec, nsec, offset, length))
          await shard.waitForRoom();
      } else {
        const status = decoder.decodeCaptured(buf, offset, offset + length, reader.linkType);
        if (status !== DecodeStatus.OUTER_FRAGMENT) {
          if (learnsMac(buf, status)) await teachMac();
          const shard = owner(status);
          while (!shard.tryPush(buf, HandoffKind.CAPTURED, reader.linkType, sec, nsec, offset, length))
            await shard.waitForRoom();
        } else {
          // Counted here as one pipeline counts them; the whole datagram goes to its flow's worker.
          own.packets++;
          own.bytes += length;
          own.outerFragments++;
          const outer = decoder.outer;
          const l3End = outer.ipVersion === 4 ? outer.ipv4.capturedEnd : outer.ipv6.capturedEnd;
          const r = reassembler;
          if (r.add(buf, outer.l3Offset, l3End - outer.l3Offset, now) === ReassemblyStatus.COMPLETE) {
            own.reassembled++;
            const whole = decoder.decodeCaptured(r.out, r.outOffset, r.outOffset + r.outLength, LinkType.RAW);
            if (learnsMac(r.out, whole)) await teachMac();
            const shard = owner(whole);
            while (!shard.tryPush(r.out, HandoffKind.REASSEMBLED, 0, sec, nsec, r.outOffset, r.outLength))
              await shard.waitForRoom();
          }
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
    const parts = await Promise.all(shards.map((s) => s.done));
    return {
      file: options.file,
      format: reader.format,
      encapsulation,
      ...sumCounters(parts, own),
      records: parts.reduce((n, p) => n + p.records, 0),
      malformed: sumMaps(parts.map((p) => p.malformed)),
      transactions: sumMaps(parts.map((p) => p.transactions)),
      reassembly: sumMaps(parts.map((p) => p.reassembly)),
      captureStop: reader.stopReason ?? null,
    };
  } finally {
    await Promise.all(shards.map((s) => s.thread.terminate()));
    records?.close();
    reader.close();
  }
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
