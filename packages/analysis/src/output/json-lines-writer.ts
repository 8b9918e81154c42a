import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { restrictOpenFile } from '@fargate-mirror/wire';
import { recordJson } from './record-json.js';

/** Output is gathered into blocks this big: one system call each, and no joining of strings. */
const BLOCK_BYTES = 1024 * 1024;

/**
 * Writes one JSON object per line to a file (created owner-only: records may hold personal data) or
 * to standard output, buffering to keep system calls few. Synchronous, so nothing is lost on exit.
 */
export class JsonLinesWriter {
  private readonly fd: number;
  private readonly ownsFd: boolean;
  private readonly onBlock: ((block: Uint8Array) => void) | undefined;
  private block: Buffer;
  private used = 0;
  recordsWritten = 0;

  private constructor(fd: number, ownsFd: boolean, onBlock?: (block: Uint8Array) => void) {
    this.fd = fd;
    this.ownsFd = ownsFd;
    this.onBlock = onBlock;
    this.block = JsonLinesWriter.newBlock();
  }

  /** Each block its own ArrayBuffer, so a block handed on can be transferred to another thread. */
  private static newBlock(): Buffer {
    return Buffer.from(new ArrayBuffer(BLOCK_BYTES));
  }

  /**
   * A writer that hands each filled block of whole lines to `onBlock` instead of writing it (a worker
   * of `read --workers` passes them to the thread that writes the file). The block is the callee's:
   * the writer continues in a new one.
   */
  static toBlocks(onBlock: (block: Uint8Array) => void): JsonLinesWriter {
    return new JsonLinesWriter(-1, false, onBlock);
  }

  /** `target` is a path, or `-` for standard output. Appends when `append` is set. */
  static open(target: string, options: { append?: boolean } = {}): JsonLinesWriter {
    if (target === '-') return new JsonLinesWriter(1, false);
    const fd = openSync(target, options.append ? 'a' : 'w', 0o600);
    // Owner-only, but only a regular file of ours: `--records /dev/null` must leave /dev/null alone.
    restrictOpenFile(fd);
    return new JsonLinesWriter(fd, true);
  }

  write(record: unknown): void {
    const line =
      typeof record === 'object' && record !== null ? recordJson(record) : String(JSON.stringify(record));
    this.recordsWritten++;
    // UTF-8 takes at most three bytes per UTF-16 unit; the newline one more.
    if (line.length * 3 + 1 > BLOCK_BYTES - this.used) {
      this.flush();
      if (line.length * 3 + 1 > BLOCK_BYTES) {
        this.writeAll(Buffer.from(`${line}\n`));
        return;
      }
    }
    this.used += this.block.write(line, this.used);
    this.block[this.used++] = 0x0a;
  }

  flush(): void {
    if (this.used === 0) return;
    const used = this.used;
    this.used = 0;
    if (this.onBlock !== undefined) {
      const full = this.block.subarray(0, used);
      this.block = JsonLinesWriter.newBlock();
      this.onBlock(full);
      return;
    }
    this.writeAll(this.block.subarray(0, used));
  }

  /**
   * Whole lines already encoded elsewhere (UTF-8, each ending in a newline), written as they are;
   * `recordsWritten` counts only what `write` wrote.
   */
  writeEncoded(data: Uint8Array): void {
    this.flush();
    this.writeAll(data);
  }

  private writeAll(data: Uint8Array): void {
    if (this.onBlock !== undefined) {
      this.onBlock(data);
      return;
    }
    let off = 0;
    while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
  }

  close(): void {
    this.flush();
    if (this.ownsFd) {
      try {
        fsyncSync(this.fd);
      } catch (error) {
        // Character devices and pipes (e.g. /dev/null) cannot be synced; nothing is lost there.
        if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
      }
      closeSync(this.fd);
    }
  }
}
