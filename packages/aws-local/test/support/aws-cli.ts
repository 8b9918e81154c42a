// Debian's AWS CLI v2 against the emulator, and comparisons of its answers with the shapes of the
// CLI's own documentation examples. Lab tests only: these run a real external program.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REGION } from './harness.js';

export const AWS_CLI = '/usr/bin/aws';

export function requireAwsCli(): void {
  if (!existsSync(AWS_CLI)) {
    throw new Error(`Debian's AWS CLI v2 is required at ${AWS_CLI} (apt-get install awscli); it is missing`);
  }
}

/** The CLI's environment: the long-term test key unless `credentials` names others, no config files. */
function cliEnv(credentials: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_MAX_ATTEMPTS: '1',
    AWS_PAGER: '',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    ...credentials,
  };
}

/**
 * Runs Debian's AWS CLI v2 against the emulator and parses its JSON output. `credentials`: other
 * keys than the long-term test key (e.g. a session's, with its token).
 */
export function awsCli(
  url: string,
  args: string[],
  credentials: Record<string, string> = {},
): Promise<{ code: number; json: unknown; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      AWS_CLI,
      [...args, '--endpoint-url', url, '--output', 'json', '--region', REGION],
      {
        env: cliEnv(credentials),
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        let json: unknown;
        if (stdout.trim() !== '') json = JSON.parse(stdout);
        resolve({ code, json, stderr });
      },
    );
  });
}

const EXAMPLES = '/usr/lib/python3/dist-packages/awscli/examples';

/** The first `Output::` JSON of the AWS CLI's own documentation example for a command. */
export function cliDocExample(service: string, command: string): unknown {
  const text = readFileSync(`${EXAMPLES}/${service}/${command}.rst`, 'utf8');
  const after = text.split('Output::')[1];
  if (!after) throw new Error(`no Output:: block in the ${service} ${command} example`);
  const start = after.indexOf('{');
  let depth = 0;
  for (let i = start; i < after.length; i++) {
    if (after[i] === '{') depth++;
    if (after[i] === '}') depth--;
    if (depth === 0) return JSON.parse(after.slice(start, i + 1));
  }
  throw new Error(`unterminated JSON in the ${service} ${command} example`);
}

/**
 * Paths of keys present in `documented` but missing in `actual` (objects recursively, arrays
 * through their first element): our answer must have at least the documented shape.
 */
export function missingKeys(documented: unknown, actual: unknown, path = ''): string[] {
  if (Array.isArray(documented)) {
    if (!Array.isArray(actual)) return [`${path}[]`];
    // An empty list has the documented shape; its members cannot be compared.
    if (documented.length === 0 || actual.length === 0) return [];
    return missingKeys(documented[0], actual[0], `${path}[0]`);
  }
  if (documented && typeof documented === 'object') {
    if (!actual || typeof actual !== 'object') return [path];
    return Object.entries(documented).flatMap(([key, value]) =>
      key in actual
        ? missingKeys(value, (actual as Record<string, unknown>)[key], `${path}.${key}`)
        : [`${path}.${key}`],
    );
  }
  return [];
}

/** Same for value types: a documented number must not come back as a string, and so on. */
export function typeMismatches(documented: unknown, actual: unknown, path = ''): string[] {
  if (Array.isArray(documented)) {
    if (documented.length === 0 || !Array.isArray(actual) || actual.length === 0) return [];
    return typeMismatches(documented[0], actual[0], `${path}[0]`);
  }
  if (documented && typeof documented === 'object') {
    if (!actual || typeof actual !== 'object') return [];
    return Object.entries(documented).flatMap(([key, value]) =>
      key in actual ? typeMismatches(value, (actual as Record<string, unknown>)[key], `${path}.${key}`) : [],
    );
  }
  return typeof documented === typeof actual ? [] : [`${path}: ${typeof documented} vs ${typeof actual}`];
}

/** Runs Debian's AWS CLI v2 (`aws s3 ...`, whose output is text) against the emulator. */
export function awsCliText(
  url: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      AWS_CLI,
      [...args, '--endpoint-url', url, '--region', REGION],
      {
        env: cliEnv(),
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

// biome-ignore lint/suspicious/noExplicitAny: JSON printed by the AWS CLI, read field by field in assertions.
export type CliJson = Record<string, any>;

/**
 * `cli` (the command's JSON; throws unless it exits 0) and `cliError` (its stderr; throws if it
 * succeeds) against the emulator at `url()`, read at each call (the URL is known once it started).
 */
export function cliCalls(url: () => string): {
  cli: (...args: string[]) => Promise<CliJson>;
  cliError: (...args: string[]) => Promise<string>;
} {
  return {
    async cli(...args) {
      const result = await awsCli(url(), args);
      if (result.code !== 0)
        throw new Error(`aws ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
      return (result.json ?? {}) as CliJson;
    },
    async cliError(...args) {
      const result = await awsCli(url(), args);
      if (result.code === 0) throw new Error(`aws ${args.join(' ')} unexpectedly succeeded`);
      return result.stderr;
    },
  };
}

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(PACKAGE, 'dist', 'bin.js');

/** The standalone binary, started by `startBinary`. */
export interface RunningBinary {
  /** As the binary announced it on its first stdout line. */
  readonly url: string;
  readonly port: number;
  /** SIGTERM to its own PID, then waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Needs the AWS CLI, builds the package (incremental, quick when up to date) and starts the
 * standalone binary with `args` (`--port 0` and the options under test).
 */
export async function startBinary(args: readonly string[]): Promise<RunningBinary> {
  requireAwsCli();
  execFileSync('npx', ['tsc', '-b', PACKAGE], { stdio: 'inherit' });
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing after the build`);
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const announced = JSON.parse(line.toString().split('\n')[0] ?? '') as { url: string; port: number };
  return {
    url: announced.url,
    port: announced.port,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
