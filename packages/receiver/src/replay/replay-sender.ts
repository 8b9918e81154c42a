import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIPv6 } from 'node:net';
import { ReceiverError } from '../errors.js';
import { type InnerRewrite, InnerRewriter } from './inner-rewrite.js';
import { loadReplaySource, ReplayKind, type ReplaySource } from './replay-source.js';

export interface ReplayTarget {
  readonly host: string;
  readonly port: number;
}

export interface ReplayOptions {
  readonly file: string;
  /** Where VXLAN datagrams go. */
  readonly to: ReplayTarget;
  /** Where GENEVE datagrams go. @default the `to` host, port 6081 */
  readonly geneveTo?: ReplayTarget;
  /** Local address to send from (e.g. the capture's mirror source, so records match). */
  readonly from?: string;
  /** Packets per second. Exclusive with `speed`. @default as fast as possible */
  readonly rate?: number;
  /** Multiple of the capture's own timing (2 = twice as fast). Exclusive with `rate`. */
  readonly speed?: number;
  /** Times to send the whole capture. @default 1 */
  readonly loops?: number;
  /** Replace every VNI. */
  readonly vni?: number;
  /** Replica k (0-based) XORs k into inner addresses (see InnerRewrite), so loops are distinct flows. */
  readonly distinctLoops?: boolean;
  readonly vxlanPort?: number;
  readonly genevePort?: number;
}

export interface ReplaySummary {
  readonly file: string;
  readonly datagrams: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly packetsPerSecond: number;
  readonly loops: number;
  /** Capture packets that are not mirror datagrams (not sent). */
  readonly skipped: number;
  readonly truncated: number;
  readonly sendErrors: number;
}

/** Sends issued per turn of the event loop: enough to amortise the turn, few enough to stay responsive. */
const BATCH = 256;
/** Datagrams queued inside Node before the sender waits for them to leave. */
const MAX_QUEUED = 8192;

/**
 * `fargate-mirror replay`: sends the mirror datagrams of a capture (VXLAN, or GENEVE from a GWLB) as
 * UDP, at a fixed rate, at a multiple of the original timing, or as fast as possible; optionally
 * several times with the VNI and inner addresses rewritten. The load generator of the benchmark.
 */
export async function replayCapture(options: ReplayOptions): Promise<ReplaySummary> {
  if (options.rate !== undefined && options.speed !== undefined) {
    throw new ReceiverError('REPLAY_OPTIONS_CONFLICT', 'give --rate or --speed, not both');
  }
  const source = loadReplaySource(options.file, {
    vxlanPort: options.vxlanPort,
    genevePort: options.genevePort,
  });
  const loops = options.loops ?? 1;
  const vxlan = await openSender(options.to, options.from);
  const hasGeneve = source.kinds.includes(ReplayKind.GENEVE);
  const geneve = hasGeneve
    ? await openSender(options.geneveTo ?? { host: options.to.host, port: 6081 }, options.from)
    : undefined;
  let sendErrors = 0;
  for (const s of [vxlan, geneve]) s?.on('error', () => sendErrors++);
  const rewriter = new InnerRewriter({ vxlanPort: options.vxlanPort, genevePort: options.genevePort });
  const start = performance.now();
  let datagrams = 0;
  let bytes = 0;
  try {
    const loopSpan = source.count > 0 ? source.timesMicros[source.count - 1] - source.timesMicros[0] : 0;
    for (let loop = 0; loop < loops; loop++) {
      const blob = prepareLoop(source, rewriter, {
        vni: options.vni,
        addressXor: options.distinctLoops ? loop : 0,
      });
      let i = 0;
      while (i < source.count) {
        const elapsedMs = performance.now() - start;
        let due = source.count;
        if (options.rate !== undefined) {
          due = Math.floor((elapsedMs / 1000) * options.rate) - loop * source.count;
        } else if (options.speed !== undefined) {
          const offsetMicros = elapsedMs * 1000 * options.speed - loop * (loopSpan + 1000);
          due = i;
          while (due < source.count && source.timesMicros[due] - source.timesMicros[0] <= offsetMicros) due++;
        }
        const limit = Math.min(due, i + BATCH, source.count);
        for (; i < limit; i++) {
          const socket = source.kinds[i] === ReplayKind.GENEVE ? (geneve as Socket) : vxlan;
          socket.send(blob, source.offsets[i], source.lengths[i]);
          datagrams++;
          bytes += source.lengths[i];
        }
        await pace(vxlan, geneve, i < due);
      }
    }
    await drain(vxlan);
    if (geneve !== undefined) await drain(geneve);
  } finally {
    await Promise.all(
      [vxlan, geneve].map((s) => (s ? new Promise<void>((r) => s.close(() => r())) : undefined)),
    );
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    file: options.file,
    datagrams,
    bytes,
    seconds,
    packetsPerSecond: seconds > 0 ? datagrams / seconds : datagrams,
    loops,
    skipped: source.skipped,
    truncated: source.truncated,
    sendErrors,
  };
}

/** The capture's payloads for one pass: the original bytes, or a rewritten copy. */
function prepareLoop(source: ReplaySource, rewriter: InnerRewriter, rewrite: InnerRewrite): Buffer {
  if (rewrite.vni === undefined && !rewrite.addressXor) return source.blob;
  // A fresh copy per pass: sends still queued inside Node keep referring to the previous one.
  const blob = Buffer.from(source.blob);
  for (let i = 0; i < source.count; i++)
    rewriter.rewrite(blob, source.offsets[i], source.lengths[i], source.kinds[i], rewrite);
  return blob;
}

async function openSender(target: ReplayTarget, from: string | undefined): Promise<Socket> {
  let address = target.host;
  try {
    address = (await lookup(target.host)).address;
  } catch (error) {
    throw new ReceiverError(
      'REPLAY_BAD_TARGET',
      `cannot resolve ${target.host}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', sendBufferSize: 4 * 1024 * 1024 });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (error) =>
      reject(
        new ReceiverError(
          'REPLAY_SEND_FAILED',
          `cannot send to ${target.host}:${target.port}: ${error.message}`,
          { cause: error },
        ),
      ),
    );
    socket.bind({ address: from, port: 0 }, () => socket.connect(target.port, address, () => resolve()));
  });
  socket.removeAllListeners('error');
  return socket;
}

/** Yields to the event loop: at once when more is due, else until the next packet is. */
async function pace(a: Socket, b: Socket | undefined, moreDue: boolean): Promise<void> {
  if (a.getSendQueueCount() + (b?.getSendQueueCount() ?? 0) > MAX_QUEUED) {
    await new Promise((r) => setTimeout(r, 1));
    return;
  }
  await new Promise((r) => (moreDue ? setImmediate(r) : setTimeout(r, 1)));
}

async function drain(socket: Socket): Promise<void> {
  while (socket.getSendQueueCount() > 0) await new Promise((r) => setTimeout(r, 2));
}
