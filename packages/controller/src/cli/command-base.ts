import type { Command } from 'commander';
import { type ControllerErrorCode, isControllerError } from '../errors.js';
import type { LogPort } from '../log.js';
import { type CommonOptions, stderrLog } from './context.js';

/** The streams a host (the `fargate-mirror` binary, a test) gives the commands. */
export interface ControllerCommandsIo {
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin?: NodeJS.ReadableStream;
}

export interface Io {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
}

export type Flags = CommonOptions & { verbose?: boolean };

/** The flags every controller command takes. */
export function withCommon(cmd: Command): Command {
  return cmd
    .requiredOption('--config <file>', 'controller configuration (JSON or YAML)')
    .option('--endpoint-url <url>', 'EC2/ECS endpoint, e.g. aws-local (default: AWS_ENDPOINT_URL, else AWS)')
    .option('--region <region>', 'AWS region (default: the SDK default configuration)')
    .option('--verbose', 'log every write as JSON lines on stderr');
}

// Codes that mean the input was wrong (the command line, a file, the configuration, the AWS
// settings): exit 2, as the rest of the binary does for its usage and input errors.
const INPUT_CODES: ReadonlySet<ControllerErrorCode> = new Set<ControllerErrorCode>([
  'CONFIG_INVALID',
  'CONFIG_UNREADABLE',
  'EVENT_MALFORMED',
  'EVENT_FILE_MISSING',
  'AWS_REGION_MISSING',
  'AWS_CREDENTIALS_MISSING',
  'AWS_ENDPOINT_INVALID',
]);

// Codes whose message is the whole story (`no such file: FILE`, as every command says it).
const MESSAGE_ONLY: ReadonlySet<ControllerErrorCode> = new Set<ControllerErrorCode>(['EVENT_FILE_MISSING']);

/** 2 for a controller error the user fixes in their input, 1 for one that happened while running. */
export function exitCodeOf(code: ControllerErrorCode): number {
  return INPUT_CODES.has(code) ? 2 : 1;
}

/** Several lines (a config with three bad keys) as one, for stderr and logs. */
function oneLine(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('; ');
}

/**
 * The one stderr line for an error that ended a command, and its exit code:
 * `fargate-mirror <command>: <problem> (CODE)`. Node's own errors (an unreadable file) are named as
 * they are, anything else is reported as a bug; `FARGATE_MIRROR_DEBUG=1` adds the stack on the lines
 * before.
 */
export function describeFailure(command: string, error: unknown): { text: string; exitCode: number } {
  const label = `fargate-mirror ${command}`;
  const debug =
    process.env['FARGATE_MIRROR_DEBUG'] && error instanceof Error && error.stack ? `${error.stack}\n` : '';
  if (isControllerError(error)) {
    const suffix = MESSAGE_ONLY.has(error.code) ? '' : ` (${error.code})`;
    return {
      text: `${debug}${label}: ${oneLine(error.message)}${suffix}\n`,
      exitCode: exitCodeOf(error.code),
    };
  }
  if (error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string') {
    return { text: `${debug}${label}: ${oneLine(error.message)}\n`, exitCode: 1 };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    text: `${debug}${label}: unexpected error: ${oneLine(message)} (a bug: please report it; FARGATE_MIRROR_DEBUG=1 prints the stack)\n`,
    exitCode: 1,
  };
}

/**
 * Runs the body of `command`: its result is the exit code; an error becomes one line on stderr and
 * exit code 2 (input: configuration, event file, AWS settings) or 1 (a failure while running).
 */
export async function run(io: Io, command: string, body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (error) {
    const { text, exitCode } = describeFailure(command, error);
    io.err.write(text);
    process.exitCode = exitCode;
  }
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** `--verbose`: every write as a JSON line on stderr; otherwise the default (silent). */
export function verboseLog(io: Io, flags: Flags): LogPort | undefined {
  return flags.verbose ? stderrLog(io.err) : undefined;
}
