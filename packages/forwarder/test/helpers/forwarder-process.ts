// `fargate-mirror forward` as a real process inside the lab's task namespace.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Started } from '@fargate-mirror/testkit/proc';
import type { ForwardLab } from './forward-lab.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Runs the CLI's forward command (see forward-main.mjs). */
export const FORWARD_MAIN = join(HERE, 'forward-main.mjs');
export const REPO = join(HERE, '..', '..', '..', '..');
/**
 * The forwarder's own program, which the image's entrypoint runs (tini -> node -> its bundle): the
 * same argument and FARGATE_MIRROR_* handling, from the built package.
 */
export const FORWARDER_PROGRAM: readonly string[] = [
  process.execPath,
  join(REPO, 'packages', 'forwarder', 'bin', 'fargate-mirror-forward.js'),
];

export function requireBuiltCli(): void {
  const built = join(REPO, 'packages', 'cli', 'dist', 'commands', 'forward.js');
  if (!existsSync(built)) {
    throw new Error(`${built} is missing: build first (npx tsc -b packages/forwarder packages/cli)`);
  }
}

export interface StatsLine {
  type: 'forwarder_stats';
  reason: string;
  vni: number;
  [counter: string]: unknown;
}

export interface ForwardProcess {
  readonly proc: Started;
  /** The "capturing" log line (needs --log-level info). */
  readonly startLog: Record<string, unknown>;
  /** SIGTERM, wait for the exit, and return the final stats line. */
  stop(): Promise<{ exit: number | string; stats: StatsLine }>;
}

/** Every JSON line of `text` that parses. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

export function lastStats(stderr: string): StatsLine {
  const lines = jsonLines(stderr).filter((l) => l.type === 'forwarder_stats');
  const last = lines[lines.length - 1];
  if (last === undefined) throw new Error(`no stats line in the forwarder's stderr:\n${stderr}`);
  return last as StatsLine;
}

/**
 * Starts `[...prefix] node forward-main.mjs forward ARGS` in the task namespace and waits until it
 * captures. `prefix` runs it under setpriv/capsh; `command` replaces node+script (the entrypoint).
 */
export async function startForward(
  lab: ForwardLab,
  args: readonly string[],
  opts: { prefix?: readonly string[]; command?: readonly string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<ForwardProcess> {
  const command = opts.command ?? [process.execPath, FORWARD_MAIN, 'forward'];
  const full = [...(opts.prefix ?? []), ...command, ...args];
  const proc = lab.spawn('task', full[0], full.slice(1), { env: opts.env });
  await proc.waitForOutput('"msg":"capturing"', 30_000);
  const startLog = jsonLines(proc.stderr()).find((l) => l.msg === 'capturing') ?? {};
  return {
    proc,
    startLog,
    async stop() {
      const exit = await proc.stop('SIGTERM', 15_000);
      return { exit, stats: lastStats(proc.stderr()) };
    },
  };
}
