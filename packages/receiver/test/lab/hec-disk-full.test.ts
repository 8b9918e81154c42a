// Issue 17 item 1: HEC on and the spool's disk full. A real full disk (a small tmpfs, by bytes and by
// inodes), Splunk away (helpers/hec-server.ts refusing connections): the sink counts the refused
// writes, holds batches in memory up to its bound, then drops the oldest with a counter and a log
// line, and delivers what it held once Splunk is back. The built `receive` keeps running, /healthz
// answers 503 naming the cause, and a restart on the same full disk starts (it used to crash again).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLE_MIRROR } from '@fargate-mirror/testkit/mirror-records';
import { run } from '@fargate-mirror/testkit/proc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HecSink } from '../../src/sinks/hec/hec-sink.js';
import { HecServer, newToken } from '../helpers/hec-server.ts';
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

let dir: string;
beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'fm-hec-full-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function memoryLog() {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (_: object, msg: string) => {
    lines.push({ level, msg });
  };
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } };
}

/** Incompressible records, so a few fill a small disk. */
function record(i: number): Record<string, unknown> {
  return {
    type: 'flow',
    time: '2026-11-21T05:31:10.000000Z',
    seq: i,
    noise: randomBytes(600).toString('hex'),
  };
}

describe('HEC sink on a full spool disk', () => {
  for (const [how, size, inodes, cause] of [
    ['by bytes', '256k', undefined, /cannot write to .*: ENOSPC|no room in /],
    ['by inodes', '4m', 4, /cannot write to .*: ENOSPC/],
  ] as const) {
    it(`full ${how}: counts refused writes, holds batches in memory (bounded), drops the oldest counted, delivers the rest later`, async () => {
      const disk = await mountSmallDisk(size, inodes);
      const token = newToken();
      const server = await HecServer.start({ tokens: { [token]: {} } });
      const { lines, log } = memoryLog();
      let sink: HecSink | undefined;
      try {
        await server.down();
        sink = HecSink.open({
          url: server.url,
          token,
          spoolDir: join(disk.path, 'spool'),
          spoolReserveBytes: 0,
          maxMemoryBytes: 64 * 1024,
          maxBatchBytes: 8192,
          flushMs: 60_000,
          retryBaseMs: 20,
          retryMaxMs: 100,
          log,
        });
        const s = sink;
        if (inodes === undefined) fillDisk(disk.path);
        for (let i = 0; i < 400; i++) {
          s.writeRecord(record(i));
          if (i % 5 === 4) s.flush();
        }
        s.flush();
        expect(s.stats.spoolWriteErrors).toBeGreaterThan(0);
        expect(s.spoolProblem).toMatch(cause);
        expect(s.healthy).toBe(false);
        expect(s.memoryBytes).toBeGreaterThan(0);
        expect(s.memoryBytes).toBeLessThanOrEqual(64 * 1024);
        expect(s.stats.eventsDroppedNoSpace).toBeGreaterThan(0);
        expect(s.stats.eventsDropped).toBe(s.stats.eventsDroppedNoSpace);
        expect(
          lines.some((l) => l.level === 'error' && /HEC spool: .*holding batches in memory/.test(l.msg)),
        ).toBe(true);
        expect(
          lines.some((l) => l.level === 'error' && /in-memory bound is reached: dropped/.test(l.msg)),
        ).toBe(true);
        await server.up();
        await s.close(20_000);
        expect(server.events.length).toBe(400 - s.stats.eventsDropped);
        expect(s.stats.eventsDelivered).toBe(400 - s.stats.eventsDropped);
        // the oldest went: the newest record is among those delivered
        expect(server.events.some((e) => (e.event as { seq: number }).seq === 399)).toBe(true);
      } finally {
        await sink?.close(0);
        await server.close();
        await disk.unmount();
      }
    }, 60_000);
  }
});

describe('receive with HEC on and the spool disk full', () => {
  it('keeps running, /healthz 503 names the spool, a restart on the same full disk starts', async () => {
    const disk = await mountSmallDisk('256k');
    const token = newToken();
    const server = await HecServer.start({ tokens: { [token]: {} } });
    process.env.FARGATE_MIRROR_HEC_TOKEN = token;
    const config = join(dir, 'full.json');
    writeFileSync(
      config,
      JSON.stringify({
        logLevel: 'info',
        health: { intervalMs: 100, unhealthyAfter: 1 },
        hec: {
          spoolDir: join(disk.path, 'spool'),
          spoolReserveBytes: 0,
          maxBatchBytes: 4096,
          flushMs: 50,
          retryBaseMs: 100,
          retryMaxMs: 500,
          drainSeconds: 0,
        },
      }),
    );
    const args = (n: number) => [
      ...LOOPBACK_RECEIVE,
      '--records',
      join(dir, `full-${n}.jsonl`),
      '--hec-url',
      server.url,
      '--config',
      config,
    ];
    try {
      await server.down();
      const first = await startReceive(args(1));
      fillDisk(disk.path);
      expect((await httpGet(first.healthPort, '/healthz')).status).toBe(200);
      await run(process.execPath, [
        CLI,
        'replay',
        SAMPLE_MIRROR,
        '--to',
        `127.0.0.1:${first.port}`,
        '--rate',
        '5000',
      ]);
      await waitUntil('/healthz 503 on the HEC spool disk', async () => {
        const h = await httpGet(first.healthPort, '/healthz');
        return h.status === 503 && /Splunk HEC spool: .*ENOSPC|Splunk HEC spool: no room/.test(h.body);
      });
      const m = await metrics(first.healthPort);
      expect(metric(m, 'hec_spool_write_errors_total')).toBeGreaterThan(0);
      expect(metric(m, 'hec_memory_bytes')).toBeGreaterThan(0);
      const stderr = await stopReceive(first);
      expect(stderr).toMatch(/HEC spool: (cannot write to .*ENOSPC|no room in )/);

      const second = await startReceive(args(2));
      await run(process.execPath, [
        CLI,
        'replay',
        SAMPLE_MIRROR,
        '--to',
        `127.0.0.1:${second.port}`,
        '--rate',
        '5000',
      ]);
      await waitUntil('/healthz 503 after the restart', async () => {
        const h = await httpGet(second.healthPort, '/healthz');
        return h.status === 503 && /Splunk HEC spool/.test(h.body);
      });
      await stopReceive(second);
    } finally {
      await server.close();
      await disk.unmount();
    }
  }, 120_000);
});
