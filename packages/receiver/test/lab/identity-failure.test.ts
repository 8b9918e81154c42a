// `receive --aws-identity` when AWS cannot be reached or its SDK cannot even load its configuration:
// the receiver starts and keeps running without identity - /healthz answers, replayed mirror
// traffic still becomes records, no worker dies - while every failure is counted in /metrics and
// reported at most once a minute per error code.
//
// Two failures: (1) no HOME and a user without a passwd entry (the SDK's home directory look-up
// throws, once in a promise the SDK itself never awaits, which used to kill the worker again and
// again), run as uid 54321 through setpriv, so it needs root; (2) an AWS_ENDPOINT_URL that refuses
// connections.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonLines } from '@fargate-mirror/testkit/cli';
import { SAMPLE_MIRROR } from '@fargate-mirror/testkit/mirror-records';
import { run, start } from '@fargate-mirror/testkit/proc';
import { findTool, requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  httpGet,
  LOOPBACK_RECEIVE,
  metric,
  metrics,
  type RunningReceiver,
  requireBuiltCli,
  startReceive,
  stopReceive,
  waitUntil,
} from '../helpers/receive-support.ts';

const UID_WITHOUT_PASSWD_ENTRY = 54321;

let dir: string;

beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'fm-identity-failure-'));
  // The receiver of the first case runs as an unprivileged uid: it writes its records here.
  chmodSync(dir, 0o777);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A TCP port on 127.0.0.1 that nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function receiveArgs(name: string): string[] {
  return [...LOOPBACK_RECEIVE, '--records', join(dir, `${name}.jsonl`), '--aws-identity'];
}

/** The identity warnings the receiver logged (pino JSON lines on stderr), by error code. */
function identityWarnings(stderr: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { level: number; msg: string; code?: string };
    if (entry.level !== 40 || !/^(identity|AWS SDK)/.test(entry.msg)) continue;
    out.set(entry.code ?? '(none)', (out.get(entry.code ?? '(none)') ?? 0) + 1);
  }
  return out;
}

/**
 * Replays the sample into the receiver and checks it kept working without identity, then stops it
 * and checks the log: each error code reported at most once per started minute of the run.
 */
async function expectRunsWithoutIdentity(r: RunningReceiver, name: string, startedAt: number): Promise<void> {
  try {
    await expectServing(r);
  } catch (error) {
    await r.proc.stop('SIGKILL'); // a failed check leaves no receiver behind
    throw error;
  }
  const stderr = await stopReceive(r);
  const elapsedMinutes = Math.ceil((Date.now() - startedAt) / 60_000);
  expect(stderr).toMatch(/worker restarts 0,/);
  const records = readJsonLines(join(dir, `${name}.jsonl`));
  expect(records.length).toBeGreaterThan(20);
  for (const rec of records) {
    expect(rec['src_ecs_task_arn']).toBeUndefined();
    expect(rec['dest_ecs_task_arn']).toBeUndefined();
  }
  const warnings = identityWarnings(stderr);
  expect(warnings.size, stderr).toBeGreaterThan(0);
  for (const [code, n] of warnings) expect(n, `warnings for ${code}`).toBeLessThanOrEqual(elapsedMinutes);
}

/** While running: healthy, records from replayed traffic, identity failures counted, no restart. */
async function expectServing(r: RunningReceiver): Promise<void> {
  expect((await httpGet(r.healthPort, '/healthz')).status).toBe(200);
  await run(process.execPath, [
    CLI,
    'replay',
    SAMPLE_MIRROR,
    '--to',
    `127.0.0.1:${r.port}`,
    '--rate',
    '5000',
  ]);
  // Transactions are written at their responses: records flow while identity keeps failing.
  await waitUntil('records from the replayed traffic', async () => {
    const m = await metrics(r.healthPort);
    return metric(m, 'records_written_total') > 0 && metric(m, 'identity_errors_total{kind="lookup"}') > 0;
  });
  const m = await metrics(r.healthPort);
  expect(metric(m, 'worker_restarts_total')).toBe(0);
  expect(metric(m, 'workers_alive')).toBe(1);
  expect(metric(m, 'identity_errors_total{kind="refresh"}')).toBeGreaterThanOrEqual(1);
  expect(metric(m, 'identity_refreshes_total')).toBe(0);
  expect((await httpGet(r.healthPort, '/healthz')).status).toBe(200);
}

describe('receive --aws-identity without a usable AWS configuration', () => {
  it('keeps running without identity when the SDK cannot find a home directory (no HOME, no passwd entry)', async () => {
    requireRootAndTools(['setpriv']);
    const setpriv = findTool('setpriv') as string;
    const garbage = join(dir, 'aws-config');
    writeFileSync(garbage, '[[[ not an ini file\n\u0000\u0001 garbage = = =\n');
    chmodSync(garbage, 0o644);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_CONFIG_FILE: garbage,
    };
    const startedAt = Date.now();
    const r = await startReceive(receiveArgs('no-home'), (cmd, args) =>
      start(
        setpriv,
        [
          `--reuid=${UID_WITHOUT_PASSWD_ENTRY}`,
          `--regid=${UID_WITHOUT_PASSWD_ENTRY}`,
          '--clear-groups',
          '--inh-caps=-all',
          '--bounding-set=-all',
          cmd,
          ...args,
        ],
        { env },
      ),
    );
    await expectRunsWithoutIdentity(r, 'no-home', startedAt);
  }, 90_000);

  it('keeps running without identity when AWS_ENDPOINT_URL refuses connections', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_ENDPOINT_URL: `http://127.0.0.1:${await closedPort()}`,
    };
    const startedAt = Date.now();
    const r = await startReceive(receiveArgs('refused'), (cmd, args) => start(cmd, args, { env }));
    await expectRunsWithoutIdentity(r, 'refused', startedAt);
  }, 90_000);
});
