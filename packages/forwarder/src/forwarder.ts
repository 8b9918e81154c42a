// The sidecar, assembled: find who and where we are, open the sockets, start tcpdump, and push every
// captured frame through the encapsulator until stopped.

import { parseAddress } from '@fargate-mirror/wire';
import type { Logger } from 'pino';
import { CAP_NET_RAW, hasCapability, readCapabilitySets } from './capabilities.js';
import { type CaptureEngine, chooseCaptureEngine } from './capture-engine.js';
import { type CaptureInterface, findCaptureInterface } from './capture-interface.js';
import { type Destination, resolveDestination } from './destination.js';
import { ForwarderError, ForwarderErrorCode, NetRawMissingError } from './errors.js';
import { ForwarderStats, type ForwarderStatsSnapshot } from './forwarder-stats.js';
import { FrameEncapsulator } from './frame-encapsulator.js';
import { METADATA_URI_ENV } from './metadata-uri.js';
import { ACCEPT_ALL_RULES, MirrorFilter, type MirrorFilterRule } from './mirror-filter.js';
import {
  interfaceIsEthernet,
  type NativeCounters,
  nativeForwardConfigText,
} from './native-forward-config.js';
import { PcapStreamParser } from './pcap-stream-parser.js';
import { createForwarderLogger, defaultLogFormat, type ForwardLogFormat } from './stderr-logger.js';
import type { TaskIdentity } from './task-metadata.js';
import { type CaptureExit, excludeOwnTrafficFilter, TcpdumpCapture } from './tcpdump-capture.js';
import { FALLBACK_VNI, MAX_VNI, vniFromTaskArn } from './vni.js';
import { VxlanSender } from './vxlan-sender.js';

export interface ForwarderOptions {
  /** HOST:PORT of the mirror target (NLB, receiver). */
  readonly to: string;
  /** @default - derived from the task ARN (vniFromTaskArn), else 1 */
  readonly vni?: number;
  /** Cut each inner frame to this many bytes, like a session's PacketLength. @default - whole frames */
  readonly packetLength?: number;
  /** Mirror filter rule file (JSON or YAML). @default - accept everything */
  readonly filterFile?: string;
  /** Rules given directly (instead of filterFile). */
  readonly filterRules?: readonly MirrorFilterRule[];
  /** @default - the interface of the default route */
  readonly interface?: string;
  /** Path MTU for the VXLAN datagrams. @default - the capture interface's MTU */
  readonly mtu?: number;
  /** Cut super-frames instead of splitting them. @default false */
  readonly truncateSuperframes?: boolean;
  /**
   * Split a TCP frame that fits the interface but not the path with the encapsulation, instead of
   * cutting it as AWS does. @default false
   */
  readonly splitOversize?: boolean;
  /**
   * Native engine: send the segments cut from one super-frame as UDP GSO messages (one pass through
   * the kernel's stack for up to 64 datagrams). @default true
   */
  readonly udpGso?: boolean;
  /** Datagrams in flight at most (the bounded send queue). @default 1024 */
  readonly queueDatagrams?: number;
  /** Sockets, i.e. outer source ports the flows are spread over. @default 16 */
  readonly sourcePorts?: number;
  /** Kernel capture ring (tcpdump -B, fm-capture -B), KiB. @default DEFAULT_CAPTURE_BUFFER_KIB (8 MiB) */
  readonly captureBufferKiB?: number;
  /** @default 'tcpdump' */
  readonly tcpdump?: string;
  /** Capture program: the native core if built ('auto'), or always one of them. @default 'auto' */
  readonly captureEngine?: CaptureEngine;
  /** The native core's path. @default - dist/native/fm-capture of this package */
  readonly nativeCapture?: string;
  /** @default - process.env.ECS_CONTAINER_METADATA_URI_V4 */
  readonly metadataUri?: string;
  /** pino level for the log on stderr. @default 'warn' */
  readonly logLevel?: string;
  /** Log lines as text or JSON. @default text when stderr is a terminal, else json */
  readonly logFormat?: ForwardLogFormat;
  readonly logger?: Logger;
}

export interface ForwarderResult {
  /** Why it ended: stop() was called, or tcpdump ended on its own. */
  readonly reason: 'stopped' | 'capture-ended' | 'failed';
  readonly captureExit: CaptureExit;
  readonly stats: ForwarderStatsSnapshot;
  readonly error?: Error;
}

export interface Forwarder {
  readonly vni: number;
  readonly interface: CaptureInterface;
  readonly destination: Destination;
  readonly pathMtu: number;
  /**
   * What runs: 'native' (fm-capture captures and forwards), 'native-capture' (fm-capture captures,
   * TypeScript forwards) or 'tcpdump' (tcpdump captures, TypeScript forwards).
   */
  readonly captureEngine: 'native' | 'native-capture' | 'tcpdump';
  /** Its process id (the sidecar's CPU is this process's and its children's). */
  readonly capturePid: number;
  readonly maxInnerFrame: number;
  readonly sourcePorts: readonly number[];
  readonly identity: TaskIdentity | undefined;
  readonly stats: ForwarderStats;
  /** Resolves once capturing has ended and every queued datagram has been sent. */
  readonly done: Promise<ForwarderResult>;
  stop(): Promise<ForwarderResult>;
}

/**
 * The kernel capture ring: at 100k pps of small packets (about 330 bytes each in a TPACKET_V3 block)
 * 8 MiB holds a quarter of a second, the longest the capture may be descheduled without loss; at
 * 1 Gbit/s of bulk TCP about 65 ms. It is resident as a whole (the sidecar's memory after node), so
 * the default keeps the sidecar under 64 MiB; a task that streams at gigabits gives it more
 * (bench/forwarder, README "Cost").
 */
export const DEFAULT_CAPTURE_BUFFER_KIB = 8_192;
const OUTER_UDP_AND_VXLAN = 16;
const SMALLEST_USEFUL_FRAME = 14 + 40 + 60 + 64;

function check(condition: boolean, message: string): void {
  if (!condition) throw new ForwarderError(ForwarderErrorCode.BAD_OPTION, message);
}

function validateOptions(o: ForwarderOptions): void {
  const int = (v: number | undefined, min: number, max: number) =>
    v === undefined || (Number.isInteger(v) && v >= min && v <= max);
  check(int(o.vni, 0, MAX_VNI), `--vni must be 0-${MAX_VNI}, got ${o.vni}`);
  check(int(o.packetLength, 1, 65_535), `--packet-length must be 1-65535, got ${o.packetLength}`);
  check(int(o.mtu, 576, 65_535), `--mtu must be 576-65535, got ${o.mtu}`);
  check(int(o.queueDatagrams, 1, 1_048_576), `--queue must be 1-1048576, got ${o.queueDatagrams}`);
  check(int(o.sourcePorts, 1, 1024), `--source-ports must be 1-1024, got ${o.sourcePorts}`);
  check(
    int(o.captureBufferKiB, 1, 4_194_304),
    `--capture-buffer must be 1-4194304 KiB, got ${o.captureBufferKiB}`,
  );
  check(
    !(o.filterFile !== undefined && o.filterRules !== undefined),
    'give a filter file or filter rules, not both',
  );
}

export async function startForwarder(options: ForwarderOptions): Promise<Forwarder> {
  validateOptions(options);
  const log =
    options.logger ??
    (await createForwarderLogger(options.logLevel ?? 'warn', options.logFormat ?? defaultLogFormat()));
  const rules =
    options.filterRules ??
    (options.filterFile !== undefined
      ? // loaded only for a filter file: its parsers (zod, yaml) are a fifth of node's memory
        (await import('./filter-file.js')).loadFilterRules(options.filterFile)
      : ACCEPT_ALL_RULES);
  const filter = new MirrorFilter(rules);
  const destination = await resolveDestination(options.to);
  const identity = await readIdentity(options.metadataUri ?? process.env[METADATA_URI_ENV], log);
  const vni = options.vni ?? (identity ? vniFromTaskArn(identity.taskArn) : FALLBACK_VNI);
  const iface = findCaptureInterface(options.interface);

  const caps = readCapabilitySets();
  if (caps !== undefined && !hasCapability(caps.bounding, CAP_NET_RAW)) {
    throw new NetRawMissingError(
      'it is not in the bounding set of this process, so neither it nor tcpdump can gain it',
    );
  }

  const chosen = chooseCaptureEngine(
    options.captureEngine ?? 'auto',
    options.nativeCapture,
    interfaceIsEthernet(iface.name),
  );
  const pathMtu = options.mtu ?? iface.mtu;
  const maxInnerFrame = pathMtu - (destination.family === 6 ? 40 : 20) - OUTER_UDP_AND_VXLAN;
  check(
    maxInnerFrame >= SMALLEST_USEFUL_FRAME,
    `path MTU ${pathMtu} leaves only ${maxInnerFrame} bytes per inner frame`,
  );

  const taskAddressWords = taskAddresses(iface, identity);
  const stats = new ForwarderStats();
  let sendErrorsLogged = 0;
  const sender = await VxlanSender.open(
    {
      host: destination.address,
      port: destination.port,
      family: destination.family,
      sockets: options.sourcePorts ?? 16,
      queueDatagrams: options.queueDatagrams ?? 1024,
      datagramCapacity: 8 + maxInnerFrame,
      sendBufferBytes: 4 * 1024 * 1024,
    },
    stats,
    (error) => {
      // The first error and then every 1000th: a target that is down must not flood the log.
      if (sendErrorsLogged++ % 1000 === 0)
        log.warn({ err: error, sendErrors: stats.sendErrors }, 'sending to the target failed');
    },
  );
  const encapsulator = new FrameEncapsulator(
    {
      vni,
      maxInnerFrame,
      interfaceMtu: iface.mtu,
      packetLength: options.packetLength,
      truncateSuperframes: options.truncateSuperframes ?? false,
      splitOversize: options.splitOversize ?? false,
      filter,
      taskAddressWords,
      taskMac: iface.mac ?? Uint8Array.of(0x02, 0x66, 0x6d, 0, 0, 0x01),
      peerMac: Uint8Array.of(0x02, 0x66, 0x6d, 0, 0, 0x02),
    },
    sender,
    stats,
  );
  const parser = new PcapStreamParser((buf, off, captured, original, linkType) =>
    encapsulator.process(buf, off, captured, original, linkType),
  );

  let failure: Error | undefined;
  let stopping = false;
  let capture: TcpdumpCapture;
  let lossLoggedAt = 0;
  type Engine = Forwarder['captureEngine'];
  let engine: Engine =
    chosen.program === undefined ? 'tcpdump' : chosen.forward ? 'native' : 'native-capture';
  const packetLength = options.packetLength;
  const forwardConfig = nativeForwardConfigText({
    vni,
    maxInnerFrame,
    interfaceMtu: iface.mtu,
    packetLength,
    truncateSuperframes: options.truncateSuperframes ?? false,
    splitOversize: options.splitOversize ?? false,
    udpGso: options.udpGso ?? true,
    rules,
    taskAddressWords,
    to: destination,
    sourcePorts: sender.sourcePorts(),
  });
  // The native path's counters arrive as totals: what changed since the last line is added to ours.
  const nativeSeen: NativeCounters = {};
  const addNative = (counters: NativeCounters) => {
    const target = stats as unknown as Record<string, number>;
    for (const [name, total] of Object.entries(counters)) {
      const delta = total - (nativeSeen[name] ?? 0);
      nativeSeen[name] = total;
      if (name in target && typeof target[name] === 'number') target[name] += delta;
    }
  };
  const startCapture = (program: string | undefined, forward: boolean) =>
    TcpdumpCapture.start({
      forwardConfig: forward ? forwardConfig : undefined,
      onNativeStats: addNative,
      onNativeSendError: (line) => {
        log.warn({ sendErrors: stats.sendErrors }, line.replace(/^fm-capture: /, ''));
      },
      tcpdump: options.tcpdump ?? 'tcpdump',
      interface: iface.name,
      filter: excludeOwnTrafficFilter(destination.address, destination.port),
      bufferKiB: options.captureBufferKiB ?? DEFAULT_CAPTURE_BUFFER_KIB,
      nativeCapture: program,
      onKernelDrops: (lastSecond, inAll) => {
        // Loss is news when it starts: once, then at most once a minute while it goes on.
        const now = Date.now();
        if (now - lossLoggedAt < 60_000) return;
        lossLoggedAt = now;
        log.warn(
          { kernelDropsLastSecond: lastSecond, kernelDrops: inAll },
          'the capture is losing packets: the forwarder cannot keep up (more CPU for the sidecar, or a filter)',
        );
      },
      onData: (chunk) => {
        if (failure !== undefined) return;
        try {
          parser.push(chunk);
        } catch (e) {
          failure = e as Error;
          log.error({ err: failure }, 'capture stream unreadable: stopping');
          void capture.stop();
        }
      },
    });
  try {
    try {
      capture = await startCapture(chosen.program, chosen.forward);
    } catch (e) {
      // 'auto' falls back to tcpdump when the native core cannot capture (a non-root user whose
      // tcpdump, not fm-capture, holds cap_net_raw): the same stream, at a higher cost.
      if ((options.captureEngine ?? 'auto') !== 'auto' || chosen.program === undefined) throw e;
      log.warn({ err: e }, 'the native capture engine failed to start: capturing with tcpdump');
      engine = 'tcpdump';
      capture = await startCapture(undefined, false);
    }
  } catch (e) {
    sender.close();
    throw e;
  }

  const done = capture.exited.then(async (captureExit): Promise<ForwarderResult> => {
    await sender.drain();
    sender.close();
    stats.captureKernelDrops = captureExit.kernelDrops;
    const reason = failure !== undefined ? 'failed' : stopping ? 'stopped' : 'capture-ended';
    if (reason === 'capture-ended') log.error({ tcpdump: captureExit }, 'tcpdump ended on its own');
    return { reason, captureExit, stats: stats.snapshot(), error: failure };
  });

  const sourcePorts = sender.sourcePorts();
  log.info(
    {
      interface: iface.name,
      interfaceChosenBy: iface.chosenBy,
      interfaceMtu: iface.mtu,
      taskAddresses: iface.addresses,
      to: `${destination.address}:${destination.port}`,
      vni,
      pathMtu,
      maxInnerFrame,
      sourcePorts,
      filterRules: rules.length,
      captureEngine: engine,
      tcpdumpPid: capture.pid,
      task: identity,
    },
    'capturing',
  );

  return {
    vni,
    interface: iface,
    destination,
    pathMtu,
    captureEngine: engine,
    capturePid: capture.pid,
    maxInnerFrame,
    sourcePorts,
    identity,
    stats,
    done,
    async stop() {
      stopping = true;
      await capture.stop();
      return done;
    },
  };
}

async function readIdentity(uri: string | undefined, log: Logger): Promise<TaskIdentity | undefined> {
  if (uri === undefined || uri === '') {
    log.info(`${METADATA_URI_ENV} is not set: not in an ECS task, VNI ${FALLBACK_VNI} unless --vni`);
    return undefined;
  }
  try {
    // loaded only in a task (node:http)
    const { readTaskMetadata } = await import('./task-metadata.js');
    const identity = await readTaskMetadata(uri);
    log.info({ task: identity }, 'task identity from the ECS metadata endpoint');
    return identity;
  } catch (e) {
    log.warn({ err: e }, 'task metadata unavailable: continuing without the task identity');
    return undefined;
  }
}

function taskAddresses(iface: CaptureInterface, identity: TaskIdentity | undefined): Uint32Array[] {
  const texts = new Set([
    ...iface.addresses,
    ...(identity?.ipv4Addresses ?? []),
    ...(identity?.ipv6Addresses ?? []),
  ]);
  const words: Uint32Array[] = [];
  for (const text of texts) {
    const w = new Uint32Array(4);
    if (parseAddress(text, w) !== 0) words.push(w);
  }
  return words;
}

/** The stats line written on SIGUSR1 and at exit: one JSON object. */
export function formatStatsLine(
  forwarder: Forwarder,
  reason: string,
  stats: ForwarderStatsSnapshot = forwarder.stats.snapshot(),
): string {
  return `${JSON.stringify({
    type: 'forwarder_stats',
    reason,
    time: new Date().toISOString(),
    interface: forwarder.interface.name,
    to: `${forwarder.destination.address}:${forwarder.destination.port}`,
    vni: forwarder.vni,
    ...stats,
  })}\n`;
}
