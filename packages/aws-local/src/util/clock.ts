/**
 * Time for the emulator. Task lifecycles run on timers whose delays are emulated milliseconds:
 * the real clock divides them by `speed`, the manual clock fires them only when a test calls
 * `advance`. `now()` is what timestamps and token buckets read.
 */
export interface Clock {
  now(): number;
  setTimer(emulatedMs: number, fn: () => void): () => void;
  readonly kind: 'real' | 'manual';
}

export class RealClock implements Clock {
  readonly kind = 'real' as const;
  readonly #speed: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  constructor(speed: number) {
    this.#speed = speed;
  }
  now(): number {
    return Date.now();
  }
  setTimer(emulatedMs: number, fn: () => void): () => void {
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer);
        fn();
      },
      Math.max(0, emulatedMs / this.#speed),
    );
    this.#timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.#timers.delete(timer);
    };
  }
  /** Cancels every pending timer (on close). */
  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}

interface ManualTimer {
  at: number;
  order: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  readonly kind = 'manual' as const;
  #now: number;
  #order = 0;
  #timers: ManualTimer[] = [];
  constructor(start = Date.now()) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  setTimer(emulatedMs: number, fn: () => void): () => void {
    const timer: ManualTimer = { at: this.#now + Math.max(0, emulatedMs), order: this.#order++, fn };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }
  /** Moves time forward, firing due timers in time order (timers they set fire too if due). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#now = end;
  }
  pendingTimers(): number {
    return this.#timers.length;
  }
}
