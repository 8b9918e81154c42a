// A model of an SQS standard queue drained by a Lambda event source mapping, enough to run the
// worker the way AWS would: `concurrency` pollers (the mapping's maximum concurrency), each with its
// own warm container; a poller waits for messages, then gathers for the batching window or until the
// batch is full, and invokes; partial batch responses return only the named messages, after the
// visibility timeout, and a message received `maxReceives` times goes to the dead-letter queue; an
// invocation past the timeout loses its whole batch to the visibility timeout and its sandbox is
// killed. Times are emulated. Not modelled: SQS's own latency, the 6 MB payload limit.
import type { TimeScale } from './time-scale.ts';

export interface QueueLambdaStats {
  invocations: number;
  containers: number;
  messagesSent: number;
  largestBatch: number;
  failedMessages: number;
  redelivered: number;
  deadLettered: number;
  timeouts: number;
}

interface Message {
  readonly id: string;
  readonly body: string;
  receives: number;
}

export interface QueueLambdaOptions<C> {
  makeContainer: () => C;
  dispose: (container: C) => void;
  run: (
    container: C,
    records: { messageId: string; body: string }[],
  ) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
  scale: TimeScale;
  batchSize: number;
  windowMs: number;
  concurrency: number;
  timeoutMs: number;
  visibilityTimeoutMs: number;
  maxReceives: number;
}

export class QueueLambda<C> {
  readonly stats: QueueLambdaStats = {
    invocations: 0,
    containers: 0,
    messagesSent: 0,
    largestBatch: 0,
    failedMessages: 0,
    redelivered: 0,
    deadLettered: 0,
    timeouts: 0,
  };
  readonly #o: QueueLambdaOptions<C>;
  readonly #visible: Message[] = [];
  #seq = 0;
  #delayed = 0;
  #busy = 0;
  #wake: (() => void)[] = [];
  #idle: (() => void)[] = [];
  #stopped = false;
  readonly #pollers: Promise<void>[] = [];

  constructor(options: QueueLambdaOptions<C>) {
    this.#o = options;
    for (let i = 0; i < options.concurrency; i++) this.#pollers.push(this.#poll());
  }

  send(body: string): void {
    this.stats.messagesSent++;
    this.#visible.push({ id: `m-${this.#seq++}`, body, receives: 0 });
    for (const w of this.#wake.splice(0)) w();
  }

  /** Resolves when no message is visible, delayed or in flight. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  stop(): void {
    this.#stopped = true;
    for (const w of this.#wake.splice(0)) w();
  }

  #isIdle(): boolean {
    return this.#visible.length === 0 && this.#delayed === 0 && this.#busy === 0;
  }

  #checkIdle(): void {
    if (this.#isIdle()) for (const w of this.#idle.splice(0)) w();
  }

  async #poll(): Promise<void> {
    let container: C | undefined;
    while (!this.#stopped) {
      if (this.#visible.length === 0) {
        await new Promise<void>((resolve) => this.#wake.push(resolve));
        continue;
      }
      // The batching window: gather until it ends or the batch is full.
      const until = this.#o.scale.now() + this.#o.windowMs;
      while (this.#visible.length < this.#o.batchSize && this.#o.scale.now() < until && !this.#stopped)
        await this.#o.scale.sleep(Math.min(250, until - this.#o.scale.now()));
      const batch = this.#visible.splice(0, this.#o.batchSize);
      if (batch.length === 0) continue;
      this.#busy++;
      this.stats.invocations++;
      this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
      for (const m of batch) m.receives++;
      if (container === undefined) {
        container = this.#o.makeContainer();
        this.stats.containers++;
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), this.#o.scale.real(this.#o.timeoutMs));
      });
      const run = this.#o.run(
        container,
        batch.map((m) => ({ messageId: m.id, body: m.body })),
      );
      run.catch(() => {});
      let failed: Message[];
      try {
        const outcome = await Promise.race([run, timedOut]);
        if (outcome === 'timeout') {
          this.stats.timeouts++;
          this.#o.dispose(container);
          container = undefined;
          failed = batch;
        } else {
          const ids = new Set(outcome.batchItemFailures.map((f) => f.itemIdentifier));
          failed = batch.filter((m) => ids.has(m.id));
        }
      } catch {
        failed = batch; // the whole invocation failed
      } finally {
        clearTimeout(timer);
      }
      for (const m of failed) this.#fail(m);
      this.#busy--;
      this.#checkIdle();
    }
    if (container !== undefined) this.#o.dispose(container);
  }

  #fail(m: Message): void {
    this.stats.failedMessages++;
    if (m.receives >= this.#o.maxReceives) {
      this.stats.deadLettered++;
      return;
    }
    this.stats.redelivered++;
    this.#delayed++;
    void this.#o.scale.sleep(this.#o.visibilityTimeoutMs).then(() => {
      this.#delayed--;
      this.#visible.push(m);
      for (const w of this.#wake.splice(0)) w();
      this.#checkIdle();
    });
  }
}
