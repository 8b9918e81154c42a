import { Worker } from 'node:worker_threads';
import { HandoffRing } from '@fargate-mirror/wire';
import type { Logger } from 'pino';
import type { ReceiverConfig } from '../config/receiver-config.js';
import { ReceiverError } from '../errors.js';
import type { Intake } from './native-intake.js';
import type {
  MainToWorker,
  MirrorPointMac,
  ReceiverWorkerData,
  WorkerStatsSnapshot,
  WorkerToMain,
} from './worker-protocol.js';
import { emptySlot, type WorkerSlot } from './worker-slot.js';

const WORKER_URL = new URL('./worker-main.js', import.meta.url);
const QUICK_DEATH_MS = 30_000;
const STEP_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 5000;

/** Where the supervisor hands what the workers send, and what it tells about their deaths. */
export interface WorkerEvents {
  stats(snapshot: WorkerStatsSnapshot): void;
  records(text: string, count: number, workerId: number): void;
  /** A pcap file opened: its final path, when, and its VNI (-1: the worker's one series). */
  fileOpen(path: string, openedAt: number, vni: number, workerId: number): void;
  fileComplete(path: string, bytes: number, workerId: number): void;
  /** A worker died while running (not during start or shutdown), before it is restarted. */
  died(workerId: number): void;
}

export interface WorkerPorts {
  readonly bind: string;
  readonly port: number;
  readonly genevePort: number;
  readonly intake: Intake;
}

/**
 * The receive worker threads: spawns them with their handoff rings, routes their messages, restarts
 * one that dies (with back-off for repeated quick deaths), terminates one on request (fault
 * injection), and walks them through the shutdown steps.
 */
export class WorkerSupervisor {
  private readonly config: ReceiverConfig;
  private readonly log: Logger;
  private readonly events: WorkerEvents;
  private readonly slots: WorkerSlot[];
  /** Mirror points' ENI MACs the workers learned, for every worker (and one restarted). */
  private readonly macs: MirrorPointMac[] = [];
  private rings: (SharedArrayBuffer | null)[][] = [];
  private ports: WorkerPorts | undefined;
  /** The afpacket intake's fanout group, once the first worker made it: later workers join it. */
  private fanoutGroup: number | undefined;
  private pcapDir: string | undefined;
  private records = false;
  private shuttingDown = false;
  private startupFailure: ((error: Error) => void) | undefined;
  /** Receive buffer the kernel granted the sockets, as the last worker to start reported it. */
  recvBufferBytes = 0;
  restarts = 0;

  constructor(config: ReceiverConfig, log: Logger, events: WorkerEvents) {
    this.config = config;
    this.log = log;
    this.events = events;
    this.slots = Array.from({ length: config.workers }, (_, i) => emptySlot(i));
  }

  get count(): number {
    return this.slots.length;
  }

  get alive(): number {
    return this.slots.filter((s) => s.alive).length;
  }

  /** Workers dead or not yet ready. */
  get notRunning(): number {
    return this.slots.filter((s) => !s.alive || !s.ready).length;
  }

  /**
   * Starts every worker on `ports`, writing pcap to `pcapDir` and sending records when `records`;
   * resolves once all are ready, rejects when one fails to start.
   */
  async start(ports: WorkerPorts, pcapDir: string | undefined, records: boolean): Promise<void> {
    this.ports = ports;
    this.pcapDir = pcapDir;
    this.records = records;
    this.createRings();
    // The packet rings' fanout group is made by the first worker; the others start once it exists.
    const first = ports.intake === 'afpacket' && this.slots.length > 1 ? this.slots.slice(0, 1) : [];
    await this.spawnAll(first);
    await this.spawnAll(this.slots.slice(first.length));
    this.startupFailure = undefined;
  }

  /** Starts `slots` and resolves once each is ready (rejects when one fails to start). */
  private spawnAll(slots: readonly WorkerSlot[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.startupFailure = reject;
      let ready = 0;
      if (slots.length === 0) resolve();
      for (const slot of slots) {
        this.spawn(slot, () => {
          ready++;
          if (ready === slots.length) resolve();
        });
      }
    });
  }

  /**
   * The workers' part of a graceful stop: read what the sockets hold and stop reading; then
   * `onStoppedReading` (the sockets are still open: their kernel drop counters can be read); then
   * take over handoffs, close the sockets, end open flows, exit. No worker is restarted from here on.
   */
  async stop(onStoppedReading?: () => void): Promise<void> {
    this.shuttingDown = true;
    for (const slot of this.slots) if (slot.restartTimer !== undefined) clearTimeout(slot.restartTimer);
    await this.eachAliveWorker('stop-reading', (slot, done) => {
      slot.onStoppedReading = done;
    });
    onStoppedReading?.();
    this.log.info('stopped reading; ending open flows');
    await this.eachAliveWorker('finish', (slot, done) => {
      slot.onFinished = done;
    });
    await Promise.all(this.slots.map((slot) => this.waitForExit(slot)));
  }

  /** Ends every worker at once (a failed start). */
  async terminate(): Promise<void> {
    this.shuttingDown = true;
    await Promise.all(this.slots.map((s) => s.worker?.terminate()));
  }

  /** Fault injection: terminates worker `id` as if it had crashed. */
  crash(id: number): boolean {
    const slot = this.slots[id];
    if (slot?.worker === undefined || !slot.alive) return false;
    this.log.warn({ worker: id }, 'fault injection: terminating worker');
    void slot.worker.terminate();
    return true;
  }

  private createRings(): void {
    const n = this.config.workers;
    // rings[i][j]: worker i hands worker j the packets j owns.
    this.rings = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) =>
        i === j ? null : HandoffRing.create(this.config.handoffRingBytes).buffer,
      ),
    );
  }

  private spawn(slot: WorkerSlot, onReady?: () => void): void {
    const ports = this.ports as WorkerPorts;
    const data: ReceiverWorkerData = {
      workerId: slot.id,
      workers: this.config.workers,
      intake: ports.intake,
      config: this.config,
      port: ports.port,
      genevePort: ports.genevePort,
      pcapDir: this.pcapDir,
      records: this.records,
      toWorker: this.rings[slot.id],
      fromWorker: this.rings.map((row) => row[slot.id]),
      fanoutGroup: this.fanoutGroup,
    };
    const worker = new Worker(WORKER_URL, {
      workerData: { ...data, config: { ...this.config, bind: ports.bind } },
    });
    slot.worker = worker;
    slot.alive = true;
    slot.ready = false;
    slot.startedAt = Date.now();
    worker.on('message', (message: WorkerToMain) => this.onMessage(slot, message, onReady));
    worker.on('error', (error) => this.log.error({ err: error, worker: slot.id }, 'worker failed'));
    worker.on('exit', (code) => this.onExit(slot, worker, code));
  }

  private onMessage(slot: WorkerSlot, message: WorkerToMain, onReady?: () => void): void {
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        this.recvBufferBytes = message.recvBufferBytes;
        if (message.fanoutGroup !== undefined) this.fanoutGroup ??= message.fanoutGroup;
        // A worker started again after a crash learns what the others had learned.
        for (const mac of this.macs) slot.worker?.postMessage(mac satisfies MainToWorker);
        onReady?.();
        break;
      case 'mirror-point-mac':
        this.macs.push(message);
        for (const other of this.slots) {
          if (other !== slot && other.ready) other.worker?.postMessage(message satisfies MainToWorker);
        }
        break;
      case 'stats':
        this.events.stats(message.stats);
        break;
      case 'records':
        this.events.records(message.text, message.count, slot.id);
        break;
      case 'file-open':
        this.events.fileOpen(message.path, message.openedAt, message.vni, slot.id);
        break;
      case 'file-complete':
        this.events.fileComplete(message.path, message.bytes, slot.id);
        break;
      case 'stopped-reading':
        slot.onStoppedReading?.();
        break;
      case 'finished':
        slot.onFinished?.();
        break;
      case 'fatal': {
        const error = new ReceiverError(message.code, message.message);
        this.log.error({ worker: slot.id, code: message.code }, message.message);
        if (this.startupFailure !== undefined) this.startupFailure(error);
        break;
      }
    }
  }

  private onExit(slot: WorkerSlot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    slot.alive = false;
    slot.worker = undefined;
    const exit = slot.onExit;
    slot.onStoppedReading?.();
    slot.onFinished?.();
    exit?.();
    if (this.shuttingDown || this.startupFailure !== undefined) {
      if (this.startupFailure !== undefined && !slot.ready) {
        this.startupFailure(
          new ReceiverError(
            'RECEIVER_WORKER_FAILED',
            `worker ${slot.id} exited with code ${code} while starting`,
          ),
        );
      }
      return;
    }
    // Died while running: its counts are kept, its partial pcap made visible, a new one started.
    this.events.died(slot.id);
    this.restarts++;
    slot.quickDeaths = Date.now() - slot.startedAt < QUICK_DEATH_MS ? slot.quickDeaths + 1 : 0;
    const delay = Math.min(10_000, 200 * 2 ** Math.min(slot.quickDeaths, 6));
    this.log.error(
      { worker: slot.id, code, restartInMs: delay },
      'worker died; restarting it (its open flows are lost)',
    );
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (!this.shuttingDown) this.spawn(slot);
    }, delay);
  }

  /** Sends `type` to every live worker and waits until each answers (or exits). */
  private async eachAliveWorker(
    type: 'stop-reading' | 'finish',
    arm: (slot: WorkerSlot, done: () => void) => void,
  ): Promise<void> {
    await Promise.all(
      this.slots
        .filter((slot) => slot.alive && slot.worker !== undefined)
        .map(
          (slot) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(() => {
                this.log.error({ worker: slot.id, step: type }, 'worker did not answer in time');
                resolve();
              }, STEP_TIMEOUT_MS);
              arm(slot, () => {
                clearTimeout(timer);
                resolve();
              });
              slot.worker?.postMessage({ type } satisfies MainToWorker);
            }),
        ),
    );
  }

  private waitForExit(slot: WorkerSlot): Promise<void> {
    const worker = slot.worker;
    if (worker === undefined || !slot.alive) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        void worker.terminate();
      }, EXIT_TIMEOUT_MS);
      slot.onExit = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
