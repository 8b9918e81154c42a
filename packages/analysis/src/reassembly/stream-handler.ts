/**
 * Receives the bytes of each TCP direction in order. Direction `dir` is the flow table's: 0 = from
 * endpoint A (the smaller address/port) to B, 1 = B to A.
 */
export interface StreamHandler {
  /** In-order payload bytes; `buf` is valid only during the call (copy what must be kept). */
  onData(slot: number, dir: number, buf: Uint8Array, offset: number, length: number, nowMicros: number): void;
  /**
   * `length` bytes of the stream that will never be seen: lost (`lost`: a sequence hole the reorder
   * window gave up on) or cut by the mirror's packet length (`lost` false).
   */
  onGap(slot: number, dir: number, length: number, lost: boolean, nowMicros: number): void;
  /**
   * `length` bytes an earlier `onGap(lost)` declared lost arrived after all (a retransmission that
   * filled a hole the reorder window had given up on): too late for the dissectors, but seen, so no
   * longer missed.
   */
  onRecovered(slot: number, dir: number, length: number): void;
  /** The direction's FIN was reached in sequence: no more bytes follow. */
  onEnd(slot: number, dir: number, nowMicros: number): void;
  /** False once nobody reads the flow's bytes: out-of-order segments are then tracked by length only. */
  wantsPayload(slot: number): boolean;
}
