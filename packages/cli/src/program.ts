import { readFileSync } from 'node:fs';
import { createAwsLocalCommand } from '@fargate-mirror/aws-local';
import { createControllerCommands } from '@fargate-mirror/controller';
import { Command, CommanderError } from 'commander';
import { createDemoCommand } from './commands/demo.js';
import { createForwardCommand } from './commands/forward.js';
import { createReadCommand } from './commands/read.js';
import { createReceiveCommand } from './commands/receive.js';
import { createReplayCommand } from './commands/replay.js';
import { isUserFacing } from './errors.js';

/**
 * Set by esbuild's `define` when the CLI is bundled into one file (the CDK receiver asset), where no
 * package.json sits beside it; undeclared everywhere else, so `typeof` is 'undefined'.
 */
declare const FARGATE_MIRROR_VERSION: string | undefined;

/** The CLI's version: baked into a bundle, else from the package.json of the repository or npm install. */
function cliVersion(): string {
  if (typeof FARGATE_MIRROR_VERSION === 'string') return FARGATE_MIRROR_VERSION;
  try {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    if (typeof manifest.version === 'string') return manifest.version;
  } catch {
    // A copy without its package.json still runs; only --version loses its answer.
  }
  return 'unknown';
}

const version = cliVersion();

export function createProgram(): Command {
  const program = new Command('fargate-mirror')
    .description(
      'Capture the full traffic of Amazon ECS services through VPC Traffic Mirroring:\n' +
        'sessions that follow tasks, a receiver that turns VXLAN into pcap, flow and transaction records.',
    )
    .version(version)
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(createReadCommand());
  program.addCommand(createReceiveCommand());
  program.addCommand(createReplayCommand());
  program.addCommand(createForwardCommand());
  program.addCommand(createAwsLocalCommand());
  for (const command of createControllerCommands()) program.addCommand(command);
  program.addCommand(createDemoCommand());
  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage or input error). */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(argv as string[]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    if (isUserFacing(error)) {
      process.stderr.write(`fargate-mirror: ${error.message} (${error.code})\n`);
      return 2;
    }
    process.stderr.write(
      `fargate-mirror: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}
