import { CommanderError } from 'commander';
import { isBrokenPipe } from './broken-pipe.js';
import { commanderOutput } from './command-contract.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitCodeOf } from './exit-codes.js';
import { oneLine } from './one-line.js';
import { isOurError } from './our-error.js';

/** Prints what went wrong as one line on stderr; returns the exit code. `label` names the command. */
export async function reportError(error: unknown, label: string): Promise<number> {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return EXIT_OK; // --help, --version
    // Errors commander raised itself are printed already; an InvalidArgumentError thrown from an
    // action is not.
    if (!commanderOutput.printed) write(label, error.message.replace(/^error: /, ''));
    return EXIT_USAGE;
  }
  if (isBrokenPipe(error)) return EXIT_OK;
  if (await isOurError(error)) {
    const { message, code } = error as Error & { code: string };
    write(label, `${message} (${code})`);
    return exitCodeOf(code);
  }
  if (isSystemError(error)) {
    // Node's own errors (ENOENT, EACCES, ...) from a path nobody checked: a runtime failure, named.
    write(label, error.message);
    return EXIT_FAILURE;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (process.env.FARGATE_MIRROR_DEBUG) process.stderr.write(`${stack}\n`);
  write(
    label,
    `unexpected error: ${error instanceof Error ? error.message : String(error)} (a bug: please report it; FARGATE_MIRROR_DEBUG=1 prints the stack)`,
  );
  return EXIT_FAILURE;
}

function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

function write(label: string, message: string): void {
  process.stderr.write(`${label}: ${oneLine(message)}\n`);
}
