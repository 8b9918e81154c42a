// Runs the built fargate-mirror CLI the way a user does, and reads what it wrote.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunResult, run } from './proc.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_BIN = join(REPO_ROOT, 'packages', 'cli', 'dist', 'bin.js');

/** `node packages/cli/dist/bin.js ARGS`; resolves with the exit code however it ends. */
export async function runCli(args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
  if (!existsSync(CLI_BIN)) throw new Error(`${CLI_BIN} is missing: build the CLI first (npm run build)`);
  return run(process.execPath, [CLI_BIN, ...args], {
    allowFailure: true,
    timeoutMs: opts.timeoutMs ?? 300_000,
  });
}

/** Every JSON Lines record of a file (throws, naming the line, on a line that is not JSON). */
export function readJsonLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch (e) {
        throw new Error(`${file}:${i + 1} is not JSON: ${l.slice(0, 200)}`, { cause: e });
      }
    });
}

export interface ReadOutcome {
  result: RunResult;
  recordsFile: string;
  innerPcap: string;
  records: Record<string, unknown>[];
}

/**
 * `fargate-mirror read CAPTURE --records <dir>/<name>.jsonl --pcap-out <dir>/<name>-inner.pcap`;
 * throws (with the CLI's stderr) unless it exits 0.
 */
export async function readCapture(capture: string, dir: string, name: string): Promise<ReadOutcome> {
  const recordsFile = join(dir, `${name}.jsonl`);
  const innerPcap = join(dir, `${name}-inner.pcap`);
  const result = await runCli(['read', capture, '--records', recordsFile, '--pcap-out', innerPcap]);
  if (result.code !== 0) {
    throw new Error(`fargate-mirror read ${capture} exited ${result.code}:\n${result.stderr}`);
  }
  return { result, recordsFile, innerPcap, records: readJsonLines(recordsFile) };
}
