// The OCSF Parquet disk full, on a real small tmpfs (ENOSPC from the kernel): the encoded files are
// held in memory, counted (ocsf_held_records) and reported by /healthz; once space is back, the next
// roll writes them, and every record the receiver made is in the Parquet, none lost.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { SAMPLE_MIRROR } from '@fargate-mirror/testkit/mirror-records';
import { run } from '@fargate-mirror/testkit/proc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  httpGet,
  LOOPBACK_RECEIVE,
  metric,
  metrics,
  requireBuiltCli,
  startReceive,
  stopReceive,
  waitUntil,
} from '../helpers/receive-support.ts';
import { fillDisk, mountSmallDisk } from '../helpers/small-disk.ts';

const work = mkdtempSync(join(tmpdir(), 'fm-ocsf-full-'));
beforeAll(() => requireBuiltCli());
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('receive with the OCSF Parquet disk full', () => {
  it('holds the files, says so in /healthz and the metrics, and writes them all once space is back', async () => {
    const disk = await mountSmallDisk('256k');
    try {
      const ocsfDir = join(disk.path, 'ocsf');
      mkdirSync(ocsfDir, { mode: 0o700 });
      fillDisk(disk.path);
      const config = join(work, 'c.json');
      writeFileSync(
        config,
        JSON.stringify({
          ocsf: { dir: ocsfDir, windowSeconds: 1, graceSeconds: 0, accountId: '123456789012' },
          health: { intervalMs: 200, unhealthyAfter: 1, healthyAfter: 1, minDiskFreePercent: 0 },
        }),
      );
      const records = join(work, 'records.jsonl');
      const r = await startReceive([...LOOPBACK_RECEIVE, '--records', records, '--config', config]);
      await run(process.execPath, [CLI, 'replay', SAMPLE_MIRROR, '--to', `127.0.0.1:${r.port}`]);
      await waitUntil('OCSF records held in memory', async () => {
        return metric(await metrics(r.healthPort), 'ocsf_held_records') > 0;
      });
      // The next health check (every 200 ms) sees them.
      await waitUntil(
        '/healthz unhealthy',
        async () => (await httpGet(r.healthPort, '/healthz')).status === 503,
      );
      const full = await httpGet(r.healthPort, '/healthz');
      expect(full.body).toMatch(
        /OCSF Parquet: \d+ files \(\d+ records\) held in memory, not yet written \(cannot write .*ENOSPC/,
      );
      expect(metric(await metrics(r.healthPort), 'ocsf_files_total')).toBe(0);

      rmSync(join(disk.path, 'filler'));
      await waitUntil('the held files written', async () => {
        const m = await metrics(r.healthPort);
        return metric(m, 'ocsf_held_records') === 0 && metric(m, 'ocsf_files_total') > 0;
      });
      await waitUntil(
        '/healthz healthy again',
        async () => (await httpGet(r.healthPort, '/healthz')).status === 200,
      );
      const m = await metrics(r.healthPort);
      expect(metric(m, 'ocsf_records_lost_total')).toBe(0);
      expect(metric(m, 'ocsf_records_failed_total')).toBe(0);
      const stderr = await stopReceive(r);
      expect(stderr).toMatch(/OCSF Parquet file not written/);
      expect(stderr).toMatch(/held in memory and written at the next roll/);

      // Every record the receiver made is in the Parquet once: DuckDB counts them.
      const made = readFileSync(records, 'utf8').trim().split('\n').length;
      expect(made).toBeGreaterThan(0);
      const db = await DuckDBInstance.create(':memory:');
      const connection = await db.connect();
      const reader = await connection.runAndReadAll(
        `SELECT count(*) AS n FROM read_parquet('${ocsfDir}/**/*.parquet')`,
      );
      expect(Number(reader.getRowObjects()[0].n)).toBe(made);
      connection.closeSync();
    } finally {
      await disk.unmount();
    }
  }, 180_000);
});
