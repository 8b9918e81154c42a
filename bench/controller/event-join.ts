// Feeds the naive design the same event stream the controller gets. The two designs run in two
// emulated accounts (so they never share EC2's token buckets), started with the same task
// schedule. Account A (the controller's) has the event faults on; account B's events are exact.
// Every delivery A makes of task i's event version v (none when lost, two when duplicated, late
// when reordered) is answered with B's own event for task i, version v: B's ENI ids, A's faults.
interface Slot {
  /** Deliveries A made before B's matching event existed. */
  owed: number;
  event: unknown;
}

interface TaskEventLike {
  detail?: { taskArn?: string; version?: number };
}

function keyParts(event: unknown): { arn: string; version: number } | undefined {
  const d = (event as TaskEventLike).detail;
  if (typeof d?.taskArn !== 'string' || typeof d.version !== 'number') return undefined;
  return { arn: d.taskArn, version: d.version };
}

export class EventJoiner {
  readonly #deliver: (event: unknown) => void;
  readonly #indexA = new Map<string, number>();
  readonly #indexB = new Map<string, number>();
  readonly #slots = new Map<string, Slot>();
  /** Events whose task ARN RunTask has not answered yet (its first event comes before the answer). */
  readonly #parkedA: unknown[] = [];
  readonly #parkedB: unknown[] = [];
  delivered = 0;

  constructor(deliver: (event: unknown) => void) {
    this.#deliver = deliver;
  }

  mapA(index: number, arn: string): void {
    this.#indexA.set(arn, index);
    for (const e of this.#parkedA.splice(0)) this.fromA(e);
  }

  mapB(index: number, arn: string): void {
    this.#indexB.set(arn, index);
    for (const e of this.#parkedB.splice(0)) this.fromB(e);
  }

  #slot(index: number, version: number): Slot {
    const key = `${index}/${version}`;
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = { owed: 0, event: undefined };
      this.#slots.set(key, slot);
    }
    return slot;
  }

  /** A delivery to the controller (after A's faults). */
  fromA(event: unknown): void {
    const k = keyParts(event);
    if (!k) return;
    const index = this.#indexA.get(k.arn);
    if (index === undefined) {
      this.#parkedA.push(event);
      return;
    }
    const slot = this.#slot(index, k.version);
    if (slot.event === undefined) slot.owed++;
    else this.#send(slot.event);
  }

  /** Every event B publishes (B has no faults). */
  fromB(event: unknown): void {
    const k = keyParts(event);
    if (!k) return;
    const index = this.#indexB.get(k.arn);
    if (index === undefined) {
      this.#parkedB.push(event);
      return;
    }
    const slot = this.#slot(index, k.version);
    slot.event = event;
    for (; slot.owed > 0; slot.owed--) this.#send(event);
  }

  #send(event: unknown): void {
    this.delivered++;
    this.#deliver(structuredClone(event));
  }
}
