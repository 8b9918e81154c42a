import type { FaultConfig } from '../faults/faults.js';
import type { RandomSource } from '../util/random.js';
import type { EcsEvent } from './task-event.js';

export type EventSink = (event: EcsEvent) => void | Promise<void>;

export interface EventCounters {
  published: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  sinkErrors: number;
}

/** How long a held-back (reordered) event waits for a successor before it is delivered anyway. */
const REORDER_HOLD_MS = 250;

/**
 * Delivers ECS events to sinks, with the faults EventBridge really has: duplicates, loss,
 * reordering and delay (decided per event from `faults()`).
 */
export class EventBus {
  readonly counters: EventCounters = {
    published: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    sinkErrors: 0,
  };
  readonly #sinks = new Set<EventSink>();
  readonly #faults: () => FaultConfig;
  readonly #random: RandomSource;
  readonly #pending = new Set<Promise<void>>();
  #held: { event: EcsEvent; timer: NodeJS.Timeout } | undefined;

  constructor(faults: () => FaultConfig, random: RandomSource) {
    this.#faults = faults;
    this.#random = random;
  }

  addSink(sink: EventSink): () => void {
    this.#sinks.add(sink);
    return () => this.#sinks.delete(sink);
  }

  publish(event: EcsEvent): void {
    this.counters.published++;
    const faults = this.#faults();
    if (this.#random() < faults.eventLossRate) {
      this.counters.dropped++;
      return;
    }
    const copies = this.#random() < faults.eventDuplicateRate ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    const held = this.#held;
    if (!held && this.#random() < faults.eventReorderRate) {
      this.counters.reordered++;
      this.#held = { event, timer: setTimeout(() => this.#releaseHeld(), REORDER_HOLD_MS) };
      if (copies === 2) this.#deliver(event, faults.eventDelayMs);
      return;
    }
    for (let i = 0; i < copies; i++) this.#deliver(event, faults.eventDelayMs);
    if (held) this.#releaseHeld();
  }

  /** Releases a held event and waits until every delivery so far has reached its sinks. */
  async flush(): Promise<void> {
    this.#releaseHeld();
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #releaseHeld(): void {
    const held = this.#held;
    if (!held) return;
    this.#held = undefined;
    clearTimeout(held.timer);
    this.#deliver(held.event, this.#faults().eventDelayMs);
  }

  #deliver(event: EcsEvent, delayMs: number): void {
    const delivery = (async () => {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      for (const sink of this.#sinks) {
        try {
          // Each sink gets its own copy: an in-process consumer may mutate what it receives.
          await sink(structuredClone(event));
          this.counters.delivered++;
        } catch {
          this.counters.sinkErrors++;
        }
      }
    })();
    this.#pending.add(delivery);
    void delivery.finally(() => this.#pending.delete(delivery));
  }
}
