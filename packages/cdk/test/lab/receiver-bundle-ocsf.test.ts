// The single-file receiver bundle (assets/receiver, what a receiver instance is given) writes OCSF
// Parquet: parquet-wasm's WebAssembly and the OCSF schema ride inside fargate-mirror.mjs. The two
// files are copied alone into an empty folder (no node_modules, no schema/ anywhere above), the
// bundle's `receive --ocsf-parquet` takes the sample capture replayed by the bundle's `replay`, and
// DuckDB reads the files back with the counts of the JSON Lines records of the same run. And its
// `read --workers`, whose worker file it does not carry, is refused with a clear error.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckdbOverLake } from '@fargate-mirror/testkit/ocsf-lake';
import { run, start } from '@fargate-mirror/testkit/proc';
import { LOOPBACK_RECEIVE, parseReady, RECEIVE_READY } from '@fargate-mirror/testkit/receive';
import { afterAll, describe, expect, it } from 'vitest';
import { RECEIVER_BUNDLE_FILE, RECEIVER_WORKER_FILE } from '../../src/private/receiver-bundle.js';

const PKG = join(import.meta.dirname, '..', '..');
const SAMPLE = join(PKG, '..', '..', 'fixtures', 'sample-mirror.pcap');

describe('the bundled receiver writes OCSF Parquet', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-bundle-ocsf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('receive --ocsf-parquet from the bundle alone, read back by DuckDB', async () => {
    for (const f of [RECEIVER_BUNDLE_FILE, RECEIVER_WORKER_FILE])
      copyFileSync(join(PKG, 'assets', 'receiver', f), join(dir, f));
    const bundle = join(dir, RECEIVER_BUNDLE_FILE);
    const lake = join(dir, 'lake');
    const records = join(dir, 'records.jsonl');
    const receiver = start(
      process.execPath,
      [bundle, 'receive', ...LOOPBACK_RECEIVE, '--records', records, '--ocsf-parquet', lake],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } },
    );
    await receiver.waitForOutput(RECEIVE_READY, 30_000);
    const { port, healthPort: health } = parseReady(receiver.stderr());
    await run(process.execPath, [bundle, 'replay', SAMPLE, '--to', `127.0.0.1:${port}`, '--rate', '5000']);
    // Every datagram read before the stop: the health port's counter says so.
    for (let i = 0; i < 300; i++) {
      const text = await (await fetch(`http://127.0.0.1:${health}/metrics`)).text();
      if (/^fargate_mirror_receiver_packets_total 152$/m.test(text)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await receiver.stop('SIGTERM', 60_000), receiver.stderr()).toBe(0);
    expect(receiver.stderr()).not.toMatch(/cannot be loaded/);

    const byType = new Map<string, number>();
    for (const line of readFileSync(records, 'utf8').split('\n')) {
      if (line === '') continue;
      const type = (JSON.parse(line) as { type: string }).type;
      byType.set(type, (byType.get(type) ?? 0) + 1);
    }
    expect(byType.get('flow')).toBeGreaterThan(0);
    const files = readdirSync(lake, { recursive: true }).map(String);
    expect(files.some((f) => f.endsWith('.zstd.parquet'))).toBe(true);
    const query = await duckdbOverLake(lake);
    const count = async (c: string) => Number((await query(`SELECT count(*) AS n FROM ${c}`))[0].n);
    expect(await count('network_activity')).toBe((byType.get('flow') ?? 0) + (byType.get('tls') ?? 0));
    expect(await count('http_activity')).toBe(byType.get('http') ?? 0);
    expect(await count('dns_activity')).toBe(byType.get('dns') ?? 0);
  });

  it('read --workers from the bundle: refused, naming the missing worker file, before any output', async () => {
    // The instances run receive; read's worker threads need a file the single-file bundle lacks.
    for (const f of [RECEIVER_BUNDLE_FILE, RECEIVER_WORKER_FILE])
      copyFileSync(join(PKG, 'assets', 'receiver', f), join(dir, f));
    const records = join(dir, 'read-workers.jsonl');
    const r = await run(
      process.execPath,
      [join(dir, RECEIVER_BUNDLE_FILE), 'read', SAMPLE, '--workers', '2', '--records', records],
      { allowFailure: true },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('read-shard-worker.js is missing');
    expect(r.stderr).toContain('READ_WORKERS_UNSUPPORTED');
    expect(r.stderr).not.toContain('unexpected error');
    expect(existsSync(records)).toBe(false);
    // Without --workers the same bundle reads it.
    const one = await run(process.execPath, [
      join(dir, RECEIVER_BUNDLE_FILE),
      'read',
      SAMPLE,
      '--records',
      records,
    ]);
    expect(one.code).toBe(0);
    expect(readFileSync(records, 'utf8').split('\n').filter(Boolean).length).toBeGreaterThan(0);
  });
});
