import type { Command } from 'commander';
import { isControllerError } from '../errors.js';
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

/** Runs a command body: errors become one clear line on stderr and exit code 1 (2 for bad config). */
export async function run(io: Io, body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (error) {
    const code = isControllerError(error) ? error.code : 'UNEXPECTED';
    io.err.write(`fargate-mirror: ${code}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = code.startsWith('CONFIG_') ? 2 : 1;
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
