import { openSync } from 'node:fs';
import { readU16, readU32 } from './byte-order.js';
import { ChunkedInput } from './chunked-input.js';
import { CaptureFormatError, CaptureReadError, describeSystemError } from './errors.js';
import { TimestampResolution } from './timestamp-resolution.js';

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureReaderOptions {
  /**
   * Size of the reusable read buffer. Grows only for a single record larger than this.
   * @default 4 MiB
   */
  readonly chunkBytes?: number;
  /**
   * A record or block claiming more than this is corrupt: iteration stops and `corruptBlocks` counts it.
   * @default 16 MiB
   */
  readonly maxRecordBytes?: number;
}

/** Why iteration ended early; `null` while reading or after a clean end of file. */
export type CaptureStopReason = 'truncated' | 'corrupt' | null;

const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
const MIN_CHUNK_BYTES = 64;
const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;

const PCAP_HEADER_BYTES = 24;
const PCAP_RECORD_HEADER_BYTES = 16;
/** Alexey Kuznetzov's modified pcap (editcap -F modpcap): 8 more bytes per record header. */
const MODPCAP_RECORD_HEADER_BYTES = 24;
const LINKTYPE_MASK = 0x03ff_ffff; // upper bits carry FCS information, not the link type

const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;
const MAGIC_MODIFIED = 0xa1b2cd34;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 0x00000001;
const BLOCK_OPB = 0x00000002;
const BLOCK_SPB = 0x00000003;
const BLOCK_EPB = 0x00000006;
const SHB_MIN_BYTES = 28;
const OPTION_END = 0;
const OPTION_IF_TSRESOL = 9;
const OPTION_IF_TSOFFSET = 14;

/** What one pcapng Interface Description Block says about the packets recorded on it. */
interface PcapngInterface {
  readonly linkType: number;
  readonly snaplen: number;
  readonly resolution: TimestampResolution;
  /** if_tsoffset: seconds added to every timestamp of this interface. */
  readonly tsOffsetSec: number;
}

/**
 * Reads classic pcap (micro- and nanosecond, either byte order, and modified pcap) and pcapng (several
 * sections, interfaces and link types; EPB, SPB, OPB), synchronously, into one reusable buffer.
 *
 * `next()` advances to the next packet and describes it in the reader's own public fields, which are
 * overwritten by the following `next()`: nothing is allocated per packet. Bad data never throws from
 * `next()`: a file cut short ends iteration with `truncatedTail`, a block with an impossible length ends
 * it with `corruptBlocks` counted, and a pcapng block with bad contents but sound framing is counted
 * and skipped.
 *
 * @example
 * const reader = CaptureReader.open('traffic.pcapng');
 * try {
 *   while (reader.next()) decode(reader.buf, reader.offset, reader.capturedLength, reader.linkType);
 * } finally {
 *   reader.close();
 * }
 */
export class CaptureReader {
  /** The chunk holding the current packet (may be a different Buffer after any `next()`). */
  buf: Buffer;
  /** Where the current packet starts in `buf`. */
  offset = 0;
  /** Bytes of the packet present in the file. */
  capturedLength = 0;
  /** Bytes the packet had on the wire (may exceed `capturedLength`). */
  originalLength = 0;
  /** Timestamp, whole seconds since 1970. */
  tsSec = 0;
  /** Timestamp, nanoseconds within the second. */
  tsNsec = 0;
  /** LINKTYPE_* of the current packet (see `LinkType`). */
  linkType = 0;
  /** pcapng interface of the current packet within its section; 0 for pcap. */
  interfaceId = 0;
  /** Packets returned so far. */
  packetsRead = 0;
  /** The file ended in the middle of a record or block. */
  truncatedTail = false;
  /** Records or blocks found corrupt (counted; an unframeable one also ends iteration). */
  corruptBlocks = 0;
  /** Why iteration ended early, if it did. */
  stopReason: CaptureStopReason = null;

  readonly format: CaptureFormat;
  readonly path: string;

  private readonly input: ChunkedInput;
  private readonly maxRecordBytes: number;
  private littleEndian = true;
  private done = false;
  // classic pcap
  private pcapRecordHeaderBytes = PCAP_RECORD_HEADER_BYTES;
  private pcapNanoseconds = false;
  private pcapLinkType = 0;
  // pcapng: interfaces of the current section
  private interfaces: PcapngInterface[] = [];

  /** Opens a capture file, or standard input for `'-'`. Throws CaptureFormatError if it is not a capture. */
  static open(path: string, options: CaptureReaderOptions = {}): CaptureReader {
    if (path === '-') return CaptureReader.fromFd(0, 'stdin', options, false);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      throw new CaptureReadError(path, `cannot open (${describeSystemError(error)})`, { cause: error });
    }
    return CaptureReader.fromFd(fd, path, options, true);
  }

  /** Reads from an open file descriptor (a pipe works too); `closeFd` decides whether `close()` closes it. */
  static fromFd(
    fd: number,
    name: string,
    options: CaptureReaderOptions = {},
    closeFd = false,
  ): CaptureReader {
    const chunkBytes = Math.max(MIN_CHUNK_BYTES, Math.floor(options.chunkBytes ?? DEFAULT_CHUNK_BYTES));
    const input = new ChunkedInput(fd, name, chunkBytes, closeFd);
    try {
      return new CaptureReader(input, name, options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES);
    } catch (error) {
      input.close();
      throw error;
    }
  }

  private constructor(input: ChunkedInput, path: string, maxRecordBytes: number) {
    this.input = input;
    this.path = path;
    this.maxRecordBytes = maxRecordBytes;
    this.buf = input.buf;
    input.ensure(SHB_MIN_BYTES);
    const b = input.buf;
    const have = input.available();
    if (have < 4) throw new CaptureFormatError(path, have === 0 ? 'empty file' : `only ${have} bytes`);
    const magicLE = readU32(b, 0, true);
    const magicBE = readU32(b, 0, false);
    if (magicBE === BLOCK_SHB) {
      this.format = 'pcapng';
      if (have < SHB_MIN_BYTES) throw new CaptureFormatError(path, `pcapng cut short: only ${have} bytes`);
      const bom = readU32(b, 8, true);
      if (bom !== PCAPNG_BYTE_ORDER_MAGIC && readU32(b, 8, false) !== PCAPNG_BYTE_ORDER_MAGIC) {
        throw new CaptureFormatError(path, `pcapng section header with bad byte-order magic ${hex(b, 8, 4)}`);
      }
    } else if (isPcapMagic(magicLE) || isPcapMagic(magicBE)) {
      this.format = 'pcap';
      if (have < PCAP_HEADER_BYTES)
        throw new CaptureFormatError(path, `pcap header cut short: ${have} bytes`);
      this.littleEndian = isPcapMagic(magicLE);
      const magic = this.littleEndian ? magicLE : magicBE;
      this.pcapNanoseconds = magic === MAGIC_NANO;
      if (magic === MAGIC_MODIFIED) this.pcapRecordHeaderBytes = MODPCAP_RECORD_HEADER_BYTES;
      this.pcapLinkType = readU32(b, 20, this.littleEndian) & LINKTYPE_MASK;
      this.linkType = this.pcapLinkType;
      input.consume(PCAP_HEADER_BYTES);
    } else {
      throw new CaptureFormatError(path, describeMagic(b, have));
    }
  }

  /** File offset just past the current packet's record (or block): progress, and where a cut lands. */
  get bytesConsumed(): number {
    return this.input.consumed;
  }

  /** Advances to the next packet; false at the end (clean, truncated or corrupt: see `stopReason`). */
  next(): boolean {
    if (this.done) return false;
    return this.format === 'pcap' ? this.nextPcapRecord() : this.nextPcapngPacket();
  }

  /** Closes the file (not a descriptor passed to `fromFd` without `closeFd`). Idempotent. */
  close(): void {
    this.done = true;
    this.input.close();
  }

  private nextPcapRecord(): boolean {
    const input = this.input;
    const headerBytes = this.pcapRecordHeaderBytes;
    if (!input.ensure(headerBytes)) return this.stopAtEnd();
    const le = this.littleEndian;
    let b = input.buf;
    let o = input.start;
    const sec = readU32(b, o, le);
    const frac = readU32(b, o + 4, le);
    const captured = readU32(b, o + 8, le);
    const original = readU32(b, o + 12, le);
    if (captured > this.maxRecordBytes) return this.stop('corrupt');
    if (!input.ensure(headerBytes + captured)) return this.stop('truncated');
    b = input.buf;
    o = input.start;
    input.consume(headerBytes + captured);
    this.buf = b;
    this.offset = o + headerBytes;
    this.capturedLength = captured;
    this.originalLength = original;
    if (this.pcapNanoseconds) this.setTime(sec, frac);
    else this.setTime(sec, frac * 1000);
    this.packetsRead++;
    return true;
  }

  private nextPcapngPacket(): boolean {
    const input = this.input;
    for (;;) {
      if (!input.ensure(8)) return this.stopAtEnd();
      let b = input.buf;
      let o = input.start;
      const type = readU32(b, o, this.littleEndian);
      if (type === BLOCK_SHB) {
        if (!input.ensure(12)) return this.stop('truncated');
        b = input.buf;
        o = input.start;
        if (readU32(b, o + 8, true) === PCAPNG_BYTE_ORDER_MAGIC) this.littleEndian = true;
        else if (readU32(b, o + 8, false) === PCAPNG_BYTE_ORDER_MAGIC) this.littleEndian = false;
        else return this.stop('corrupt');
      }
      const le = this.littleEndian;
      const length = readU32(b, o + 4, le);
      if (length < 12 || (length & 3) !== 0 || length > this.maxRecordBytes) return this.stop('corrupt');
      if (!input.ensure(length)) return this.stop('truncated');
      b = input.buf;
      o = input.start;
      // The trailing copy of the length is the only framing check pcapng offers: a mismatch means
      // we no longer know where blocks start.
      if (readU32(b, o + length - 4, le) !== length) return this.stop('corrupt');
      input.consume(length);
      switch (type) {
        case BLOCK_EPB:
          if (this.readEnhancedPacket(b, o, length)) return true;
          this.corruptBlocks++;
          break;
        case BLOCK_SPB:
          if (this.readSimplePacket(b, o, length)) return true;
          this.corruptBlocks++;
          break;
        case BLOCK_OPB:
          if (this.readObsoletePacket(b, o, length)) return true;
          this.corruptBlocks++;
          break;
        case BLOCK_IDB:
          this.readInterface(b, o, length);
          break;
        case BLOCK_SHB:
          if (length < SHB_MIN_BYTES) this.corruptBlocks++;
          this.interfaces = [];
          break;
        default:
        // NRB, ISB, DSB, custom and unknown blocks: skipped by their length.
      }
    }
  }

  private readEnhancedPacket(b: Buffer, o: number, length: number): boolean {
    if (length < 32) return false;
    const le = this.littleEndian;
    const captured = readU32(b, o + 20, le);
    if (28 + captured + 4 > length) return false;
    return this.setPcapngPacket(
      b,
      o + 28,
      readU32(b, o + 8, le),
      captured,
      readU32(b, o + 24, le),
      readU32(b, o + 12, le),
      readU32(b, o + 16, le),
    );
  }

  /** SPB: interface 0, no timestamp, captured length implied by the block and the snaplen. */
  private readSimplePacket(b: Buffer, o: number, length: number): boolean {
    if (length < 16) return false;
    const iface = this.interfaces[0];
    if (iface === undefined || iface.linkType < 0) return false;
    const original = readU32(b, o + 8, this.littleEndian);
    let captured = Math.min(original, length - 16);
    if (iface.snaplen > 0 && captured > iface.snaplen) captured = iface.snaplen;
    this.buf = b;
    this.offset = o + 12;
    this.capturedLength = captured;
    this.originalLength = original;
    this.tsSec = 0;
    this.tsNsec = 0;
    this.linkType = iface.linkType;
    this.interfaceId = 0;
    this.packetsRead++;
    return true;
  }

  /** OPB (obsolete, pcapng 0.x writers): like an EPB with a 16-bit interface id and a drops count. */
  private readObsoletePacket(b: Buffer, o: number, length: number): boolean {
    if (length < 32) return false;
    const le = this.littleEndian;
    const captured = readU32(b, o + 20, le);
    if (28 + captured + 4 > length) return false;
    return this.setPcapngPacket(
      b,
      o + 28,
      readU16(b, o + 8, le),
      captured,
      readU32(b, o + 24, le),
      readU32(b, o + 12, le),
      readU32(b, o + 16, le),
    );
  }

  private setPcapngPacket(
    b: Buffer,
    dataOffset: number,
    interfaceId: number,
    captured: number,
    original: number,
    tsHigh: number,
    tsLow: number,
  ): boolean {
    const iface = this.interfaces[interfaceId];
    if (iface === undefined || iface.linkType < 0) return false;
    iface.resolution.split(tsHigh, tsLow);
    this.buf = b;
    this.offset = dataOffset;
    this.capturedLength = captured;
    this.originalLength = original;
    this.tsSec = iface.resolution.sec + iface.tsOffsetSec;
    this.tsNsec = iface.resolution.nsec;
    this.linkType = iface.linkType;
    this.interfaceId = interfaceId;
    this.packetsRead++;
    return true;
  }

  private readInterface(b: Buffer, o: number, length: number): void {
    const le = this.littleEndian;
    if (length < 20) {
      // Keep interface numbering aligned; packets that name this interface are counted as corrupt.
      this.corruptBlocks++;
      this.interfaces.push({
        linkType: -1,
        snaplen: 0,
        resolution: new TimestampResolution(),
        tsOffsetSec: 0,
      });
      return;
    }
    let tsresol = 6;
    let tsOffsetSec = 0;
    const end = o + length - 4;
    let p = o + 16;
    while (p + 4 <= end) {
      const code = readU16(b, p, le);
      const optionLength = readU16(b, p + 2, le);
      if (code === OPTION_END || p + 4 + optionLength > end) break;
      if (code === OPTION_IF_TSRESOL && optionLength >= 1) tsresol = b[p + 4];
      else if (code === OPTION_IF_TSOFFSET && optionLength >= 8) {
        const high = readU32(b, p + 4 + (le ? 4 : 0), le) | 0; // signed: offsets may be negative
        tsOffsetSec = high * 0x1_0000_0000 + readU32(b, p + 4 + (le ? 0 : 4), le);
      }
      p += 4 + ((optionLength + 3) & ~3);
    }
    this.interfaces.push({
      linkType: readU16(b, o + 8, le),
      snaplen: readU32(b, o + 12, le),
      resolution: new TimestampResolution(tsresol),
      tsOffsetSec,
    });
  }

  private setTime(sec: number, nsec: number): void {
    // Some writers leave a fraction of a full second or more; carry it, as readers of these files do.
    if (nsec >= 1_000_000_000) {
      sec += Math.floor(nsec / 1_000_000_000);
      nsec %= 1_000_000_000;
    }
    this.tsSec = sec;
    this.tsNsec = nsec;
  }

  /** End of input between records is a clean end; anything left over is a cut-off record. */
  private stopAtEnd(): boolean {
    return this.input.available() > 0 ? this.stop('truncated') : this.stop(null);
  }

  private stop(reason: CaptureStopReason): boolean {
    this.done = true;
    this.stopReason = reason;
    if (reason === 'truncated') this.truncatedTail = true;
    else if (reason === 'corrupt') this.corruptBlocks++;
    return false;
  }
}

function isPcapMagic(magic: number): boolean {
  return magic === MAGIC_MICRO || magic === MAGIC_NANO || magic === MAGIC_MODIFIED;
}

function hex(b: Uint8Array, offset: number, count: number): string {
  return Array.from(b.subarray(offset, offset + count), (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** Names what the file starts with, so the one-line error tells the user what they gave us. */
function describeMagic(b: Uint8Array, have: number): string {
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip-compressed data; decompress it first';
  const count = Math.min(have, 4);
  const text = Array.from(b.subarray(0, count), (x) =>
    x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.',
  ).join('');
  return `first bytes ${hex(b, 0, count)} "${text}"`;
}
