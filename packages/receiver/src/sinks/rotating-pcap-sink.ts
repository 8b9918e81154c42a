import { renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FramePositionSource, InnerFrameSink } from '@fargate-mirror/analysis';
import { PcapWriter } from '@fargate-mirror/wire';
import { PCAP_SUFFIX, PCAP_TEMP_SUFFIX, pcapBaseName } from './pcap-file-names.js';

export interface RotatingPcapSinkOptions {
  readonly dir: string;
  readonly workerId: number;
  /** A file is completed once it holds this many bytes. */
  readonly rotateBytes: number;
  /** ...or once it is this old. Checked by `maintain()`. */
  readonly rotateMs: number;
  /** Longest frame kept (longer ones are cut, their original length recorded). */
  readonly snaplen?: number;
  /** Returns the VNI of the frame being written, for one file series per VNI; omitted: one series. */
  readonly vniOf?: () => number;
  /** Called when a file is opened: its final path (once complete), when, and its VNI (-1: one series). */
  readonly onFileOpen?: (finalPath: string, openedAt: number, vni: number) => void;
  /** Called after a file is complete and renamed into place. */
  readonly onFileComplete?: (path: string, bytes: number) => void;
  /** Called when a write, rename or open fails (the sink keeps going; frames are dropped meanwhile). */
  readonly onError?: (error: unknown) => void;
  /** Wall clock, injectable for tests. */
  readonly now?: () => number;
}

/** After a failure, how long the sink drops frames before trying a new file. */
const RETRY_MS = 1000;
const RECORD_HEADER_BYTES = 16;
const FILE_HEADER_BYTES = 24;
/** File names kept for records' `pcap_file` (a day of 5-minute files, or a burst of size-rotated ones). */
const NAMES_KEPT = 4096;

interface OpenFile {
  /** Names the file to `fileName` (records' pcap_file). */
  readonly id: number;
  readonly writer: PcapWriter;
  readonly tempPath: string;
  readonly finalPath: string;
  readonly openedAt: number;
  bytes: number;
}

/**
 * Writes decapsulated inner frames into pcap files that are rotated by size and age. Each file is
 * written as `<name>.pcap.tmp` and renamed to `<name>.pcap` once complete, so whatever reads the
 * directory only ever sees whole files. Files are created 0600 (raw payload). Copies each frame into
 * the writer's buffer: no allocation per frame. Owned by one worker; never shared. Says where each
 * frame went (file and offset), for records' `pcap_file` and `pcap_offset`.
 */
export class RotatingPcapSink implements InnerFrameSink, FramePositionSource {
  readonly stats = { framesWritten: 0, framesDropped: 0, bytesWritten: 0, filesCompleted: 0, errors: 0 };
  private readonly options: RotatingPcapSinkOptions;
  private readonly now: () => number;
  private single: OpenFile | undefined;
  private readonly byVni = new Map<number, OpenFile>();
  private sequence = 0;
  private failedUntil = 0;
  private closed = false;
  private readonly names = new Map<number, string>();
  lastFrameFile = 0;
  lastFrameOffset = 0;

  constructor(options: RotatingPcapSinkOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  write(
    buf: Uint8Array,
    offset: number,
    capturedLength: number,
    originalLength: number,
    tsSec: number,
    tsNsec: number,
  ): void {
    this.lastFrameFile = 0;
    if (this.closed || (this.failedUntil !== 0 && this.now() < this.failedUntil)) {
      this.stats.framesDropped++;
      return;
    }
    const vniOf = this.options.vniOf;
    const vni = vniOf === undefined ? -1 : vniOf();
    let file = vni < 0 ? this.single : this.byVni.get(vni);
    const captured = Math.min(capturedLength, this.options.snaplen ?? 262_144);
    const recordBytes = RECORD_HEADER_BYTES + captured;
    try {
      if (
        file !== undefined &&
        file.bytes + recordBytes > this.options.rotateBytes &&
        file.bytes > FILE_HEADER_BYTES
      ) {
        this.complete(file, vni);
        file = undefined;
      }
      if (file === undefined) file = this.open(vni);
      file.writer.write(buf as Buffer, offset, capturedLength, originalLength, tsSec, tsNsec);
      this.lastFrameFile = file.id;
      this.lastFrameOffset = file.bytes;
      file.bytes += recordBytes;
      this.stats.framesWritten++;
      this.stats.bytesWritten += recordBytes;
    } catch (error) {
      this.fail(error, file, vni);
    }
  }

  /** The base name (as completed) of the file `lastFrameFile` named, while it is among the last NAMES_KEPT. */
  fileName(file: number): string | undefined {
    return this.names.get(file);
  }

  /** Completes files older than the rotation age; call about once a second. */
  maintain(): void {
    const limit = this.now() - this.options.rotateMs;
    if (this.single !== undefined && this.single.openedAt <= limit) this.completeSafely(this.single, -1);
    for (const [vni, file] of this.byVni) if (file.openedAt <= limit) this.completeSafely(file, vni);
  }

  /** Hands buffered frames to the operating system (files stay open). */
  flush(): void {
    for (const file of this.openFiles()) {
      try {
        file.writer.flush();
      } catch (error) {
        this.fail(error, file, this.vniOfFile(file));
      }
    }
  }

  /** Bytes buffered in memory, not yet handed to the operating system. */
  get bufferedBytes(): number {
    let n = 0;
    for (const file of this.openFiles()) n += file.bytes - file.writer.bytesWritten;
    return n;
  }

  get openFileCount(): number {
    return this.openFiles().length;
  }

  /** Completes every open file; later frames are dropped. */
  close(): void {
    for (const file of this.openFiles()) this.completeSafely(file, this.vniOfFile(file));
    this.closed = true;
  }

  private openFiles(): OpenFile[] {
    const files = [...this.byVni.values()];
    if (this.single !== undefined) files.push(this.single);
    return files;
  }

  private vniOfFile(file: OpenFile): number {
    for (const [vni, f] of this.byVni) if (f === file) return vni;
    return -1;
  }

  private open(vni: number): OpenFile {
    const openedAt = this.now();
    const id = ++this.sequence;
    const base = pcapBaseName(this.options.workerId, vni < 0 ? undefined : vni, openedAt, id - 1);
    const tempPath = join(this.options.dir, base + PCAP_TEMP_SUFFIX);
    // Full buffers go to disk from Node's thread pool: a synchronous write here would stall the socket.
    const writer = PcapWriter.open(tempPath, {
      snaplen: this.options.snaplen,
      mode: 0o600,
      background: true,
    });
    const file: OpenFile = {
      id,
      writer,
      tempPath,
      finalPath: join(this.options.dir, base + PCAP_SUFFIX),
      openedAt,
      bytes: FILE_HEADER_BYTES,
    };
    if (vni < 0) this.single = file;
    else this.byVni.set(vni, file);
    this.names.set(id, basename(file.finalPath));
    this.names.delete(id - NAMES_KEPT);
    this.options.onFileOpen?.(file.finalPath, openedAt, vni);
    return file;
  }

  private complete(file: OpenFile, vni: number): void {
    this.forget(file, vni);
    file.writer.close();
    renameSync(file.tempPath, file.finalPath);
    this.stats.filesCompleted++;
    this.options.onFileComplete?.(file.finalPath, file.bytes);
  }

  private completeSafely(file: OpenFile, vni: number): void {
    try {
      this.complete(file, vni);
    } catch (error) {
      this.fail(error, undefined, vni);
    }
  }

  private forget(file: OpenFile, vni: number): void {
    if (this.single === file) this.single = undefined;
    if (vni >= 0 && this.byVni.get(vni) === file) this.byVni.delete(vni);
  }

  private fail(error: unknown, file: OpenFile | undefined, vni: number): void {
    this.stats.errors++;
    this.stats.framesDropped++;
    this.failedUntil = this.now() + RETRY_MS;
    if (file !== undefined) {
      // Keep what reached the disk: the file ends at its last whole record or is cut inside one
      // (tshark reports that as a cut-short last packet); either way a new file starts after RETRY_MS.
      this.forget(file, vni);
      try {
        file.writer.close();
      } catch {
        // the disk refused the rest of the buffer: already counted
      }
      try {
        // A file the disk refused before its first frame is no capture: remove it, do not "complete" it
        // (on a full disk that used to leave an empty .pcap every second).
        if (statSync(file.tempPath).size <= FILE_HEADER_BYTES) unlinkSync(file.tempPath);
        else renameSync(file.tempPath, file.finalPath);
      } catch {
        // left as .tmp; the retention pass still counts and removes it
      }
    }
    this.options.onError?.(error);
  }
}
