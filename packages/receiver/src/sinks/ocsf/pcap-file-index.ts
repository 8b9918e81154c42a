/** One pcap file of a worker: its name and the wall-clock span it was open (its packets' times). */
interface PcapFileSpan {
  readonly name: string;
  /** The VNI of a per-VNI series; -1 for a worker's single series. */
  readonly vni: number;
  readonly openedAt: number;
  closedAt: number;
}

/** Packet times and a file's opening are read from two clocks a few ms apart: widen the match. */
const SLACK_MS = 1000;
/** Spans kept per worker (a day of 5-minute files, or a burst of size-rotated ones). */
const MAX_SPANS = 4096;

/**
 * Which pcap files hold the packets of a record: the owning worker writes every packet of a flow
 * (flow affinity), into the file it had open at the packet's time. The workers say when they open
 * and complete a file; a record's files are those of its worker (and VNI) open during its time span.
 * A superset at the edges (SLACK_MS), never a miss while the spans are kept.
 */
export class PcapFileIndex {
  private readonly byWorker = new Map<number, PcapFileSpan[]>();

  opened(worker: number, name: string, openedAt: number, vni: number): void {
    let spans = this.byWorker.get(worker);
    if (spans === undefined) {
      spans = [];
      this.byWorker.set(worker, spans);
    }
    spans.push({ name, vni, openedAt, closedAt: Number.POSITIVE_INFINITY });
    if (spans.length > MAX_SPANS) spans.splice(0, spans.length - MAX_SPANS);
  }

  completed(worker: number, name: string, at: number): void {
    const spans = this.byWorker.get(worker);
    if (spans === undefined) return;
    for (let i = spans.length - 1; i >= 0; i--) {
      if (spans[i].name === name) {
        spans[i].closedAt = at;
        return;
      }
    }
  }

  /** A worker that died: its open files were recovered under other names and take no more packets. */
  workerDied(worker: number, at: number): void {
    for (const span of this.byWorker.get(worker) ?? []) if (span.closedAt > at) span.closedAt = at;
  }

  /** Names of the files of `worker` (and `vni`, when series are per VNI) open between start and end. */
  filesOf(worker: number, vni: number | undefined, startMs: number, endMs: number): string[] {
    const out: string[] = [];
    for (const span of this.byWorker.get(worker) ?? []) {
      if (vni !== undefined && span.vni >= 0 && span.vni !== vni) continue;
      if (span.openedAt <= endMs + SLACK_MS && span.closedAt >= startMs - SLACK_MS) out.push(span.name);
    }
    return out;
  }
}
