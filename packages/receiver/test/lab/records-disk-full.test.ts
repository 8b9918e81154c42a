// Issue 17 item 2: the records disk (and the pcap directory on it) full, on a real small tmpfs.
// The records queue stays within recordsMaxBacklog and what it drops is counted and logged; the file
// never ends in a torn line (a short write is cut back); no empty .pcap is "completed" while full.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLE_MIRROR } from '@fargate-mirror/testkit/mirror-records';
import { run } from '@fargate-mirror/testkit/proc';
import { beforeAll, describe, expect, it } from 'vitest';
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
import { mountSmallDisk } from '../helpers/small-disk.ts';

beforeAll(() => requireBuiltCli());

describe('receive with the records disk full', () => {
  it('bounds the queue, counts and logs drops, leaves whole lines only and no empty pcap files', async () => {
    const disk = await mountSmallDisk('512k');
    try {
      const config = join(disk.path, 'c.json');
      writeFileSync(
        config,
        JSON.stringify({
          logLevel: 'info',
          recordsMaxBacklog: '64KiB',
          health: { intervalMs: 100, unhealthyAfter: 1, recordsBacklogLimit: '16KiB' },
        }),
      );
      const records = join(disk.path, 'records.jsonl');
      const pcapDir = join(disk.path, 'pcap');
      const r = await startReceive([
        ...LOOPBACK_RECEIVE,
        '--records',
        records,
        '--pcap-dir',
        pcapDir,
        '--rotate-seconds',
        '1',
        '--config',
        config,
      ]);
      // Enough distinct flows to fill 512 KiB of records and pcap many times over.
      await run(process.execPath, [
        CLI,
        'replay',
        SAMPLE_MIRROR,
        '--to',
        `127.0.0.1:${r.port}`,
        '--loop',
        '200',
        '--distinct-loops',
        '--rate',
        '20000',
      ]);
      await waitUntil('records dropped and counted', async () => {
        return metric(await metrics(r.healthPort), 'records_dropped_total') > 0;
      });
      const m = await metrics(r.healthPort);
      expect(metric(m, 'sink_backlog_bytes{sink="records"}')).toBeLessThanOrEqual(64 * 1024 + 1024 * 1024);
      expect((await httpGet(r.healthPort, '/healthz')).status).toBe(503);
      // Let the pcap sink hit the full disk through a few rotations.
      await new Promise((res) => setTimeout(res, 3000));
      const stderr = await stopReceive(r);
      const text = readFileSync(records, 'utf8');
      expect(text.length).toBeGreaterThan(0);
      expect(text.endsWith('\n')).toBe(true);
      for (const line of text.split('\n').slice(0, -1)) expect(() => JSON.parse(line)).not.toThrow();
      const empty = readdirSync(pcapDir).filter(
        (n) => n.endsWith('.pcap') && statSync(join(pcapDir, n)).size <= 24,
      );
      expect(empty).toEqual([]);
      expect(stderr).toContain('records backlog full');
    } finally {
      await disk.unmount();
    }
  }, 180_000);
});
