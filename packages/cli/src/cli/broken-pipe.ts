/** True when `error`, or any error it was caused by, is a write to a pipe whose reader has gone. */
export function isBrokenPipe(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') return true;
  }
  return false;
}

/**
 * `fargate-mirror status | head`: once the reader has what it wants and closes the pipe, stop quietly
 * with exit 0 as the Unix tools do (they die of SIGPIPE, which Node ignores), not with a stack trace.
 * An asynchronous write to process.stdout fails as an 'error' event nobody listens to, which reaches
 * here. It is caught at the process rather than with a listener on process.stdout because touching
 * process.stdout makes descriptor 1 non-blocking, and the records writers' synchronous writes to it
 * would then fail with EAGAIN. Synchronous writes throw EPIPE instead; runCli handles those.
 */
export function exitQuietlyOnBrokenPipe(): void {
  process.on('uncaughtException', (error) => {
    if (isBrokenPipe(error)) process.exit(0);
    if (process.env.FARGATE_MIRROR_DEBUG) process.stderr.write(`${error.stack ?? error.message}\n`);
    process.stderr.write(
      `fargate-mirror: unexpected error: ${error.message} (a bug: please report it; FARGATE_MIRROR_DEBUG=1 prints the stack)\n`,
    );
    process.exit(1);
  });
}
