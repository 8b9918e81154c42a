// Small process helpers for the test lab: run a program to completion, or start one and keep its PID.
// Every failure carries the command line and stderr, so a failing lab step says what went wrong.
import { type ChildProcess, execFile, spawn } from 'node:child_process';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RunOptions {
  /** Text written to the program's stdin (then closed). */
  input?: string | Buffer;
  /** Return a non-zero exit instead of throwing. @default false */
  allowFailure?: boolean;
  /** Kill the program after this many milliseconds (a hung step must not hang the suite). @default 60000 */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export class CommandError extends Error {
  readonly code = 'LAB_COMMAND_FAILED';
  readonly exitCode: number | null;
  readonly stderr: string;
  readonly stdout: string;
  constructor(commandLine: string, result: { code: number | null; stdout: string; stderr: string }) {
    super(`command failed (exit ${result.code}): ${commandLine}\n${result.stderr.trim()}`.trim());
    this.name = 'CommandError';
    this.exitCode = result.code;
    this.stderr = result.stderr;
    this.stdout = result.stdout;
  }
}

export function formatCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args]
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

/** Runs a program to completion; throws a CommandError on a non-zero exit unless allowFailure is set. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      {
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        env: opts.env,
        cwd: opts.cwd,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        const result = { stdout, stderr, code };
        if (error && typeof error.code !== 'number') {
          reject(
            new CommandError(formatCommand(cmd, args), { ...result, stderr: `${stderr}\n${error.message}` }),
          );
        } else if (code !== 0 && !opts.allowFailure) {
          reject(new CommandError(formatCommand(cmd, args), result));
        } else {
          resolve(result);
        }
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** A started program: its PID, collected output, and a promise of its exit. */
export interface Started {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly commandLine: string;
  /** Resolves with the exit code (or the signal name) once the program has exited. */
  readonly exited: Promise<number | string>;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout or stderr contains `text` (rejects if the program exits first or on timeout). */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Sends `signal` to this PID (if still running) and waits for the exit. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

/**
 * PIDs started here and still running. A test that times out never reaches its `finally`, so what it
 * started would outlive the test file (a receiver was found running an hour later): killed when the
 * test file's process exits.
 */
const running = new Set<number>();
process.once('exit', () => {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export function start(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv } = {}): Started {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env });
  if (child.pid === undefined) throw new Error(`could not start ${formatCommand(cmd, args)}`);
  const pid = child.pid;
  running.add(pid);
  let out = '';
  let err = '';
  let done = false;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    notify();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('close', (code, signal) => {
      done = true;
      running.delete(pid);
      notify();
      resolve(code ?? signal ?? -1);
    });
    child.on('error', (e) => {
      err += `\n${e.message}`;
    });
  });
  const commandLine = formatCommand(cmd, args);
  const started: Started = {
    child,
    pid,
    commandLine,
    exited,
    stdout: () => out,
    stderr: () => err,
    waitForOutput(text, timeoutMs = 20_000) {
      const seen = () => (typeof text === 'string' ? (out + err).includes(text) : text.test(out + err));
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (seen()) finish();
          else if (done)
            finish(new Error(`${commandLine} exited before printing ${String(text)}:\n${err}${out}`));
        };
        const timer = setTimeout(
          () =>
            finish(
              new Error(`${commandLine} did not print ${String(text)} within ${timeoutMs} ms:\n${err}${out}`),
            ),
          timeoutMs,
        );
        const finish = (e?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (e) reject(e);
          else resolve();
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM', graceMs = 5_000) {
      if (done) return exited;
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          if (!done) process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  return started;
}
