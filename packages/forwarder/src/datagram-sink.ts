/**
 * Where the encapsulator puts datagrams: a bounded pool of buffers. `acquire` hands out a free one
 * (undefined when all are in flight: the caller counts a drop), `send` transmits its first `length`
 * bytes and returns it to the pool once the kernel has taken it.
 */
export interface DatagramSink {
  /** Bytes each acquired buffer can hold (VXLAN header + largest inner frame). */
  readonly capacity: number;
  acquire(): Buffer | undefined;
  /** `flowHash` picks the outer source port: one flow, one port. */
  send(slot: Buffer, length: number, flowHash: number): void;
}
