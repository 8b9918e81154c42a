import { closeSync, fstatSync, fsyncSync, openSync, write, writeSync } from 'node:fs';
import { restrictOpenFile } from '../private-file.js';
import { writeU16LE, writeU32LE } from './byte-order.js';
import { CaptureWriteError, describeSystemError } from './errors.js';
import { LinkType } from './link-type.js';

export interface PcapWriterOptions {
  /**
   * LINKTYPE_* of every packet written.
   * @default LinkType.ETHERNET
   */
  readonly linkType?: number;
  /**
   * Longest packet kept; longer ones are cut to this, their original length kept.
   * @default 262144
   */
  readonly snaplen?: number;
  /**
   * File mode. pcap files hold raw payload (credentials, personal data), hence owner-only by default,
   * whatever the umask.
   * @default 0o600
   */
  readonly mode?: number;
  /**
   * Size of the write buffer; a full buffer goes to disk in one write.
   * @default 1 MiB
   */
  readonly bufferBytes?: number;
  /**
   * Full buffers are written by Node's thread pool (positional writes, up to BACKGROUND_BLOCKS of
   * them in flight) instead of on the calling thread, which goes on filling a fresh buffer: for the
   * live receive path, where a synchronous write stalls the socket. Only for a regular file (others
   * are written synchronously as without it). `close()` still returns with every byte in the file.
   * @default false
   */
  readonly background?: boolean;
}

/** Buffers a background writer may have in flight; when all are, the next one is written in place. */
const BACKGROUND_BLOCKS = 8;

interface InFlightBlock {
  readonly block: Buffer;
  readonly position: number;
  readonly length: number;
}

const MAGIC_NANO = 0xa1b23c4d;
const HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
const DEFAULT_SNAPLEN = 262_144;
const DEFAULT_BUFFER_BYTES = 1024 * 1024;
const MIN_BUFFER_BYTES = 4096;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes a classic pcap with nanosecond timestamps (magic a1b23c4d, little endian), which tshark,
 * Wireshark, tcpdump and Zeek read. Records are copied into one large buffer and written with a single
 * system call when it fills: nothing is allocated per packet.
 *
 * @example
 * const writer = PcapWriter.open('inner.pcap', { linkType: LinkType.ETHERNET });
 * writer.write(frame, 0, frame.length, frame.length, 1700000000, 123456789);
 * writer.close();
 */
export class PcapWriter {
  /** Bytes handed to the file so far, header included (buffered bytes not yet counted). */
  bytesWritten = 0;
  packetsWritten = 0;
  /** The file's length once everything written so far lands: header and records, buffered ones too. */
  length = HEADER_BYTES;
  /** Byte offset of the last packet's record header in the file (-1 before the first). */
  lastRecordOffset = -1;
  readonly path: string;
  readonly snaplen: number;
  readonly linkType: number;

  private fd: number;
  private readonly ownsFd: boolean;
  private buffer: Buffer;
  private used = 0;
  /** Background mode: file offset of the next block, blocks in flight, buffers free for reuse. */
  private readonly background: boolean;
  private position = 0;
  private readonly inFlight = new Set<InFlightBlock>();
  private readonly spare: Buffer[] = [];
  private backgroundError: unknown;
  /** The descriptor to close once the last block in flight has landed (close() came first). */
  private closeWhenIdle = -1;

  /** Creates (or truncates) `path`, sets its mode even against the umask, and writes the pcap header. */
  static open(path: string, options: PcapWriterOptions = {}): PcapWriter {
    const mode = options.mode ?? 0o600;
    let fd: number;
    try {
      fd = openSync(path, 'w', mode);
    } catch (error) {
      throw new CaptureWriteError(path, `cannot create (${describeSystemError(error)})`, { cause: error });
    }
    try {
      // Set explicitly (open() applies the umask and keeps an existing file's mode), but only on a
      // regular file of ours: never a device such as /dev/null.
      restrictOpenFile(fd, mode);
    } catch (error) {
      closeSync(fd);
      throw new CaptureWriteError(path, `cannot set mode (${describeSystemError(error)})`, { cause: error });
    }
    return new PcapWriter(fd, path, options, true);
  }

  /** Writes to an open descriptor, e.g. 1 for stdout; `close()` flushes and closes it only if `closeFd`. */
  static toFd(fd: number, options: PcapWriterOptions = {}, name = `fd ${fd}`, closeFd = false): PcapWriter {
    return new PcapWriter(fd, name, options, closeFd);
  }

  private constructor(fd: number, path: string, options: PcapWriterOptions, ownsFd: boolean) {
    this.fd = fd;
    this.path = path;
    this.ownsFd = ownsFd;
    this.linkType = options.linkType ?? LinkType.ETHERNET;
    this.snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
    if (!Number.isInteger(this.snaplen) || this.snaplen < 1 || this.snaplen > 0x7fff_ffff) {
      throw new RangeError(`snaplen must be an integer from 1 to 2147483647, got ${options.snaplen}`);
    }
    this.buffer = Buffer.alloc(Math.max(MIN_BUFFER_BYTES, options.bufferBytes ?? DEFAULT_BUFFER_BYTES));
    this.background = options.background === true && isRegularFile(fd);
    const b = this.buffer;
    writeU32LE(b, 0, MAGIC_NANO);
    writeU16LE(b, 4, 2); // version 2.4
    writeU16LE(b, 6, 4);
    writeU32LE(b, 8, 0); // thiszone: timestamps are UTC
    writeU32LE(b, 12, 0); // sigfigs
    writeU32LE(b, 16, this.snaplen);
    writeU32LE(b, 20, this.linkType);
    this.used = HEADER_BYTES;
  }

  /**
   * Appends one packet: `capturedLength` bytes of `buf` from `offset` (cut to the snaplen),
   * `originalLength` as it was on the wire, time as seconds and nanoseconds.
   */
  write(
    buf: Buffer,
    offset: number,
    capturedLength: number,
    originalLength: number,
    tsSec: number,
    tsNsec: number,
  ): void {
    if (this.fd < 0) throw new CaptureWriteError(this.path, 'write after close');
    const captured = Math.min(capturedLength, this.snaplen);
    this.lastRecordOffset = this.length;
    this.length += RECORD_HEADER_BYTES + captured;
    if (this.used + RECORD_HEADER_BYTES + captured > this.buffer.length) this.flushBuffer();
    const b = this.buffer;
    const o = this.used;
    writeU32LE(b, o, tsSec);
    writeU32LE(b, o + 4, tsNsec);
    writeU32LE(b, o + 8, captured);
    writeU32LE(b, o + 12, Math.max(originalLength, captured));
    this.used = o + RECORD_HEADER_BYTES;
    if (captured <= b.length - this.used) {
      buf.copy(b, this.used, offset, offset + captured); // copy(), unlike subarray(), allocates nothing
      this.used += captured;
    } else {
      // Larger than the whole buffer: write the header out, then the packet straight from the caller.
      this.flushBuffer();
      if (this.background) {
        this.throwBackgroundError();
        this.writeAt(buf.subarray(offset, offset + captured), captured, this.position);
        this.position += captured;
        this.bytesWritten += captured;
      } else {
        this.writeFully(buf, offset, captured);
      }
    }
    this.packetsWritten++;
  }

  /** Hands buffered records to the operating system. */
  flush(): void {
    if (this.fd >= 0) this.flushBuffer();
  }

  /** Flushes, optionally fsyncs, and closes. Idempotent. */
  close(options: { readonly sync?: boolean } = {}): void {
    if (this.fd < 0) return;
    try {
      if (this.background) this.landInFlight();
      else this.flushBuffer();
      if (options.sync) fsyncSync(this.fd);
    } finally {
      const fd = this.fd;
      this.fd = -1;
      if (this.ownsFd) {
        if (this.inFlight.size > 0) this.closeWhenIdle = fd;
        else closeSync(fd);
      }
    }
  }

  private flushBuffer(): void {
    if (this.used === 0) return;
    if (this.background) {
      this.flushInBackground();
      return;
    }
    this.writeFully(this.buffer, 0, this.used);
    this.used = 0;
  }

  /** Hands the buffer to the thread pool and carries on in a free one (or writes it here if none). */
  private flushInBackground(): void {
    this.throwBackgroundError();
    const length = this.used;
    const position = this.position;
    if (this.inFlight.size >= BACKGROUND_BLOCKS) {
      this.writeAt(this.buffer, length, position);
    } else {
      const entry: InFlightBlock = { block: this.buffer, position, length };
      this.inFlight.add(entry);
      this.buffer = this.spare.pop() ?? Buffer.allocUnsafe(this.buffer.length);
      write(this.fd, entry.block, 0, length, position, (error, written) =>
        this.landed(entry, error, written),
      );
    }
    this.position += length;
    this.bytesWritten += length;
    this.used = 0;
  }

  private landed(entry: InFlightBlock, error: Error | null, written: number): void {
    if (error === null && written < entry.length && this.closeWhenIdle < 0 && this.fd >= 0) {
      // A short write (rare on a regular file): the rest in place.
      try {
        this.writeAt(entry.block.subarray(written), entry.length - written, entry.position + written);
      } catch (e) {
        this.backgroundError ??= e;
      }
    } else if (error !== null) {
      this.backgroundError ??= error;
    }
    this.inFlight.delete(entry);
    this.spare.push(entry.block);
    if (this.inFlight.size === 0 && this.closeWhenIdle >= 0) {
      closeSync(this.closeWhenIdle);
      this.closeWhenIdle = -1;
    }
  }

  /**
   * Before close: the current buffer and every block still in flight written here and now (the same
   * bytes at the same offsets, so a thread-pool write landing later changes nothing), so the file is
   * whole when close() returns, e.g. before the rotating sink renames it.
   */
  private landInFlight(): void {
    this.throwBackgroundError();
    if (this.used > 0) {
      this.writeAt(this.buffer, this.used, this.position);
      this.position += this.used;
      this.bytesWritten += this.used;
      this.used = 0;
    }
    for (const entry of this.inFlight) this.writeAt(entry.block, entry.length, entry.position);
  }

  private writeAt(buf: Buffer, length: number, position: number): void {
    let done = 0;
    while (done < length) {
      try {
        done += writeSync(this.fd, buf, done, length - done, position + done);
      } catch (error) {
        throw new CaptureWriteError(this.path, `write failed (${describeSystemError(error)})`, {
          cause: error,
        });
      }
    }
  }

  private throwBackgroundError(): void {
    const error = this.backgroundError;
    if (error === undefined) return;
    this.backgroundError = undefined;
    throw new CaptureWriteError(this.path, `write failed (${describeSystemError(error)})`, { cause: error });
  }

  private writeFully(buf: Uint8Array, offset: number, length: number): void {
    let done = 0;
    while (done < length) {
      try {
        done += writeSync(this.fd, buf, offset + done, length - done);
      } catch (error) {
        // stdout may be a non-blocking pipe: wait for the reader instead of failing.
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
          Atomics.wait(sleepCell, 0, 0, 2);
          continue;
        }
        throw new CaptureWriteError(this.path, `write failed (${describeSystemError(error)})`, {
          cause: error,
        });
      }
    }
    this.bytesWritten += length;
  }
}

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}
