import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { restrictOpenFile } from '@fargate-mirror/wire';

const FLUSH_BYTES = 256 * 1024;

/**
 * Writes one JSON object per line to a file (created owner-only: records may hold personal data) or
 * to standard output, buffering to keep system calls few. Synchronous, so nothing is lost on exit.
 */
export class JsonLinesWriter {
  private readonly fd: number;
  private readonly ownsFd: boolean;
  private pending: string[] = [];
  private pendingBytes = 0;
  recordsWritten = 0;

  private constructor(fd: number, ownsFd: boolean) {
    this.fd = fd;
    this.ownsFd = ownsFd;
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
    const line = `${JSON.stringify(record)}\n`;
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.recordsWritten++;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const data = Buffer.from(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
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
