// A model of Lambda's asynchronous invocation (EventBridge -> Lambda), enough to run a handler the
// way AWS would: one event per invocation; a warm container is reused, else a new one is made (each
// with its own SDK clients and caches); at most `maxConcurrency` at once, the rest wait in Lambda's
// internal queue; an invocation that throws or runs past the timeout is retried after 1 and then 2
// minutes (`retryAttempts`, at most 2), then goes to the dead-letter queue; a timed-out sandbox is
// killed (`dispose`: its clients are closed, so its calls stop). Times are emulated.
// Not modelled: cold-start latency, event age limits, the 1,000-per-10-s burst scaling of Lambda.
import type { TimeScale } from './time-scale.ts';

export interface LambdaStats {
  invocations: number;
  containers: number;
  peakConcurrency: number;
  failedInvocations: number;
  timeouts: number;
  retries: number;
  deadLettered: number;
}

interface Pending<E> {
  readonly event: E;
  readonly attempt: number;
}

export class AsyncLambda<C, E> {
  readonly stats: LambdaStats = {
    invocations: 0,
    containers: 0,
    peakConcurrency: 0,
    failedInvocations: 0,
    timeouts: 0,
    retries: 0,
    deadLettered: 0,
  };
  readonly #make: () => C;
  readonly #dispose: (container: C) => void;
  readonly #run: (container: C, event: E) => Promise<void>;
  readonly #scale: TimeScale;
  readonly #timeoutMs: number;
  readonly #retryDelaysMs: readonly number[];
  readonly #maxConcurrency: number;
  readonly #warm: C[] = [];
  readonly #queue: Pending<E>[] = [];
  #running = 0;
  #scheduledRetries = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(options: {
    makeContainer: () => C;
    dispose: (container: C) => void;
    run: (container: C, event: E) => Promise<void>;
    scale: TimeScale;
    timeoutMs?: number;
    retryAttempts?: number;
    maxConcurrency?: number;
  }) {
    this.#make = options.makeContainer;
    this.#dispose = options.dispose;
    this.#run = options.run;
    this.#scale = options.scale;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#retryDelaysMs = [60_000, 120_000].slice(0, options.retryAttempts ?? 2);
    this.#maxConcurrency = options.maxConcurrency ?? 1000;
  }

  /** Every container made so far (to read their caches or close their clients). */
  readonly containers: C[] = [];

  invoke(event: E): void {
    this.#queue.push({ event, attempt: 0 });
    this.#pump();
  }

  /** Resolves when nothing runs, nothing waits and no retry is scheduled. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #isIdle(): boolean {
    return this.#running === 0 && this.#queue.length === 0 && this.#scheduledRetries === 0;
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#running < this.#maxConcurrency) {
      const next = this.#queue.shift()!;
      this.#running++;
      this.stats.peakConcurrency = Math.max(this.stats.peakConcurrency, this.#running);
      void this.#invoke(next);
    }
    if (this.#isIdle()) for (const w of this.#idleWaiters.splice(0)) w();
  }

  async #invoke(pending: Pending<E>): Promise<void> {
    this.stats.invocations++;
    let container = this.#warm.pop();
    if (container === undefined) {
      container = this.#make();
      this.containers.push(container);
      this.stats.containers++;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#scale.real(this.#timeoutMs));
    });
    let failed = false;
    let timedOutNow = false;
    const run = this.#run(container, pending.event);
    // After a timeout the run is abandoned; whatever it ends with is no longer anyone's business.
    run.catch(() => {});
    try {
      const outcome = await Promise.race([run, timedOut]);
      if (outcome === 'timeout') {
        this.stats.timeouts++;
        timedOutNow = true;
        failed = true;
      }
    } catch {
      failed = true;
    } finally {
      clearTimeout(timer);
    }
    if (timedOutNow) this.#dispose(container);
    else this.#warm.push(container);
    if (failed) this.#fail(pending);
    this.#running--;
    this.#pump();
  }

  #fail(pending: Pending<E>): void {
    this.stats.failedInvocations++;
    const delay = this.#retryDelaysMs[pending.attempt];
    if (delay === undefined) {
      this.stats.deadLettered++;
      return;
    }
    this.stats.retries++;
    this.#scheduledRetries++;
    setTimeout(() => {
      this.#scheduledRetries--;
      this.#queue.push({ event: pending.event, attempt: pending.attempt + 1 });
      this.#pump();
    }, this.#scale.real(delay));
  }
}
