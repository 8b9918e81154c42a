// tcpdump captures that are really listening before traffic starts and really complete after stop().
import { statSync } from 'node:fs';
import type { Started } from './proc.ts';

/** tcpdump filter that keeps mirrored traffic at a collector: VXLAN, GENEVE and outer IP fragments. */
export const OUTER_CAPTURE_FILTER =
  'udp dst port 4789 or udp dst port 6081 or (ip and ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)';

export interface Capture {
  readonly file: string;
  readonly ns: string;
  readonly dev: string;
  /** Bytes written to the file so far (a block at a time, at most about a second late). */
  bytesSoFar(): number;
  /**
   * Waits until the file has not grown for `quietMs` (longer than tcpdump's 1 s buffer timeout, so
   * the last block has been written; mirrored copies are also still in flight for a moment after
   * the traffic ends), then stops tcpdump with SIGINT and waits for it to exit, so the
   * file is complete. Resolves with tcpdump's own counters.
   */
  stop(opts?: { quietMs?: number; maxWaitMs?: number }): Promise<CaptureStats>;
}

export interface CaptureStats {
  captured: number;
  droppedByKernel: number;
}

export function tcpdumpArgs(dev: string, filter: string, file: string): string[] {
  // No --immediate-mode, on purpose: without it libpcap uses a TPACKET_V3 block ring, where packets
  // take only their own size, so -B 262144 holds 256 MiB of traffic (more than any lab sends), and
  // tcpdump wakes once per block instead of once per packet. With --immediate-mode (TPACKET_V2, one
  // 64 KiB slot per packet) the same ring held 4096 packets, and CI still overran it (724 dropped)
  // when tcpdump stalled on a busy machine during a 2 MB/s download. The price: a block reaches the
  // file when it fills or after tcpdump's 1 s buffer timeout, which stop() waits out.
  // -U: each block is written out as soon as tcpdump has it, so the file's size shows progress;
  // -Z root: Debian's tcpdump otherwise drops to user tcpdump and may not write the file;
  // -s 0: whole frames, a GSO super-frame of 64 KiB of IP and its Ethernet header too (in a block
  // ring a packet takes its own size, so the snap length costs nothing).
  const args = ['-i', dev, '-n', '-s', '0', '-B', '262144', '-U', '-Z', 'root', '-w', file];
  if (filter.trim() !== '') args.push(filter);
  return args;
}

/**
 * Starts tcpdump with `spawn` (a lab's, inside its namespace), waits until it is listening, and
 * wraps it: what every lab's reference capture goes through.
 */
export async function startTcpdump(
  spawn: (cmd: string, args: readonly string[]) => Started,
  ns: string,
  dev: string,
  filter: string,
  file: string,
): Promise<Capture> {
  const proc = spawn('tcpdump', tcpdumpArgs(dev, filter, file));
  await proc.waitForOutput('listening on');
  return wrapCapture(proc, ns, dev, file);
}

export function wrapCapture(proc: Started, ns: string, dev: string, file: string): Capture {
  const size = () => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  return {
    file,
    ns,
    dev,
    bytesSoFar: size,
    async stop(opts = {}) {
      const quietMs = opts.quietMs ?? 1_500;
      const deadline = Date.now() + (opts.maxWaitMs ?? 10_000);
      let last = size();
      let lastChange = Date.now();
      while (Date.now() - lastChange < quietMs && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        const now = size();
        if (now !== last) {
          last = now;
          lastChange = Date.now();
        }
      }
      const exit = await proc.stop('SIGINT', 10_000);
      const err = proc.stderr();
      if (exit !== 0) throw new Error(`tcpdump on ${dev} in ${ns} exited with ${exit}:\n${err}`);
      const captured = Number(/(\d+) packets? captured/.exec(err)?.[1] ?? Number.NaN);
      const droppedByKernel = Number(/(\d+) packets? dropped by kernel/.exec(err)?.[1] ?? Number.NaN);
      return { captured, droppedByKernel };
    },
  };
}
