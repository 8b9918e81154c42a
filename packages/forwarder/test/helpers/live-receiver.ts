// `fargate-mirror receive` as a real process in a lab namespace: started from the built CLI, ready
// once it prints its ready line, asked for its Prometheus counters over HTTP from inside the same
// namespace, and stopped with SIGTERM (which must end in exit 0 after the summary line).
import { existsSync } from 'node:fs';
import { CLI_BIN } from '@fargate-mirror/testkit/cli';
import type { RunOptions, RunResult, Started } from '@fargate-mirror/testkit/proc';

const READY = /fargate-mirror receive: ready: .*health http port (\d+)/;
const SUMMARY = /fargate-mirror receive: stopped: .*/;

/** Runs a program inside the namespace the receiver lives in. */
export type NsExec = (cmd: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;
/** Starts a program inside that namespace (the lab kills it by PID at close). */
export type NsSpawn = (cmd: string, args: readonly string[]) => Started;

export interface LiveReceiver {
  readonly proc: Started;
  readonly healthPort: number;
  /** One counter of /metrics, `fargate_mirror_receiver_<name>` (labels included in `name`). */
  metric(name: string): Promise<number>;
  /** SIGTERM, wait for the exit; throws unless it exited 0 after its summary. Returns the summary. */
  stop(): Promise<string>;
}

export function requireBuiltReceiveCli(): void {
  if (!existsSync(CLI_BIN)) throw new Error(`${CLI_BIN} is missing: build first (npx tsc -b packages/cli)`);
}

export async function startLiveReceiver(
  spawn: NsSpawn,
  exec: NsExec,
  args: readonly string[],
): Promise<LiveReceiver> {
  const proc = spawn(process.execPath, [CLI_BIN, 'receive', ...args]);
  await proc.waitForOutput(READY, 30_000);
  const healthPort = Number(READY.exec(proc.stderr())?.[1]);
  return {
    proc,
    healthPort,
    async metric(name) {
      const full = `fargate_mirror_receiver_${name}`;
      const { stdout } = await exec('curl', ['-sS', '--fail', `http://127.0.0.1:${healthPort}/metrics`]);
      const line = stdout.split('\n').find((l) => l.startsWith(`${full} `));
      if (line === undefined) throw new Error(`metric ${full} is missing from /metrics:\n${stdout}`);
      return Number(line.slice(full.length + 1));
    },
    async stop() {
      const exit = await proc.stop('SIGTERM', 60_000);
      const stderr = proc.stderr();
      const summary = SUMMARY.exec(stderr)?.[0];
      if (exit !== 0 || summary === undefined) {
        throw new Error(`receive exited with ${exit} (summary: ${summary ?? 'none'}):\n${stderr}`);
      }
      return summary;
    },
  };
}

/** Polls `check` until it holds; fails naming `what` after `timeoutMs`. Nothing is timed. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
