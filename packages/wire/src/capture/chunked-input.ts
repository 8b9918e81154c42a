import { closeSync, readSync } from 'node:fs';
import { CaptureReadError, describeSystemError } from './errors.js';

// One large reusable buffer filled with synchronous reads: records are parsed in place, and the unread
// tail is moved to the front only when a record runs past the end of the chunk. The buffer grows only
// for a single record larger than the whole chunk.

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

export class ChunkedInput {
  /** The chunk; replaced (not resized) when a record needs more room than it has. */
  buf: Buffer;
  /** First unconsumed byte. */
  start = 0;
  /** One past the last valid byte. */
  end = 0;
  /** The underlying file has no more bytes. */
  eof = false;
  /** Total bytes consumed so far, i.e. the file offset of `start`. */
  consumed = 0;

  private fd: number;

  constructor(
    fd: number,
    private readonly name: string,
    chunkBytes: number,
    private readonly ownsFd: boolean,
  ) {
    this.fd = fd;
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  /** Bytes available from `start` without reading. */
  available(): number {
    return this.end - this.start;
  }

  /** Makes at least `n` bytes available from `start`; false when the file ends first. */
  ensure(n: number): boolean {
    if (this.end - this.start >= n) return true;
    if (this.eof) return false;
    if (this.start + n > this.buf.length) this.makeRoom(n);
    while (this.end - this.start < n && !this.eof) this.fill();
    return this.end - this.start >= n;
  }

  consume(n: number): void {
    this.start += n;
    this.consumed += n;
  }

  close(): void {
    if (this.fd < 0) return;
    if (this.ownsFd) closeSync(this.fd);
    this.fd = -1;
    this.eof = true;
  }

  private makeRoom(n: number): void {
    const pending = this.end - this.start;
    if (n <= this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      let size = this.buf.length * 2;
      while (size < n) size *= 2;
      const bigger = Buffer.allocUnsafe(size);
      this.buf.copy(bigger, 0, this.start, this.end);
      this.buf = bigger;
    }
    this.start = 0;
    this.end = pending;
  }

  /** One read into the free tail of the chunk: large reads, few system calls. */
  private fill(): void {
    if (this.fd < 0) {
      this.eof = true;
      return;
    }
    let bytesRead: number;
    try {
      bytesRead = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
    } catch (error) {
      // stdin or a pipe may be non-blocking: wait a moment rather than spin or fail.
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(sleepCell, 0, 0, 2);
        return;
      }
      throw new CaptureReadError(this.name, `read failed (${describeSystemError(error)})`, { cause: error });
    }
    if (bytesRead === 0) this.eof = true;
    else this.end += bytesRead;
  }
}
