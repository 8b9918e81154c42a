/**
 * Wall-clock receive time with microsecond resolution and no allocation (Date.now() has only
 * milliseconds; process.hrtime.bigint() allocates a BigInt). dgram gives no kernel timestamp, so
 * for the socket intakes this is the time JavaScript saw the datagram; the packet ring gives the
 * kernel's capture time of each frame, which `set` takes instead.
 */
export class ReceiveClock {
  private readonly origin = performance.timeOrigin;
  sec = 0;
  nsec = 0;
  micros = 0;

  /** Reads the clock into `sec`, `nsec` and `micros`. */
  read(): void {
    const ms = this.origin + performance.now();
    const sec = Math.floor(ms / 1000);
    this.sec = sec;
    this.nsec = Math.floor((ms - sec * 1000) * 1e6);
    this.micros = Math.floor(ms * 1000);
  }

  /** Takes a time given elsewhere (the kernel's, for a frame of the packet ring). */
  set(sec: number, nsec: number): void {
    this.sec = sec;
    this.nsec = nsec;
    this.micros = sec * 1_000_000 + Math.floor(nsec / 1000);
  }
}
