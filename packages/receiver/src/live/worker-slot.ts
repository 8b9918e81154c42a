import type { Worker } from 'node:worker_threads';

/** One worker position: the thread currently filling it and where it is in its life. */
export interface WorkerSlot {
  readonly id: number;
  worker: Worker | undefined;
  alive: boolean;
  ready: boolean;
  startedAt: number;
  /** Consecutive quick deaths, for the restart back-off. */
  quickDeaths: number;
  restartTimer: NodeJS.Timeout | undefined;
  /** Resolvers for the shutdown steps, called on the message or on exit. */
  onStoppedReading: (() => void) | undefined;
  onFinished: (() => void) | undefined;
  onExit: (() => void) | undefined;
}

export function emptySlot(id: number): WorkerSlot {
  return {
    id,
    worker: undefined,
    alive: false,
    ready: false,
    startedAt: 0,
    quickDeaths: 0,
    restartTimer: undefined,
    onStoppedReading: undefined,
    onFinished: undefined,
    onExit: undefined,
  };
}
