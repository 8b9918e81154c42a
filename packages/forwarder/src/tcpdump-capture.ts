// The capture runs as a child writing pcap to its stdout, with one of two engines:
// - tcpdump (libpcap, well proven): -U and --immediate-mode hand each packet over at once instead of
//   in ring-buffer blocks, -s 0 keeps whole 64 KB super-frames, -B sizes the kernel ring;
// - fm-capture (native/fm-capture.c, built at install): a TPACKET_V3 block ring whose blocks are
//   written to the pipe whole (one write per block, not per packet), with the filter tcpdump -ddd
//   compiled to classic BPF.
// Either way the filter leaves out our own datagrams, and the child prints "listening on" when it
// captures and the kernel's drop count when it stops.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ForwarderError, ForwarderErrorCode, NetRawMissingError } from './errors.js';
import { type NativeCounters, parseNativeStatsLine } from './native-forward-config.js';

export interface TcpdumpCaptureOptions {
  /** tcpdump program (PATH lookup when it has no slash). */
  readonly tcpdump: string;
  readonly interface: string;
  /** BPF capture filter expression. */
  readonly filter: string;
  /** Kernel capture buffer in KiB (tcpdump -B). */
  readonly bufferKiB: number;
  /** The native engine's program; undefined: tcpdump. */
  readonly nativeCapture?: string;
  /** Native engine: how long a partly filled ring block waits before it is handed over, ms. */
  readonly blockTimeoutMs?: number;
  /** Native engine: called with the kernel's drops whenever a second of capture lost packets. */
  readonly onKernelDrops?: (dropsInLastSecond: number, dropsInAll: number) => void;
  /** Native engine: forward as well (fm-capture -C), with this configuration (nativeForwardConfigText). */
  readonly forwardConfig?: string;
  /** Native forwarding: its counters so far (every second, and the last ones before `exited`). */
  readonly onNativeStats?: (counters: NativeCounters) => void;
  /** Native forwarding: a send failure it reported (the first, then every 1000th). */
  readonly onNativeSendError?: (message: string) => void;
  /** Receives the pcap byte stream as it arrives. */
  readonly onData: (chunk: Buffer) => void;
}

export interface CaptureExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** tcpdump's "dropped by kernel" count, when it printed one. */
  readonly kernelDrops: number | null;
  readonly stderr: string;
}

const STDERR_KEEP = 16_384;

/** `not (udp and dst host H and dst port P)`: the capture never sees the forwarder's own output. */
export function excludeOwnTrafficFilter(host: string, port: number): string {
  return `not (udp and dst host ${host} and dst port ${port})`;
}

export class TcpdumpCapture {
  /** Resolves when tcpdump has exited (for whatever reason). */
  readonly exited: Promise<CaptureExit>;

  private constructor(
    private readonly child: ChildProcess,
    exited: Promise<CaptureExit>,
  ) {
    this.exited = exited;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /**
   * Starts tcpdump and resolves once it reports that it is listening. Rejects with a
   * NetRawMissingError when it lacks the permission to capture, a ForwarderError otherwise.
   */
  static start(options: TcpdumpCaptureOptions): Promise<TcpdumpCapture> {
    let program = options.tcpdump;
    let args: string[];
    let filterDir: string | undefined;
    if (options.nativeCapture === undefined) {
      args = ['-i', options.interface, '-n', '-s', '0', '-U', '--immediate-mode'];
      args.push('-B', String(options.bufferKiB), '-w', '-', options.filter);
    } else {
      program = options.nativeCapture;
      filterDir = mkdtempSync(join(tmpdir(), 'fm-capture-'));
      const filterFile = join(filterDir, 'filter.bpf');
      try {
        writeFileSync(filterFile, compileFilter(options), { mode: 0o600 });
      } catch (e) {
        rmSync(filterDir, { recursive: true, force: true });
        throw e;
      }
      args = ['-i', options.interface, '-F', filterFile, '-B', String(options.bufferKiB)];
      args.push('-t', String(options.blockTimeoutMs ?? 100));
      if (options.forwardConfig !== undefined) {
        const configFile = join(filterDir, 'forward.conf');
        writeFileSync(configFile, options.forwardConfig, { mode: 0o600 });
        args.push('-C', configFile);
      }
    }
    // stdin is a pipe closed at once rather than 'ignore', which opens /dev/null: a non-root user
    // must not depend on that device's permissions (seen broken on a test machine).
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin?.end();
    let stderr = '';
    let spawnError: Error | undefined;
    child.stdout?.on('data', options.onData);
    child.stderr?.setEncoding('utf8');
    child.on('error', (e) => {
      spawnError = e;
    });
    // Line by line: a counter line may arrive in two chunks.
    let partial = '';
    const onLines = (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const counters = parseNativeStatsLine(line);
        if (counters !== undefined) {
          options.onNativeStats?.(counters);
          continue; // kept out of the stderr text the errors quote
        }
        stderr = `${stderr + line}\n`.slice(-STDERR_KEEP);
        if (line.startsWith('fm-capture: send failed')) options.onNativeSendError?.(line);
        const loss = /(\d+) packets dropped by kernel in the last second \((\d+) in all\)/.exec(line);
        if (loss) options.onKernelDrops?.(Number(loss[1]), Number(loss[2]));
      }
    };
    const exited = new Promise<CaptureExit>((resolve) => {
      child.on('close', (code, signal) => {
        onLines('\n');
        if (filterDir !== undefined) rmSync(filterDir, { recursive: true, force: true });
        const drops = /^(\d+) packets? dropped by kernel$/m.exec(stderr);
        resolve({ code, signal, kernelDrops: drops ? Number(drops[1]) : null, stderr: stderr.trim() });
      });
    });
    return new Promise<TcpdumpCapture>((resolve, reject) => {
      const onStderr = (text: string) => {
        onLines(text);
        if (/listening on /.test(stderr)) {
          child.stderr?.off('data', onStderr);
          child.stderr?.on('data', onLines);
          resolve(new TcpdumpCapture(child, exited));
        }
      };
      child.stderr?.on('data', onStderr);
      void exited.then((exit) => reject(startFailure(options, exit, spawnError)));
    });
  }

  /** Asks tcpdump to stop (SIGINT: it flushes and prints its counters) and waits for it. */
  async stop(graceMs = 5_000): Promise<CaptureExit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

/** The filter as classic BPF (`tcpdump -ddd`: a count, then one "code jt jf k" line per instruction). */
function compileFilter(options: TcpdumpCaptureOptions): string {
  try {
    return execFileSync(options.tcpdump, ['-i', options.interface, '-ddd', options.filter], {
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? '');
    if (/permission|Operation not permitted/i.test(stderr)) {
      throw new NetRawMissingError(`tcpdump -ddd on ${options.interface}: ${lastLines(stderr.trim())}`);
    }
    throw new ForwarderError(
      ForwarderErrorCode.CAPTURE_FAILED,
      `compiling the capture filter with ${options.tcpdump} -ddd failed: ${lastLines(stderr.trim())}`,
      { cause: e },
    );
  }
}

function startFailure(
  options: TcpdumpCaptureOptions,
  exit: CaptureExit,
  spawnError: Error | undefined,
): Error {
  if (
    options.nativeCapture !== undefined &&
    spawnError !== undefined &&
    (spawnError as NodeJS.ErrnoException).code === 'ENOENT'
  ) {
    return new ForwarderError(
      ForwarderErrorCode.CAPTURE_FAILED,
      `native capture engine not found ('${options.nativeCapture}'): npm run build:native -w @fargate-mirror/forwarder, or --capture-engine tcpdump`,
      { cause: spawnError },
    );
  }
  if (spawnError !== undefined && (spawnError as NodeJS.ErrnoException).code === 'ENOENT') {
    return new ForwarderError(
      ForwarderErrorCode.CAPTURE_FAILED,
      `tcpdump not found ('${options.tcpdump}'): install it (apt-get install tcpdump) or pass --tcpdump PATH`,
      { cause: spawnError },
    );
  }
  if (/permission|Operation not permitted/i.test(exit.stderr)) {
    return new NetRawMissingError(`tcpdump on ${options.interface}: ${lastLines(exit.stderr)}`);
  }
  return new ForwarderError(
    ForwarderErrorCode.CAPTURE_FAILED,
    `tcpdump on ${options.interface} exited before capturing (${exit.code ?? exit.signal}): ${lastLines(exit.stderr)}`,
    { cause: spawnError },
  );
}

function lastLines(text: string): string {
  return text.split('\n').slice(-3).join(' / ') || '(no output)';
}
