// Where a latency gap to the token-bucket bound comes from: EC2's create bucket replayed over the
// controller's own creates says how long tokens lay unused while some task's ENI was attached and
// had no session yet. Capacity left unused is time the controller (or this machine, see the
// event-loop lag beside it) lost; with none unused, the gap is only the extra creates.

const STEP_MS = 100;
const CAPACITY = 50;
const PER_MS = 5 / 1000;

export interface IdleCapacity {
  /** Emulated ms during which a task waited for its session and EC2's create bucket held >= 1 token. */
  readonly unusedWhileWaitingMs: number;
  /** Emulated ms during which at least one task waited. */
  readonly waitingMs: number;
}

/**
 * `waits`: per running task, its ENI's attach time and when its first session appeared (emulated ms;
 * Infinity when never). `creates`: when each successful create answered (emulated ms).
 */
export function idleCapacity(
  started: number,
  end: number,
  waits: readonly { attached: number; served: number }[],
  creates: readonly number[],
): IdleCapacity {
  const sortedCreates = [...creates].sort((a, b) => a - b);
  const steps = Math.max(0, Math.ceil((end - started) / STEP_MS));
  // How many tasks wait in each step: +1 at the step of attach, -1 at the step served.
  const delta = new Int32Array(steps + 1);
  const stepOf = (t: number) => Math.min(steps, Math.max(0, Math.floor((t - started) / STEP_MS)));
  for (const w of waits) {
    if (!(w.served > w.attached)) continue;
    delta[stepOf(w.attached)] = (delta[stepOf(w.attached)] ?? 0) + 1;
    const s = Number.isFinite(w.served) ? stepOf(w.served) : steps;
    delta[s] = (delta[s] ?? 0) - 1;
  }
  let tokens = CAPACITY;
  let next = 0;
  let waiting = 0;
  let waitingMs = 0;
  let unused = 0;
  for (let i = 0; i < steps; i++) {
    const stepEnd = started + (i + 1) * STEP_MS;
    while (next < sortedCreates.length && (sortedCreates[next] as number) < stepEnd) {
      tokens -= 1;
      next++;
    }
    waiting += delta[i] ?? 0;
    if (waiting > 0) {
      waitingMs += STEP_MS;
      if (tokens >= 1) unused += STEP_MS;
    }
    tokens = Math.min(CAPACITY, tokens + STEP_MS * PER_MS);
  }
  return { unusedWhileWaitingMs: unused, waitingMs };
}
