import type { RemoteInfo, Socket } from 'node:dgram';
import { MirrorPipeline, type MirrorRecord, recordJson } from '@fargate-mirror/analysis';
import {
  DecodeStatus,
  flowOwner,
  HandoffKind,
  HandoffRing,
  type MirrorDecoder,
  MirrorStage,
} from '@fargate-mirror/wire';
import type { Logger } from 'pino';
import { createWorkloadIdentity, type WorkloadIdentity } from '../identity/workload-identity.js';
import { readWorkerCounters, type WorkerCounterSources } from '../metrics/receiver-counters.js';
import { RotatingPcapSink } from '../sinks/rotating-pcap-sink.js';
import { loadNativeIntake, NATIVE_META_WORDS, type NativeIntakeBinding } from './native-intake.js';
import { NATIVE_SLOT_BYTES, NativeMirrorSocket } from './native-socket.js';
import { OuterFragments } from './outer-fragments.js';
import { PacketRing, RING_ROW_WORDS, RingRow } from './packet-ring.js';
import { ReceiveClock } from './receive-clock.js';
import { SenderAddressCache } from './sender-address-cache.js';
import { SourceAllowList } from './source-allow-list.js';
import { openMirrorSocket } from './udp-socket.js';
import { VniCounters } from './vni-counters.js';
import type {
  MirrorPointMac,
  ReceiverWorkerData,
  WorkerStatsSnapshot,
  WorkerToMain,
} from './worker-protocol.js';

const RECORDS_BATCH_BYTES = 256 * 1024;
const MAINTENANCE_MS = 1000;
/** Native intake: batches taken before the worker serves its event loop (timers, handoffs, messages). */
const NATIVE_ROUNDS = 8;
/** Native intake, every socket empty: how long the worker waits in poll() before serving its loop. */
const NATIVE_IDLE_WAIT_MS = 10;
/** ...with other workers, whose handoffs the loop drains: shorter. */
const NATIVE_IDLE_WAIT_SHARED_MS = 1;
/**
 * At a stop, how long the worker may go on reading what the kernel already queued for its sockets
 * (a 64 MiB receive buffer holds about 60,000 small datagrams: a second for the dgram intake). Past
 * it, with senders that do not stop, the rest is left.
 */
const STOP_DRAIN_MS = 5000;
/** Receive buffer of the afpacket intake's sockets, which drop every datagram (the ring reads them). */
const DISCARD_SOCKET_BUFFER = 65_536;
/** The dgram intake at a stop: this long without a datagram and its sockets are empty. */
const STOP_QUIET_MS = 20;

/**
 * One receive worker: its own sockets on the shared ports, its own pipeline (flow table, pcap files),
 * and the flow-affinity step that sends each datagram to the worker owning its inner connection.
 *
 * Per datagram it allocates nothing beyond what dgram itself does (a Buffer and a RemoteInfo object
 * per message): decoding is in place, the sender address is cached, handoffs are copied into shared
 * rings, counters are numbers. Everything leaving the worker (records, counters) is batched.
 */
export class ReceiverWorker {
  private readonly data: ReceiverWorkerData;
  private readonly post: (message: WorkerToMain) => void;
  private readonly log: Logger;
  private readonly pipeline: MirrorPipeline;
  private readonly pcap: RotatingPcapSink | undefined;
  private readonly outRings: (HandoffRing | null)[];
  private readonly inRings: HandoffRing[];
  private readonly clock = new ReceiveClock();
  private readonly senders: SenderAddressCache;
  private readonly source = new Uint32Array(4);
  private readonly handoffSource = new Uint32Array(4);
  private readonly vniCounters = new VniCounters();
  private readonly perVniDomain: boolean;
  private readonly sockets: Socket[] = [];
  private readonly nativeSockets: NativeMirrorSocket[] = [];
  private nativeFds = new Int32Array(0);
  /** The afpacket intake's ring (its sockets, bound, drop what they receive). */
  private ring: PacketRing | undefined;
  /** The afpacket intake's outer IP fragments, until each datagram is whole. */
  private fragments: OuterFragments | undefined;
  private binding: NativeIntakeBinding | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private recordLines: string[] = [];
  private recordBytes = 0;
  private reading = false;
  private finished = false;
  private identity: WorkloadIdentity | undefined;
  private readonly counters = {
    datagrams: 0,
    datagramBytes: 0,
    vxlanDatagrams: 0,
    geneveDatagrams: 0,
    handoffsOut: 0,
    handoffsIn: 0,
    handoffDrops: 0,
    recordsEmitted: 0,
    sourceNotAllowed: 0,
  };

  constructor(data: ReceiverWorkerData, post: (message: WorkerToMain) => void, log: Logger) {
    this.data = data;
    this.post = post;
    this.log = log;
    const config = data.config;
    this.perVniDomain = config.addressDomain === 'vni';
    const allowList =
      config.allowSources === undefined ? undefined : new SourceAllowList(config.allowSources);
    this.senders = new SenderAddressCache(allowList === undefined ? undefined : (a) => allowList.allows(a));
    let vniOf: (() => number) | undefined;
    if (data.pcapDir !== undefined) {
      this.pcap = new RotatingPcapSink({
        dir: data.pcapDir,
        workerId: data.workerId,
        rotateBytes: config.rotateMb * 1024 * 1024,
        rotateMs: config.rotateSeconds * 1000,
        snaplen: config.pcapSnaplen,
        vniOf: config.pcapPerVni ? () => vniOf?.() ?? 0 : undefined,
        onFileOpen: (path, openedAt, vni) => this.post({ type: 'file-open', path, openedAt, vni }),
        onFileComplete: (path, bytes) => this.post({ type: 'file-complete', path, bytes }),
        onError: (error) =>
          this.log.error({ err: error }, 'pcap sink failed; dropping frames for a second, then a new file'),
      });
    }
    this.pipeline = new MirrorPipeline({
      onRecord: data.records ? (record) => this.addRecord(record) : () => this.counters.recordsEmitted++,
      innerFrames: this.pcap,
      innerFramePositions: this.pcap,
      flows: config.flows,
      addressDomain: config.addressDomain,
      dvc: config.dvc,
      // No vxlanPort: the sockets already sort VXLAN from GENEVE, and inside GENEVE a GWLB carries the
      // mirror's own packet, VXLAN on 4789 whatever --port is (the decoder's default).
      genevePort: data.genevePort || undefined,
      transactions: config.transactions.enabled
        ? {
            redaction:
              config.transactions.redactQuery !== undefined
                ? { queryParameters: config.transactions.redactQuery }
                : undefined,
            captureHeaders: config.transactions.captureHeaders,
          }
        : false,
      dedup: config.dedup.enabled
        ? { windowMs: config.dedup.windowMs, capacity: config.dedup.capacity }
        : false,
      // Set once start() has the identity (records only begin after the sockets open).
      enrich:
        config.identity.map !== undefined || config.identity.aws
          ? (r) => this.identity?.enrich(r)
          : undefined,
    });
    const decoder = this.pipeline.decoder;
    vniOf = () => decoder.vni;
    if (data.workers > 1) this.pipeline.mirrorPoints.onMacLearned = (point) => this.shareMac(point);
    this.outRings = data.toWorker.map((b) => (b === null ? null : new HandoffRing(b)));
    this.inRings = data.fromWorker
      .filter((b): b is SharedArrayBuffer => b !== null)
      .map((b) => new HandoffRing(b));
  }

  /** A point's ENI MAC this worker learned, for the main thread to pass to the others (once a point). */
  private shareMac(point: number): void {
    const points = this.pipeline.mirrorPoints;
    const words = new Uint32Array(4);
    points.sourceWordsOf(point, words);
    const mac = new Uint8Array(6);
    points.copyMac(point, mac, 0);
    this.post({
      type: 'mirror-point-mac',
      vni: points.vniOf(point),
      words: [...words],
      version: points.versionOf(point),
      mac: [...mac],
    });
  }

  /** A MAC another worker learned: flows of that point here get their direction from it too. */
  learnMac(message: MirrorPointMac): void {
    const points = this.pipeline.mirrorPoints;
    const point = points.idOf(message.vni, Uint32Array.from(message.words), message.version);
    if (!points.knowsMac(point)) points.teachMac(point, Uint8Array.from(message.mac), 0);
  }

  /** Binds the sockets and starts reading; posts `ready`. */
  async start(): Promise<void> {
    const { config, port, genevePort } = this.data;
    const id = config.identity;
    // Held before its first sweep, so an SDK failure during that sweep finds it (absorbStrayError).
    this.identity = createWorkloadIdentity({
      mapFile: id.map,
      aws: id.aws,
      clusters: id.clusters,
      refreshSeconds: id.refreshSeconds,
      ttlSeconds: id.ttlSeconds,
      negativeTtlSeconds: id.negativeTtlSeconds,
      graceSeconds: id.graceSeconds,
      // Already rate-limited by the resolver: one line per error code a minute, with what it held back.
      onError: (error, what, { code, suppressed }) =>
        this.log.warn(
          { err: error, code, suppressedSinceLastReport: suppressed },
          `${what} failed (${code}); earlier answers stay in use, records go on without what is missing`,
        ),
    });
    await this.identity?.resolver.start();
    const reusePort = true;
    let recvBufferBytes: number;
    if (this.data.intake === 'native') {
      recvBufferBytes = this.openNative(reusePort);
    } else if (this.data.intake === 'afpacket') {
      recvBufferBytes = this.openRing(reusePort);
    } else {
      const vxlan = await openMirrorSocket(config.bind, port, config.recvBuffer, reusePort);
      this.sockets.push(vxlan.socket);
      recvBufferBytes = vxlan.recvBufferBytes;
      vxlan.socket.on('message', (msg: Buffer, rinfo: RemoteInfo) =>
        this.receiveDgram(msg, rinfo, HandoffKind.VXLAN),
      );
      if (genevePort !== 0) {
        const geneve = await openMirrorSocket(config.bind, genevePort, config.recvBuffer, reusePort);
        this.sockets.push(geneve.socket);
        geneve.socket.on('message', (msg: Buffer, rinfo: RemoteInfo) =>
          this.receiveDgram(msg, rinfo, HandoffKind.GENEVE),
        );
      }
      for (const s of this.sockets) s.on('error', (error) => this.log.error({ err: error }, 'socket error'));
    }
    this.reading = true;
    for (const ring of this.inRings) this.armRing(ring);
    this.timers.push(setInterval(() => this.maintain(), MAINTENANCE_MS));
    this.timers.push(
      setInterval(() => this.post({ type: 'stats', stats: this.snapshot() }), config.statsIntervalMs),
    );
    this.timers.push(setInterval(() => this.flushRecords(), config.recordsFlushMs));
    if (this.binding !== undefined) setImmediate(this.pumpNative);
    this.post({
      type: 'ready',
      recvBufferBytes,
      sockets: this.sockets.length + this.nativeSockets.length,
      fanoutGroup: this.ring !== undefined && this.ring.fanoutGroup > 0 ? this.ring.fanoutGroup : undefined,
    });
  }

  /**
   * An unhandled rejection reached the thread. One raised inside the AWS SDK (which leaves some of its
   * configuration promises unawaited) while identity resolves through AWS is an identity failure:
   * counted, reported (rate-limited), and the worker goes on. Returns false for anything else.
   */
  absorbStrayError(error: unknown): boolean {
    const resolver = this.identity?.resolver;
    if (resolver === undefined || !this.data.config.identity.aws || !raisedInAwsSdk(error)) return false;
    resolver.noteStrayError(error);
    return true;
  }

  /**
   * Reads what the kernel already holds for the sockets (closing them would discard it: a stop right
   * after a burst lost tens of thousands of datagrams), for at most STOP_DRAIN_MS, and stops reading.
   * The sockets stay open until `finish`, so that the main thread can read their kernel drop counters
   * (/proc/net/udp) first: a closed socket takes its count with it.
   */
  async stopReading(): Promise<void> {
    const deadline = Date.now() + STOP_DRAIN_MS;
    if (this.reading) {
      this.drainNativeSockets(deadline);
      await this.drainDgramSockets(deadline);
    }
    this.reading = false;
  }

  /**
   * Takes what other workers handed over, ends every open flow (emitting its record), sends the last
   * records and counters, and completes the pcap files. Call once every worker has stopped reading.
   */
  finish(): void {
    this.finished = true;
    this.closeSockets();
    for (const ring of this.inRings) {
      ring.drain(this.visitHandoff);
      ring.cancelWait();
    }
    this.pipeline.finish();
    this.identity?.close();
    this.flushRecords();
    this.pcap?.close();
    for (const t of this.timers) clearInterval(t);
    this.post({ type: 'stats', stats: this.snapshot() });
  }

  /**
   * The afpacket intake: the ports bound as the native intake binds them (so senders get no ICMP
   * port unreachable), each socket set to drop what it receives, and the ring on the capture
   * interface, about recvBuffer in size, taking the datagrams instead. Returns the ring's bytes.
   */
  private openRing(reusePort: boolean): number {
    const { config, port, genevePort, workers } = this.data;
    this.openNative(reusePort, DISCARD_SOCKET_BUFFER);
    const binding = this.binding as NativeIntakeBinding;
    for (const socket of this.nativeSockets) PacketRing.discard(binding, socket.fd);
    // Every worker of this receiver in one fanout group: the first makes it (the kernel picks an id
    // no other receiver's rings use), the others join it.
    const group = workers > 1 ? (this.data.fanoutGroup ?? 0) : -1;
    const iface = config.captureInterface as string;
    this.ring = PacketRing.open(binding, iface, config.recvBuffer, port, genevePort, group);
    this.fragments = new OuterFragments(port, genevePort);
    this.nativeFds = Int32Array.of(this.ring.fd);
    return this.ring.data.length;
  }

  /** Binds the native intake's sockets (the addon loaded in the main thread, so it loads here). */
  private openNative(reusePort: boolean, recvBuffer = this.data.config.recvBuffer): number {
    const { config, port, genevePort } = this.data;
    const binding = loadNativeIntake().binding;
    if (binding === undefined)
      throw new Error('the native intake addon loaded in the main thread but not here');
    this.binding = binding;
    const vxlan = NativeMirrorSocket.open(
      binding,
      config.bind,
      port,
      recvBuffer,
      reusePort,
      HandoffKind.VXLAN,
    );
    this.nativeSockets.push(vxlan);
    if (genevePort !== 0)
      this.nativeSockets.push(
        NativeMirrorSocket.open(binding, config.bind, genevePort, recvBuffer, reusePort, HandoffKind.GENEVE),
      );
    this.nativeFds = Int32Array.from(this.nativeSockets, (s) => s.fd);
    return vxlan.recvBufferBytes;
  }

  /**
   * The native intake's loop: up to NATIVE_ROUNDS batches from every socket, then the event loop
   * runs (setImmediate: timers, handoff wake-ups, the main thread's messages). With every socket
   * empty it first waits in poll() for a short while, so an idle worker sleeps in the kernel.
   */
  private readonly pumpNative = (): void => {
    if (!this.reading) return;
    const binding = this.binding as NativeIntakeBinding;
    const sockets = this.nativeSockets;
    try {
      let total = 0;
      for (let round = 0; round < NATIVE_ROUNDS; round++) {
        let taken = 0;
        if (this.ring !== undefined) taken += this.drainRing(this.ring);
        else for (let i = 0; i < sockets.length; i++) taken += this.drainNative(sockets[i]);
        total += taken;
        if (taken === 0) break;
      }
      if (total === 0 && this.reading)
        binding.waitReadable(
          this.nativeFds,
          this.data.workers > 1 ? NATIVE_IDLE_WAIT_SHARED_MS : NATIVE_IDLE_WAIT_MS,
        );
    } catch (error) {
      // recvmmsg failed for a reason other than an empty queue: say so and keep reading.
      this.log.error({ err: error }, 'native intake: receive failed');
    }
    setImmediate(this.pumpNative);
  };

  /** Nothing more is read: what the kernel still holds for the sockets is dropped. */
  private closeSockets(): void {
    for (const s of this.sockets) s.close();
    this.sockets.length = 0;
    for (const s of this.nativeSockets) s.close();
    this.nativeSockets.length = 0;
    this.ring?.close();
  }

  /** Native sockets: batches until every one is empty (or the deadline). */
  private drainNativeSockets(deadline: number): void {
    try {
      if (this.ring !== undefined) {
        this.drainRingAtStop(this.ring, deadline);
        return;
      }
      for (;;) {
        let taken = 0;
        for (const socket of this.nativeSockets) taken += this.drainNative(socket);
        if (taken === 0 || Date.now() >= deadline) return;
      }
    } catch (error) {
      this.log.error({ err: error }, 'native intake: receive failed while stopping');
    }
  }

  /**
   * The ring until nothing more comes: the kernel hands over a block that is not full only after the
   * ring's retire time, so "empty" is a while without a frame, not one empty look.
   */
  private drainRingAtStop(ring: PacketRing, deadline: number): void {
    let quietSince = Date.now();
    while (Date.now() < deadline) {
      if (this.drainRing(ring) > 0) quietSince = Date.now();
      else if (Date.now() - quietSince >= STOP_QUIET_MS) return;
      else (this.binding as NativeIntakeBinding).waitReadable(this.nativeFds, 5);
    }
  }

  /** dgram sockets: Node delivers what is queued as events; wait until none came for a moment. */
  private async drainDgramSockets(deadline: number): Promise<void> {
    if (this.sockets.length === 0) return;
    let seen = this.counters.datagrams;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, STOP_QUIET_MS));
      if (this.counters.datagrams === seen) return;
      seen = this.counters.datagrams;
    }
  }

  /** What the afpacket intake's ring took since the previous call through the pipeline; returns how many rows. */
  private drainRing(ring: PacketRing): number {
    const n = ring.take();
    const { meta, data } = ring;
    for (let i = 0; i < n; i++) {
      const row = i * RING_ROW_WORDS;
      const kind = meta[row + 6];
      // The kernel's capture time of the frame (the pcap's and the records' time, as tcpdump's),
      // not when this worker got to it: a block can wait up to its retire time.
      this.clock.set(meta[row + 8] >>> 0, meta[row + 9]);
      if (kind === RingRow.FRAME) {
        // An outer IP fragment (the kernel reassembles them only for sockets): once the datagram is
        // whole, it goes on as the socket would have handed it over.
        const f = this.fragments as OuterFragments;
        if (!f.add(data, meta[row + 7], meta[row], this.clock.micros)) continue;
        const version = this.senders.resolveWords(f.senderRow, 0, this.source);
        this.receive(f.buf, f.offset, f.length, f.kind, version);
        continue;
      }
      const version = this.senders.resolveWords(meta, row, this.source);
      this.receive(data, meta[row + 7], meta[row], kind, version);
    }
    return n;
  }

  /** One batch from `socket` through the pipeline; returns how many datagrams it took. */
  private drainNative(socket: NativeMirrorSocket): number {
    const n = socket.receive();
    const { data, meta, kind } = socket;
    for (let i = 0; i < n; i++) {
      const row = i * NATIVE_META_WORDS;
      const version = this.senders.resolveWords(meta, row, this.source);
      this.clock.read();
      this.receive(data, i * NATIVE_SLOT_BYTES, meta[row], kind, version);
    }
    return n;
  }

  private receiveDgram(msg: Buffer, rinfo: RemoteInfo, kind: number): void {
    const version = this.senders.resolve(rinfo.address, this.source);
    this.clock.read();
    this.receive(msg, 0, msg.length, kind, version);
  }

  /** A datagram of `length` bytes at `offset` in `buf`, its sender in `this.source`, its time in `this.clock`. */
  private receive(buf: Buffer, offset: number, length: number, kind: number, version: number): void {
    const c = this.counters;
    c.datagrams++;
    c.datagramBytes += length;
    if (kind === HandoffKind.VXLAN) c.vxlanDatagrams++;
    else c.geneveDatagrams++;
    if (!this.senders.allowed) {
      // Not one of --allow-sources: dropped before decoding, so nobody else can inject records.
      c.sourceNotAllowed++;
      return;
    }
    const clock = this.clock;
    const workers = this.data.workers;
    if (workers > 1) {
      // Take what other workers handed over first, so the two directions of a connection reach the
      // flow table in nearly the order they arrived (an empty ring costs two atomic loads).
      const rings = this.inRings;
      for (let i = 0; i < rings.length; i++) if (!rings[i].isEmpty) rings[i].drain(this.visitHandoff);
      // Decode once, with the pipeline's decoder: the inner packet names its owner, and when that is
      // this worker the pipeline carries on from the decoded state.
      const pipeline = this.pipeline;
      const d = pipeline.decoder;
      const status = pipeline.decodePayload(
        buf,
        offset,
        length,
        kind !== HandoffKind.VXLAN,
        this.source,
        version,
      );
      const owner = this.ownerOf(d, workers);
      if (owner !== this.data.workerId) {
        const ring = this.outRings[owner] as HandoffRing;
        if (ring.push(buf, kind, this.source, version, clock.sec, clock.nsec, offset, length)) {
          c.handoffsOut++;
          ring.wakeIfWaiting();
        } else {
          c.handoffDrops++;
        }
        return;
      }
      pipeline.handleDecoded(status, buf, length, clock.sec, clock.nsec);
      this.countVni();
      return;
    }
    this.process(buf, offset, length, kind, this.source, version, clock.sec, clock.nsec);
  }

  /** The worker owning the decoded datagram's inner connection. */
  private ownerOf(d: MirrorDecoder, workers: number): number {
    // Malformed and non-IP datagrams have no flow: whoever received them counts them.
    if (d.stage !== MirrorStage.INNER || d.inner.ipVersion === 0) return this.data.workerId;
    return flowOwner(d.inner, this.perVniDomain ? d.vni : 0, workers);
  }

  private process(
    buf: Buffer,
    offset: number,
    length: number,
    kind: number,
    source: Uint32Array,
    sourceVersion: number,
    tsSec: number,
    tsNsec: number,
  ): void {
    const pipeline = this.pipeline;
    if (kind === HandoffKind.VXLAN)
      pipeline.handleVxlanPayload(buf, offset, length, source, sourceVersion, tsSec, tsNsec);
    else pipeline.handleGenevePayload(buf, offset, length, tsSec, tsNsec);
    this.countVni();
  }

  /** Per-VNI packets and bytes of the datagram the pipeline just took. */
  private countVni(): void {
    const d = this.pipeline.decoder;
    if (d.stage === MirrorStage.INNER && d.status === DecodeStatus.OK)
      this.vniCounters.add(d.vni, d.inner.ipLength);
  }

  private readonly visitHandoff = (ring: HandoffRing, record: number): void => {
    this.counters.handoffsIn++;
    const version = ring.source(record, this.handoffSource);
    this.process(
      ring.data,
      ring.payloadOffset(record),
      ring.payloadLength(record),
      ring.kind(record),
      this.handoffSource,
      version,
      ring.tsSec(record),
      ring.tsNsec(record),
    );
  };

  /** Drains `ring` whenever its producer publishes, batching whatever arrived meanwhile. */
  private armRing(ring: HandoffRing): void {
    if (this.finished) return;
    const waiting = ring.waitForData();
    const next = () => {
      if (this.finished) return;
      ring.drain(this.visitHandoff);
      this.armRing(ring);
    };
    if (waiting === undefined) setImmediate(next);
    else void waiting.then(next);
  }

  private maintain(): void {
    const clock = this.clock;
    clock.read();
    // Idle flows end on wall-clock time too, not only when the next packet arrives.
    this.pipeline.tick(clock.micros);
    this.fragments?.expire(clock.micros);
    // The ring's frames and drops, as the kernel counts them, for the next snapshot.
    this.ring?.updateStats();
    if (this.pcap !== undefined) {
      this.pcap.maintain();
      this.pcap.flush();
    }
  }

  private addRecord(record: MirrorRecord): void {
    const line = recordJson(record);
    this.recordLines.push(line);
    this.recordBytes += line.length + 1;
    this.counters.recordsEmitted++;
    if (this.recordBytes >= RECORDS_BATCH_BYTES) this.flushRecords();
  }

  private flushRecords(): void {
    if (this.recordLines.length === 0) return;
    const count = this.recordLines.length;
    const text = `${this.recordLines.join('\n')}\n`;
    this.recordLines = [];
    this.recordBytes = 0;
    this.post({ type: 'records', text, count });
  }

  snapshot(): WorkerStatsSnapshot {
    return {
      worker: this.data.workerId,
      counters: readWorkerCounters(this.counterSources),
      malformed: this.pipeline.stats.malformedByReason(),
      vni: this.vniCounters.snapshot(),
    };
  }

  private get counterSources(): WorkerCounterSources {
    return {
      pipeline: this.pipeline,
      own: this.counters,
      ring: this.ring,
      fragments: this.fragments,
      pcap: this.pcap,
      identity: this.identity?.resolver,
    };
  }

  get isReading(): boolean {
    return this.reading;
  }
}

/** Whether `error` was raised in the AWS SDK's code (its stack runs through @aws-sdk or @smithy). */
function raisedInAwsSdk(error: unknown): boolean {
  const stack = (error as { stack?: unknown } | null)?.stack;
  return typeof stack === 'string' && /[\\/]node_modules[\\/]@(?:aws-sdk|smithy)[\\/]/.test(stack);
}
