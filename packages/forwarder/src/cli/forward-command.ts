// The forwarder's command line (`fargate-mirror forward`, and the image's entrypoint, which runs this
// without the rest of the CLI): arguments and FARGATE_MIRROR_* environment to ForwarderOptions, the run
// until a signal, and the exit code. It lives here, not in packages/cli, so that the image's bundle
// holds only the forwarder.

import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CAPTURE_ENGINES, type CaptureEngine } from '../capture-engine.js';
import { ForwarderError, ForwarderErrorCode } from '../errors.js';
import {
  DEFAULT_CAPTURE_BUFFER_KIB,
  type Forwarder,
  type ForwarderOptions,
  formatStatsLine,
  startForwarder,
} from '../forwarder.js';
import { defaultLogFormat, FORWARD_LOG_FORMATS, type ForwardLogFormat } from '../stderr-logger.js';

/** Exit codes of the forward command. */
export const ForwardExitCode = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

/** What the environment may set, and the option each variable stands for (arguments win). */
export const FORWARD_ENVIRONMENT = {
  FARGATE_MIRROR_TO: 'to',
  FARGATE_MIRROR_VNI: 'vni',
  FARGATE_MIRROR_PACKET_LENGTH: 'packet-length',
  FARGATE_MIRROR_FILTER: 'filter',
  FARGATE_MIRROR_INTERFACE: 'interface',
  FARGATE_MIRROR_MTU: 'mtu',
  FARGATE_MIRROR_LOG_LEVEL: 'log-level',
  FARGATE_MIRROR_LOG_FORMAT: 'log-format',
  FARGATE_MIRROR_TCPDUMP: 'tcpdump',
  FARGATE_MIRROR_CAPTURE_ENGINE: 'capture-engine',
} as const;

export const FORWARD_DESCRIPTION =
  'The sidecar: capture the traffic of this network namespace (the task ENI, found by itself) with ' +
  'tcpdump and send it to --to as AWS-format VXLAN, so receivers cannot tell it from VPC Traffic ' +
  'Mirroring. Offload super-frames are split into MSS-sized segments that fit the path MTU. Needs ' +
  'CAP_NET_RAW (in Docker and Fargate by default). Stats as one JSON line on stderr on SIGUSR1 ' +
  'and at exit; runs until SIGTERM/SIGINT.';

export const FORWARD_USAGE = `Usage: fargate-mirror forward --to HOST:PORT [options]

${FORWARD_DESCRIPTION}

Options:
  --to <host:port>          where to send the VXLAN datagrams (mirror target NLB or a receiver)
  --vni <n>                 VXLAN network identifier (default: a hash of the task ARN, else 1)
  --packet-length <n>       cut each mirrored frame to N bytes after the VXLAN header
  --filter <file>           mirror filter rules, JSON or YAML (default: mirror everything)
  --interface <name>        interface to capture on (default: the one with the default route; never any)
  --mtu <n>                 path MTU for the VXLAN datagrams (default: the interface MTU)
  --truncate-superframes    cut offload super-frames to fit instead of splitting them (counted)
  --split-oversize          split a wire-sized TCP frame the encapsulation makes too large for the path
                            MTU, instead of cutting it as AWS does (cut ones are counted: oversizeTruncated)
  --no-udp-gso              native engine: send a super-frame's segments one datagram per send, not as
                            UDP GSO messages (for a path whose device refuses GSO; it falls back by itself)
  --queue <n>               datagrams in flight at most; more are dropped and counted (default: 1024)
  --source-ports <n>        outer UDP source ports the flows are hashed over (default: 16)
  --capture-buffer <kib>    kernel capture ring (tcpdump -B), KiB; most of the memory (default: 8192)
  --tcpdump <path>          tcpdump program (default: tcpdump)
  --capture-engine <e>      native (fm-capture captures and forwards), native-capture (fm-capture captures,
                            TypeScript forwards), tcpdump, or auto: native if built, else tcpdump (default: auto)
  --metadata-uri <uri>      ECS task metadata v4 base URI (default: $ECS_CONTAINER_METADATA_URI_V4)
  --log-level <level>       pino log level on stderr (default: warn)
  --log-format <f>          text or json (default: text on a terminal, json otherwise)
  --health-check            exit 0 if a forwarder's tcpdump runs in this PID namespace, else 1
  -h, --help                this text

Environment (the task definition's natural place; an argument overrides its variable):
${Object.entries(FORWARD_ENVIRONMENT)
  .map(([name, option]) => `  ${name.padEnd(30)} --${option}`)
  .join('\n')}
`;

const OPTIONS = {
  to: { type: 'string' },
  vni: { type: 'string' },
  'packet-length': { type: 'string' },
  filter: { type: 'string' },
  interface: { type: 'string' },
  mtu: { type: 'string' },
  'truncate-superframes': { type: 'boolean' },
  'split-oversize': { type: 'boolean' },
  'no-udp-gso': { type: 'boolean' },
  queue: { type: 'string' },
  'source-ports': { type: 'string' },
  'capture-buffer': { type: 'string' },
  tcpdump: { type: 'string' },
  'capture-engine': { type: 'string' },
  'metadata-uri': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  'health-check': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** What the command line asks for: run the forwarder, print help, or check health. */
export type ForwardRequest =
  | { readonly kind: 'run'; readonly options: ForwarderOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'health-check' };

function usage(message: string): ForwarderError {
  return new ForwarderError(ForwarderErrorCode.BAD_OPTION, message);
}

function integer(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min) {
    throw usage(`--${name} expects an integer >= ${min}, got '${text}'`);
  }
  return n;
}

/**
 * Parses `forward`'s arguments (without `forward` itself; a leading `forward` is accepted and
 * ignored, so the image's entrypoint takes either) over the FARGATE_MIRROR_* environment.
 * Throws ForwarderError FORWARDER_BAD_OPTION naming the problem.
 */
export function parseForwardArgs(args: readonly string[], env: NodeJS.ProcessEnv = {}): ForwardRequest {
  const rest = args[0] === 'forward' ? args.slice(1) : [...args];
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: rest, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    // Node's wording, first sentence only, in the words commander uses for every other command.
    const first = (error as Error).message.split('\n')[0] ?? String(error);
    const unknown = /^Unknown option '([^']+)'/.exec(first);
    throw usage(unknown ? `unknown option '${unknown[1]}'` : first.replace(/\. To specify .*$/, ''));
  }
  if (values.help === true) return { kind: 'help' };
  if (values['health-check'] === true) return { kind: 'health-check' };
  for (const [variable, option] of Object.entries(FORWARD_ENVIRONMENT)) {
    const value = env[variable];
    if (values[option] === undefined && value !== undefined && value !== '') values[option] = value;
  }
  const str = (name: string) => values[name] as string | undefined;
  const to = str('to');
  if (to === undefined)
    throw usage("required option '--to <host:port>' not specified (or set FARGATE_MIRROR_TO)");
  const logLevel = str('log-level') ?? 'warn';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw usage(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
  }
  const captureEngine = str('capture-engine') ?? 'auto';
  if (!(CAPTURE_ENGINES as readonly string[]).includes(captureEngine)) {
    throw usage(`--capture-engine must be one of ${CAPTURE_ENGINES.join(', ')}, got '${captureEngine}'`);
  }
  const logFormat = str('log-format') ?? defaultLogFormat();
  if (!(FORWARD_LOG_FORMATS as readonly string[]).includes(logFormat)) {
    throw usage(`--log-format must be one of ${FORWARD_LOG_FORMATS.join(', ')}, got '${logFormat}'`);
  }
  const options: ForwarderOptions = {
    to,
    vni: integer('vni', str('vni'), 0),
    packetLength: integer('packet-length', str('packet-length'), 1),
    filterFile: str('filter'),
    interface: str('interface'),
    mtu: integer('mtu', str('mtu'), 1),
    truncateSuperframes: values['truncate-superframes'] === true,
    splitOversize: values['split-oversize'] === true,
    udpGso: values['no-udp-gso'] !== true,
    queueDatagrams: integer('queue', str('queue'), 1) ?? 1024,
    sourcePorts: integer('source-ports', str('source-ports'), 1) ?? 16,
    captureBufferKiB: integer('capture-buffer', str('capture-buffer'), 1) ?? DEFAULT_CAPTURE_BUFFER_KIB,
    tcpdump: str('tcpdump') ?? 'tcpdump',
    captureEngine: captureEngine as CaptureEngine,
    metadataUri: str('metadata-uri'),
    logLevel,
    logFormat: logFormat as ForwardLogFormat,
  };
  return { kind: 'run', options };
}

/** Input errors (exit 2) as opposed to failures while running (exit 1). */
const USAGE_CODES: ReadonlySet<string> = new Set([
  ForwarderErrorCode.BAD_DESTINATION,
  ForwarderErrorCode.BAD_OPTION,
  ForwarderErrorCode.BAD_FILTER,
  ForwarderErrorCode.NO_INTERFACE,
  ForwarderErrorCode.NET_RAW_MISSING,
]);

/** The exit code for an error that ended the command. */
export function exitCodeFor(error: unknown): number {
  return error instanceof ForwarderError && USAGE_CODES.has(error.code)
    ? ForwardExitCode.USAGE
    : ForwardExitCode.FAILURE;
}

/** One line naming the problem (and our code, where it is ours). */
export function errorLine(error: unknown): string {
  if (error instanceof ForwarderError) return `fargate-mirror forward: ${error.message} (${error.code})\n`;
  const message = error instanceof Error ? error.message : String(error);
  return `fargate-mirror forward: ${message.split('\n')[0]}\n`;
}

/**
 * The health check of the sidecar container: is a capture (tcpdump or fm-capture) running in this PID namespace (the
 * container's)? The forwarder stops when its capture ends, so a live tcpdump means it captures.
 */
export function captureIsRunning(proc = '/proc'): boolean {
  for (const entry of readdirSync(proc)) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`${proc}/${entry}/comm`, 'utf8').trim();
      if (comm === 'tcpdump' || comm === 'fm-capture') return true;
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return false;
}

/** SIGTERM/SIGINT stop it gracefully, SIGUSR1 prints the stats; the exit stats line is always written. */
async function runUntilSignalled(forwarder: Forwarder, stderr: NodeJS.WritableStream): Promise<number> {
  const stop = () => void forwarder.stop();
  const printStats = () => stderr.write(formatStatsLine(forwarder, 'sigusr1'));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGUSR1', printStats);
  try {
    const result = await forwarder.done;
    stderr.write(formatStatsLine(forwarder, `exit:${result.reason}`, result.stats));
    if (result.error) stderr.write(errorLine(result.error));
    else if (result.reason === 'capture-ended') {
      stderr.write(`fargate-mirror forward: tcpdump ended on its own: ${result.captureExit.stderr.trim()}\n`);
    }
    return result.reason === 'stopped' ? ForwardExitCode.OK : ForwardExitCode.FAILURE;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    process.off('SIGUSR1', printStats);
  }
}

/**
 * Runs `fargate-mirror forward ARGS` with `env`; resolves to the exit code (0 ok, 1 runtime failure,
 * 2 usage or input error). Errors are printed as one line on stderr, never thrown.
 */
export async function runForwardCommand(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
): Promise<number> {
  let request: ForwardRequest;
  try {
    request = parseForwardArgs(args, env);
  } catch (error) {
    io.stderr.write(errorLine(error));
    return ForwardExitCode.USAGE;
  }
  if (request.kind === 'help') {
    io.stdout.write(FORWARD_USAGE);
    return ForwardExitCode.OK;
  }
  if (request.kind === 'health-check') {
    if (captureIsRunning()) return ForwardExitCode.OK;
    io.stderr.write('fargate-mirror forward: health check: no tcpdump is running in this container\n');
    return ForwardExitCode.FAILURE;
  }
  try {
    const forwarder = await startForwarder(request.options);
    return await runUntilSignalled(forwarder, io.stderr);
  } catch (error) {
    io.stderr.write(errorLine(error));
    return exitCodeFor(error);
  }
}
