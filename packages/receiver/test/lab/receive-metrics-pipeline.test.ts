// /metrics of a running `receive` carries de-duplication, workload identity and Splunk HEC series
// with the values the traffic gives: a capture where both ends are mirrored (every packet twice, from
// two mirror points) replayed into a receiver with an identity map and a HEC sink pointed at the
// local HEC server (helpers/hec-server.ts), which answers "busy" twice before it takes events.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonLines } from '@fargate-mirror/testkit/cli';
import { readRecords, rewriteMirror, SAMPLE_MIRROR } from '@fargate-mirror/testkit/mirror-records';
import { run } from '@fargate-mirror/testkit/proc';
import { requireTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HecServer, newToken } from '../helpers/hec-server.ts';
import {
  CLI,
  LOOPBACK_RECEIVE,
  metric,
  metrics,
  requireBuiltCli,
  startReceive,
  stopReceive,
  waitUntil,
} from '../helpers/receive-support.ts';

const CLIENT = {
  cluster: 'shop',
  service: 'api',
  task_arn: 'arn:aws:ecs:us-east-1:1:task/shop/api1',
  eni_id: 'eni-api1',
};
const BUSY_REPLIES = 2;

describe('receive /metrics: de-duplication, identity and HEC', () => {
  let dir: string;
  let server: HecServer;

  beforeAll(async () => {
    requireBuiltCli();
    requireTools(['/usr/bin/python3', 'scapy']);
    dir = mkdtempSync(join(tmpdir(), 'fm-metrics-'));
  });
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts duplicates removed, identity hits and misses, and HEC delivery with its retries', async () => {
    // Both ends mirrored: the fixture's packets (VNI 42) and a copy of each from a second point (VNI 43).
    const doubled = join(dir, 'both-ends.pcap');
    await rewriteMirror(SAMPLE_MIRROR, doubled, { vni: 43, hopDec: 1, delayUs: 20, withOriginal: true });
    // The reference: `read` of the same capture says how many copies there are to remove.
    const offline = await readRecords(doubled, join(dir, 'read.jsonl'));
    const duplicates = Number(offline.summary['duplicates']);
    expect(duplicates).toBeGreaterThan(0);

    // The replay sends from 127.0.0.1: both mirror points are (VNI, 127.0.0.1).
    const map = join(dir, 'identity.yaml');
    writeFileSync(
      map,
      [
        'addresses:',
        `  10.77.1.1: ${JSON.stringify(CLIENT)}`,
        'sessions:',
        `  - { vni: 42, outer_ip: 127.0.0.1, mirror_session_id: tms-0a, eni_id: eni-web1, eni_ips: [10.77.1.2] }`,
        `  - { vni: 43, outer_ip: 127.0.0.1, mirror_session_id: tms-0b, eni_id: eni-api1 }`,
      ].join('\n'),
    );
    const token = newToken();
    server = await HecServer.start({ tokens: { [token]: { indexes: ['main'] } } });
    server.busy(BUSY_REPLIES);
    process.env.FARGATE_MIRROR_HEC_TOKEN = token;
    const config = join(dir, 'receive.json');
    // Flows end a second after their last packet, so every record is out while the receiver runs.
    writeFileSync(
      config,
      JSON.stringify({
        flows: { closeLingerSeconds: 0, tcpIdleSeconds: 1, udpIdleSeconds: 1 },
        hec: { flushMs: 100, retryBaseMs: 50, retryMaxMs: 200, spoolDir: join(dir, 'spool') },
      }),
    );
    const records = join(dir, 'records.jsonl');
    const r = await startReceive([
      ...LOOPBACK_RECEIVE,
      '--records',
      records,
      '--identity-map',
      map,
      '--hec-url',
      server.url,
      '--config',
      config,
    ]);
    try {
      const before = await metrics(r.healthPort);
      // The series exist before any traffic, at zero.
      expect(metric(before, 'duplicates_removed_total')).toBe(0);
      expect(metric(before, 'hec_events_sent_total')).toBe(0);
      expect(metric(before, 'identity_hits_total')).toBe(0);

      await run(process.execPath, [CLI, 'replay', doubled, '--to', `127.0.0.1:${r.port}`, '--rate', '5000']);
      let m = before;
      await waitUntil('every flow ended and every record delivered to HEC', async () => {
        m = await metrics(r.healthPort);
        return (
          metric(m, 'flows_active') === 0 &&
          metric(m, 'records_written_total') === offline.records.length &&
          metric(m, 'hec_events_sent_total') === offline.records.length
        );
      });

      // De-duplication: as many copies removed as `read` removes from the same capture.
      expect(metric(m, 'duplicates_removed_total')).toBe(duplicates);
      expect(metric(m, 'dedup_checked_total')).toBeGreaterThanOrEqual(2 * duplicates);

      // Identity: every record asks at least for its two addresses; the client is known, the
      // fixture's IPv6 and multicast addresses are not. The static map never looks anything up.
      const written = offline.records.length;
      const hits = metric(m, 'identity_hits_total');
      const misses = metric(m, 'identity_misses_total');
      expect(hits).toBeGreaterThan(0);
      expect(misses).toBeGreaterThan(0);
      expect(hits + misses).toBeGreaterThanOrEqual(2 * written);
      expect(metric(m, 'identity_lookups_total')).toBe(0);
      expect(metric(m, 'identity_grace_hits_total')).toBe(0);
      expect(metric(m, 'identity_errors_total{kind="refresh"}')).toBe(0);
      expect(metric(m, 'identity_errors_total{kind="lookup"}')).toBe(0);
      // The map's 2 sessions and its address.
      expect(metric(m, 'identity_cache_entries{kind="snapshot"}')).toBe(3);
      expect(metric(m, 'identity_cache_entries{kind="grace"}')).toBe(0);

      // HEC: everything in, everything sent (the server holds exactly those), after the busy replies.
      expect(metric(m, 'hec_events_in_total')).toBe(written);
      expect(server.events.length).toBe(written);
      expect(server.replies[9]).toBe(BUSY_REPLIES);
      expect(metric(m, 'hec_retries_total')).toBe(BUSY_REPLIES);
      const batches = metric(m, 'hec_batches_sent_total');
      expect(batches).toBeGreaterThanOrEqual(1);
      expect(batches).toBeLessThanOrEqual(written);
      for (const idle of [
        'hec_backlog_bytes',
        'hec_backlog_events',
        'hec_spool_bytes',
        'hec_backpressure',
        'hec_events_dropped_total',
        'hec_events_rejected_total',
        'hec_permanent_errors_total',
      ]) {
        expect(metric(m, idle), idle).toBe(0);
      }
    } finally {
      await stopReceive(r);
    }
    const out = readJsonLines(records);
    expect(out.length).toBe(offline.records.length);
    // Identity reached the records: the client is named wherever it appears.
    expect(out.some((rec) => rec['src_ecs_task_arn'] === CLIENT.task_arn)).toBe(true);
  }, 120_000);
});
