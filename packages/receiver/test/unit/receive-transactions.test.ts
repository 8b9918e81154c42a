// `receive` takes the same transaction options as `read` (--no-transactions, --redact-query,
// --capture-headers, or `transactions` in --config), and gives the records `read` gives with them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonLines } from '@fargate-mirror/testkit/cli';
import { SAMPLE_MIRROR } from '@fargate-mirror/testkit/mirror-records';
import { run } from '@fargate-mirror/testkit/proc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  LOOPBACK_RECEIVE,
  requireBuiltCli,
  startReceive,
  stopReceive,
} from '../helpers/receive-support.ts';

type Rec = Record<string, unknown>;

describe('receive with transaction options', () => {
  let dir: string;
  beforeAll(() => {
    requireBuiltCli();
    dir = mkdtempSync(join(tmpdir(), 'fm-receive-tx-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The sample through `receive ARGS`, and through `read ARGS`, as record lists. */
  async function both(name: string, args: string[]): Promise<{ live: Rec[]; offline: Rec[] }> {
    const records = join(dir, `${name}-live.jsonl`);
    const r = await startReceive([...LOOPBACK_RECEIVE, '--records', records, ...args]);
    await run(process.execPath, [
      CLI,
      'replay',
      SAMPLE_MIRROR,
      '--to',
      `127.0.0.1:${r.port}`,
      '--from',
      '127.0.0.1',
    ]);
    await stopReceive(r);
    const offlineFile = join(dir, `${name}-read.jsonl`);
    await run(process.execPath, [CLI, 'read', SAMPLE_MIRROR, '--records', offlineFile, ...args]);
    return { live: readJsonLines(records), offline: readJsonLines(offlineFile) };
  }

  const types = (rs: Rec[]) => [...new Set(rs.map((r) => r['type']))].sort();

  it('--no-transactions: flow records only, as read gives', async () => {
    const { live, offline } = await both('flows-only', ['--no-transactions']);
    expect(types(live)).toEqual(['flow']);
    expect(live.length).toBe(offline.length);
  });

  it('--capture-headers and --redact-query: the same http records as read', async () => {
    const { live, offline } = await both('headers', [
      '--capture-headers',
      'user-agent,accept',
      '--redact-query',
      'x',
    ]);
    const http = (rs: Rec[]) =>
      rs
        .filter((r) => r['type'] === 'http')
        .map((r) => JSON.stringify([r['url'], r['http_request_headers']]))
        .sort();
    expect(http(live).length).toBeGreaterThan(0);
    expect(http(live)).toEqual(http(offline));
    expect(live.some((r) => r['type'] === 'http' && r['http_request_headers'] !== undefined)).toBe(true);
  });
});
