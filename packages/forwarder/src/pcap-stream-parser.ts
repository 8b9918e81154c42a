import { ForwarderError, ForwarderErrorCode } from './errors.js';

// tcpdump -w - writes classic pcap to a pipe; the pipe delivers it in chunks that cut records anywhere.
// This parser takes those chunks as they come and hands out each record in place: a record that lies
// wholly inside a chunk is passed as a view of the chunk, only one cut by a chunk boundary is copied,
// into one carry buffer that is reused. Nothing is allocated per record.

const PCAP_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;
const LINKTYPE_MASK = 0x03ff_ffff;

/** Called once per record; `buf` is only valid during the call. */
export type PcapRecordHandler = (
  buf: Buffer,
  offset: number,
  capturedLength: number,
  originalLength: number,
  linkType: number,
) => void;

export class PcapStreamParser {
  /** Link type from the file header (-1 until it has been read). */
  linkType = -1;
  records = 0;

  private littleEndian = true;
  private headerDone = false;
  private carry: Buffer;
  private carryLength = 0;

  /**
   * @param maxRecordBytes a record claiming more is corrupt (tcpdump's -s 0 is 262144).
   */
  constructor(
    private readonly onRecord: PcapRecordHandler,
    private readonly maxRecordBytes = 262_144,
  ) {
    this.carry = Buffer.allocUnsafe(maxRecordBytes + RECORD_HEADER_BYTES);
  }

  /** Feeds the next chunk of the stream. Throws a ForwarderError (BAD_CAPTURE_STREAM) when the stream is not pcap. */
  push(chunk: Buffer): void {
    let pos = 0;
    if (this.carryLength > 0) {
      pos = this.completeCarry(chunk);
      if (pos < 0) return;
    }
    while (pos < chunk.length) {
      const need = this.nextUnitLength(chunk, pos, chunk.length);
      if (need < 0 || pos + need > chunk.length) {
        // Cut by the chunk boundary: keep the partial unit for the next chunk.
        chunk.copy(this.carry, 0, pos);
        this.carryLength = chunk.length - pos;
        return;
      }
      this.consumeUnit(chunk, pos);
      pos += need;
    }
  }

  /** Bytes of a unit (file header or record) held back waiting for the rest. */
  get pendingBytes(): number {
    return this.carryLength;
  }

  /** Appends from `chunk` to the carried partial unit; returns where the chunk continues, -1 if used up. */
  private completeCarry(chunk: Buffer): number {
    let pos = 0;
    for (;;) {
      const need = this.nextUnitLength(this.carry, 0, this.carryLength);
      const want = need < 0 ? (this.headerDone ? RECORD_HEADER_BYTES : PCAP_HEADER_BYTES) : need;
      const take = Math.min(want - this.carryLength, chunk.length - pos);
      chunk.copy(this.carry, this.carryLength, pos, pos + take);
      this.carryLength += take;
      pos += take;
      if (this.carryLength < want) return -1;
      if (need >= 0) break; // whole unit now held
    }
    this.consumeUnit(this.carry, 0);
    this.carryLength = 0;
    return pos;
  }

  /** Length of the unit starting at `pos`, or -1 when its own header is not complete yet. */
  private nextUnitLength(buf: Buffer, pos: number, end: number): number {
    if (!this.headerDone) return end - pos >= PCAP_HEADER_BYTES ? PCAP_HEADER_BYTES : -1;
    if (end - pos < RECORD_HEADER_BYTES) return -1;
    const included = this.littleEndian ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
    if (included > this.maxRecordBytes) {
      throw new ForwarderError(
        ForwarderErrorCode.BAD_CAPTURE_STREAM,
        `pcap record of ${included} bytes exceeds ${this.maxRecordBytes}: stream corrupt`,
      );
    }
    return RECORD_HEADER_BYTES + included;
  }

  private consumeUnit(buf: Buffer, pos: number): void {
    if (!this.headerDone) {
      this.readFileHeader(buf, pos);
      return;
    }
    const le = this.littleEndian;
    const included = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
    const original = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
    this.records++;
    this.onRecord(buf, pos + RECORD_HEADER_BYTES, included, original, this.linkType);
  }

  private readFileHeader(buf: Buffer, pos: number): void {
    const le = buf.readUInt32LE(pos);
    const be = buf.readUInt32BE(pos);
    if (le === MAGIC_MICRO || le === MAGIC_NANO) this.littleEndian = true;
    else if (be === MAGIC_MICRO || be === MAGIC_NANO) this.littleEndian = false;
    else
      throw new ForwarderError(
        ForwarderErrorCode.BAD_CAPTURE_STREAM,
        `not a pcap stream (magic 0x${be.toString(16).padStart(8, '0')})`,
      );
    const linkType = this.littleEndian ? buf.readUInt32LE(pos + 20) : buf.readUInt32BE(pos + 20);
    this.linkType = linkType & LINKTYPE_MASK;
    this.headerDone = true;
  }
}
