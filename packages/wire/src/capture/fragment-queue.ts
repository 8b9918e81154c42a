// The state of one datagram being reassembled. Queues are pooled by IpReassembler and keep their
// buffers between datagrams, so steady fragment traffic reuses memory instead of allocating it.

/** Longest key: IPv6 source (16) + destination (16) + identification (4). IPv4 uses 11 bytes. */
export const MAX_KEY_BYTES = 36;

/** How a new fragment's byte range relates to the ranges already received. */
export const RangeFit = { NEW: 0, DUPLICATE: 1, OVERLAP: 2 } as const;

export class FragmentQueue {
  readonly key = new Uint8Array(MAX_KEY_BYTES);
  keyLength = 0;
  hash = 0;
  createdMicros = 0;
  /** Data bytes of the whole datagram, known once the last fragment arrived; -1 before. */
  totalLength = -1;
  /** Highest end offset seen so far. */
  maxEnd = 0;
  receivedBytes = 0;
  /** Sorted, merged [start, end) runs of received data, as pairs. */
  runs = new Int32Array(16);
  runCount = 0;
  /** Fragment data at its offset within the datagram's payload. */
  data: Buffer | null = null;
  /** The offset-0 fragment's header (IPv4 header with options; IPv6 unfragmentable part). */
  header: Buffer | null = null;
  /** 0 until the offset-0 fragment arrived. */
  headerLength = 0;
  /** IPv6: where, within `header`, the Next Header byte naming the Fragment header sits. */
  nextHeaderField = 0;
  /** IPv6: the Fragment header's Next Header, which replaces it in the reassembled packet. */
  fragmentNextHeader = 0;

  // Links: creation order (oldest first, for timeouts and eviction) and the hash bucket chain.
  older: FragmentQueue | null = null;
  newer: FragmentQueue | null = null;
  hashNext: FragmentQueue | null = null;

  heldBytes(): number {
    return (this.data?.length ?? 0) + (this.header?.length ?? 0);
  }

  reset(): void {
    this.keyLength = 0;
    this.totalLength = -1;
    this.maxEnd = 0;
    this.receivedBytes = 0;
    this.runCount = 0;
    this.headerLength = 0;
    this.older = null;
    this.newer = null;
    this.hashNext = null;
  }

  /** Classifies [start, end) against the runs, like Linux: inside one run = duplicate, partial = overlap. */
  fit(start: number, end: number): number {
    const runs = this.runs;
    for (let i = 0; i < this.runCount; i++) {
      const runStart = runs[2 * i];
      const runEnd = runs[2 * i + 1];
      if (end <= runStart) return RangeFit.NEW;
      if (start >= runEnd) continue;
      return start >= runStart && end <= runEnd ? RangeFit.DUPLICATE : RangeFit.OVERLAP;
    }
    return RangeFit.NEW;
  }

  /** Records [start, end), which `fit` said is new, merging it with touching runs. */
  addRun(start: number, end: number): void {
    let i = 0;
    while (i < this.runCount && this.runs[2 * i + 1] < start) i++;
    // Touches the run before (its end == start): extend it, then maybe swallow the next one.
    if (i < this.runCount && this.runs[2 * i + 1] === start) {
      this.runs[2 * i + 1] = end;
      if (i + 1 < this.runCount && this.runs[2 * i + 2] === end) {
        this.runs[2 * i + 1] = this.runs[2 * i + 3];
        this.removeRun(i + 1);
      }
    } else if (i < this.runCount && this.runs[2 * i] === end) {
      this.runs[2 * i] = start;
    } else {
      this.insertRun(i, start, end);
    }
    this.receivedBytes += end - start;
    if (end > this.maxEnd) this.maxEnd = end;
  }

  isComplete(): boolean {
    return (
      this.totalLength >= 0 &&
      this.headerLength > 0 &&
      this.runCount === 1 &&
      this.runs[0] === 0 &&
      this.runs[1] === this.totalLength
    );
  }

  private insertRun(i: number, start: number, end: number): void {
    if (2 * (this.runCount + 1) > this.runs.length) {
      const bigger = new Int32Array(this.runs.length * 2);
      bigger.set(this.runs);
      this.runs = bigger;
    }
    this.runs.copyWithin(2 * i + 2, 2 * i, 2 * this.runCount);
    this.runs[2 * i] = start;
    this.runs[2 * i + 1] = end;
    this.runCount++;
  }

  private removeRun(i: number): void {
    this.runs.copyWithin(2 * i, 2 * i + 2, 2 * this.runCount);
    this.runCount--;
  }
}
