// Issue 17 item 4: what kill -9 loses is small and known. A long-lived UDP flow (a datagram every
// 100 ms through loopback to the built `receive`) with a 1 s active timeout gives interim records
// while it is open; Splunk HEC is down and the HEC batch would be held for ten minutes
// (hec.flushMs), so only the journal of the batch being filled can carry those events. kill -9, then
// a restart with HEC up: every interim record the records file held before the crash reaches HEC.
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HecServer, newToken } from '../helpers/hec-server.ts';
import {
  LOOPBACK_RECEIVE,
  metric,
  metrics,
  readJsonLines,
  requireBuiltCli,
  startReceive,
  stopReceive,
  vxlanDatagram,
  waitUntil,
} from '../helpers/receive-support.ts';

let dir: string;
beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'fm-crash-window-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const FLOW = { vni: 9, src: '10.0.3.4', dst: '10.0.4.5', sport: 40_000, dport: 5000 };

/** Sends one datagram of FLOW every `everyMs` until `stop()`; resolves the count sent. */
function longLivedFlow(port: number, everyMs: number): { stop(): Promise<number> } {
  const socket = createSocket('udp4');
  let sent = 0;
  const timer = setInterval(() => {
    socket.send(vxlanDatagram({ ...FLOW, payloadBytes: 20 }), port, '127.0.0.1');
    sent++;
  }, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await new Promise<void>((r) => socket.close(() => r()));
      return sent;
    },
  };
}

type Flow = Record<string, unknown>;
const interim = (records: Flow[]) =>
  records.filter((r) => r.type === 'flow' && r.flow_end_reason === 'active_timeout');
const key = (r: Flow) => `${r.community_id} ${r.start_time} ${r.end_time} ${r.packets}`;

describe('kill -9 with a long-lived flow and Splunk HEC down', () => {
  it('keeps the interim records on disk and delivers them after the restart', async () => {
    const token = newToken();
    const hec = await HecServer.start({ tokens: { [token]: {} } });
    await hec.down();
    const saved = process.env.FARGATE_MIRROR_HEC_TOKEN;
    process.env.FARGATE_MIRROR_HEC_TOKEN = token;
    try {
      const config = join(dir, 'receive.json');
      writeFileSync(
        config,
        JSON.stringify({
          flows: { activeTimeoutSeconds: 1 },
          recordsFlushMs: 50,
          hec: { flushMs: 600_000, retryBaseMs: 100, retryMaxMs: 500 },
        }),
      );
      const records = join(dir, 'records.jsonl');
      const spool = join(dir, 'spool');
      const args = [
        ...LOOPBACK_RECEIVE,
        '--config',
        config,
        '--records',
        records,
        '--hec-url',
        hec.url,
        '--hec-spool-dir',
        spool,
      ];
      const first = await startReceive(args);
      const flow = longLivedFlow(first.port, 100);
      await waitUntil(
        'three interim records in the records file',
        () => existsSync(records) && interim(readJsonLines(records)).length >= 3,
      );
      await flow.stop();
      // kill -9: no drain, no flush, no goodbye.
      expect(await first.proc.stop('SIGKILL')).toBe('SIGKILL');

      const onDisk = interim(readJsonLines(records));
      expect(onDisk.length).toBeGreaterThanOrEqual(3);
      for (const r of onDisk) expect(r.community_id).toBe(onDisk[0].community_id);
      // The HEC batch was never spooled (flushMs is ten minutes): the journal holds the events.
      expect(readdirSync(spool).filter((n) => n.endsWith('.hec.gz'))).toEqual([]);
      const journaled = readFileSync(join(spool, 'filling.hec.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => (JSON.parse(l) as { event: Flow }).event);
      const inJournal = new Set(journaled.map(key));
      for (const r of onDisk) expect(inJournal.has(key(r))).toBe(true);

      await hec.up();
      const second = await startReceive(args);
      await waitUntil('the interim records at HEC', () => {
        const got = new Set(hec.events.map((e) => key(e.event as Flow)));
        return onDisk.every((r) => got.has(key(r)));
      });
      const m = await metrics(second.healthPort);
      expect(metric(m, 'hec_journal_recovered_total')).toBeGreaterThanOrEqual(onDisk.length);
      const stderr = await stopReceive(second);
      expect(stderr).toMatch(/HEC: \d+ events journaled before a crash spooled for delivery/);
      // Everything HEC got is an event the first run journaled (none invented, none twice).
      expect(hec.events.map((e) => key(e.event as Flow)).sort()).toEqual([...inJournal].sort());
      // A clean stop leaves no journal behind.
      expect(existsSync(join(spool, 'filling.hec.jsonl'))).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.FARGATE_MIRROR_HEC_TOKEN;
      else process.env.FARGATE_MIRROR_HEC_TOKEN = saved;
      await hec.close();
    }
  }, 120_000);
});
