// The capture engine is tcpdump (libpcap, well proven), run as a child writing pcap to its stdout:
// -U and --immediate-mode hand each packet over at once instead of in ring-buffer blocks, -s 0 keeps
// whole 64 KB super-frames, -B sizes the kernel ring, and the filter leaves out our own datagrams.
import { type ChildProcess, spawn } from 'node:child_process';
import { ForwarderError, ForwarderErrorCode, NetRawMissingError } from './errors.js';

export interface TcpdumpCaptureOptions {
  /** tcpdump program (PATH lookup when it has no slash). */
  readonly tcpdump: string;
  readonly interface: string;
  /** BPF capture filter expression. */
  readonly filter: string;
  /** Kernel capture buffer in KiB (tcpdump -B). */
  readonly bufferKiB: number;
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
    const args = ['-i', options.interface, '-n', '-s', '0', '-U', '--immediate-mode'];
    args.push('-B', String(options.bufferKiB), '-w', '-', options.filter);
    // stdin is a pipe closed at once rather than 'ignore', which opens /dev/null: a non-root user
    // must not depend on that device's permissions (seen broken on a test machine).
    const child = spawn(options.tcpdump, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin?.end();
    let stderr = '';
    let spawnError: Error | undefined;
    child.stdout?.on('data', options.onData);
    child.stderr?.setEncoding('utf8');
    child.on('error', (e) => {
      spawnError = e;
    });
    const exited = new Promise<CaptureExit>((resolve) => {
      child.on('close', (code, signal) => {
        const drops = /(\d+) packets? dropped by kernel/.exec(stderr);
        resolve({ code, signal, kernelDrops: drops ? Number(drops[1]) : null, stderr: stderr.trim() });
      });
    });
    return new Promise<TcpdumpCapture>((resolve, reject) => {
      const onStderr = (text: string) => {
        stderr = (stderr + text).slice(-STDERR_KEEP);
        if (/listening on /.test(stderr)) {
          child.stderr?.off('data', onStderr);
          child.stderr?.on('data', (t: string) => {
            stderr = (stderr + t).slice(-STDERR_KEEP);
          });
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

function startFailure(
  options: TcpdumpCaptureOptions,
  exit: CaptureExit,
  spawnError: Error | undefined,
): Error {
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
