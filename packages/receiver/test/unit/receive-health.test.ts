// /healthz means something: it turns 503 when a sink cannot keep up (a records FIFO whose reader
// stops reading), when the kernel drops datagrams (a tiny receive buffer under a flood), and while a
// worker is dead; and back to 200 once the trouble is over (with hysteresis). A dead worker is restarted.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Started, start } from '@fargate-mirror/testkit/proc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EPHEMERAL_RECEIVE,
  flowRecords,
  httpGet,
  metric,
  metrics,
  readJsonLines,
  requireBuiltCli,
  sendDatagrams,
  startReceive,
  stopReceive,
  vxlanDatagram,
  waitUntil,
} from '../helpers/receive-support.ts';

let dir = '';
const started: Started[] = [];
beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'fm-health-'));
});
afterAll(async () => {
  for (const p of started) await p.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function config(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, body);
  return file;
}

const FAST_HEALTH = ['health:', '  intervalMs: 200', '  unhealthyAfter: 2', '  healthyAfter: 3'];

async function healthz(port: number): Promise<number> {
  return (await httpGet(port, '/healthz')).status;
}

describe('receive health', () => {
  it('turns 503 while the records sink cannot keep up, and 200 once it drains, losing no record', async () => {
    // Prepare: records go to a FIFO whose only reader never reads (a stalled consumer).
    const fifo = join(dir, 'records.fifo');
    execFileSync('mkfifo', [fifo]);
    const holder = start('sh', ['-c', `exec sleep 600 < '${fifo}'`]);
    started.push(holder);
    const file = config(
      'stall.yaml',
      [
        ...FAST_HEALTH,
        '  recordsBacklogLimit: 16KiB',
        'flows:',
        '  udpIdleSeconds: 1',
        'recordsFlushMs: 50',
        '',
      ].join('\n'),
    );
    const r = await startReceive(['--config', file, ...EPHEMERAL_RECEIVE, '--records', fifo]);
    expect(await healthz(r.healthPort)).toBe(200);
    // Act 1: 1000 one-packet UDP flows; a second later they end, and ~700 KB of records back up.
    const flows = Array.from({ length: 1000 }, (_, i) =>
      vxlanDatagram({
        vni: 3,
        src: `10.3.${i >> 8}.${i & 0xff}`,
        dst: '10.3.9.9',
        sport: 30000 + i,
        dport: 123,
      }),
    );
    await sendDatagrams(r.port, flows);
    await waitUntil(
      '/healthz to fail on the records backlog',
      async () => (await healthz(r.healthPort)) === 503,
    );
    const body = JSON.parse((await httpGet(r.healthPort, '/healthz')).body) as { problems: string[] };
    expect(body.problems.join()).toMatch(/records sink cannot keep up/);
    expect(metric(await metrics(r.healthPort), 'sink_backlog_bytes{sink="records"}')).toBeGreaterThan(
      16 * 1024,
    );
    // Act 2: a reader drains the FIFO.
    const out = join(dir, 'drained.jsonl');
    const reader = start('sh', ['-c', `exec cat '${fifo}' > '${out}'`]);
    started.push(reader);
    await waitUntil('/healthz to pass again', async () => (await healthz(r.healthPort)) === 200);
    await stopReceive(r);
    expect(await reader.exited).toBe(0);
    await holder.stop('SIGKILL');
    // Assess: every flow has its record.
    expect(flowRecords(readJsonLines(out)).length).toBe(1000);
  });

  it('turns 503 while the kernel drops datagrams on our sockets, and 200 after', async () => {
    const file = config('drops.yaml', [...FAST_HEALTH, 'recvBuffer: 4KiB', ''].join('\n'));
    const r = await startReceive([
      '--config',
      file,
      ...EPHEMERAL_RECEIVE,
      '--records',
      join(dir, 'drops.jsonl'),
    ]);
    const burst = Array.from({ length: 5000 }, (_, i) =>
      vxlanDatagram({ vni: 4, src: '10.4.0.1', dst: '10.4.0.2', sport: i, dport: 7, payloadBytes: 1000 }),
    );
    const { createSocket } = await import('node:dgram');
    const socket = createSocket('udp4');
    // Flood (unpaced) until unhealthy: each check must see new drops, twice in a row.
    let flooding = true;
    const flood = (async () => {
      while (flooding) {
        for (const d of burst) socket.send(d, r.port, '127.0.0.1');
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    await waitUntil('/healthz to fail on kernel drops', async () => (await healthz(r.healthPort)) === 503);
    flooding = false;
    await flood;
    const body = JSON.parse((await httpGet(r.healthPort, '/healthz')).body) as { problems: string[] };
    expect(body.problems.join()).toMatch(/kernel dropped \d+ datagrams/);
    await waitUntil('/healthz to pass again', async () => (await healthz(r.healthPort)) === 200);
    expect(metric(await metrics(r.healthPort), 'kernel_drops_total')).toBeGreaterThan(0);
    socket.close();
    const stderr = await stopReceive(r);
    // The start of the episode is logged once, with its rate.
    expect(stderr).toMatch(
      /kernel started dropping datagrams on the receive sockets: \d+ in \d+ ms \(about \d+\/s\)/,
    );
  });

  it('restarts a dead worker, counts it, and keeps receiving', async () => {
    const file = config(
      'crash.yaml',
      [...FAST_HEALTH, 'testing:', '  faultInjection: true', 'flows:', '  udpIdleSeconds: 1', ''].join('\n'),
    );
    const records = join(dir, 'crash.jsonl');
    const r = await startReceive([
      '--config',
      file,
      '--workers',
      '2',
      ...EPHEMERAL_RECEIVE,
      '--records',
      records,
    ]);
    const res = await fetch(`http://127.0.0.1:${r.healthPort}/debug/crash-worker?id=1`, { method: 'POST' });
    expect(res.status).toBe(202);
    await waitUntil('the worker to be restarted', async () => {
      const m = await metrics(r.healthPort);
      return metric(m, 'worker_restarts_total') === 1 && metric(m, 'workers_alive') === 2;
    });
    await waitUntil(
      '/healthz to be 200 with both workers',
      async () => (await healthz(r.healthPort)) === 200,
    );
    // Traffic after the restart reaches both workers' flow tables and ends in records.
    const flows = Array.from({ length: 200 }, (_, i) =>
      vxlanDatagram({ vni: 6, src: '10.6.0.1', dst: '10.6.0.2', sport: 40000 + i, dport: 53 }),
    );
    await sendDatagrams(r.port, flows);
    await waitUntil(
      'records for every flow',
      async () => metric(await metrics(r.healthPort), 'flows_ended_total') >= 200,
    );
    await stopReceive(r);
    expect(flowRecords(readJsonLines(records)).length).toBe(200);
  });
});
