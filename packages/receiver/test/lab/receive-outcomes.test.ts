// `receive` on loopback: every datagram read gets exactly one outcome, so the outcome counters add up to
// the datagrams received — including datagrams whose inner IP header is cut short (counted once, as
// malformed, not also as mirrored), non-IP inner frames, and datagrams that are not mirror traffic.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  metric,
  metrics,
  requireBuiltCli,
  sendDatagrams,
  startReceive,
  stopReceive,
  vxlanDatagram,
  waitUntil,
} from '../helpers/receive-support.ts';

let dir = '';
beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'fm-outcomes-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OUTCOMES = ['mirrored', 'malformed', 'not_mirror', 'handoff_dropped'] as const;

function outcomeSum(m: Map<string, number>): number {
  let sum = 0;
  for (const o of OUTCOMES) sum += metric(m, `datagrams_by_outcome_total{outcome="${o}"}`);
  return sum;
}

describe('receive datagram outcomes', () => {
  it('partition the datagrams received (inner-malformed ones counted once)', async () => {
    const r = await startReceive([
      '--bind',
      '127.0.0.1',
      '--health-port',
      '0',
      '--port',
      '0',
      '--geneve-port',
      '0',
      '--drain-seconds',
      '0',
      '--workers',
      '2',
      '--records',
      join(dir, 'r.jsonl'),
    ]);
    // Prepare: 40 good datagrams over 10 flows (some handed to the other worker); 7 whose inner IPv4
    // header is cut after 10 bytes; 5 whose inner IPv4 header claims a 60-byte header in 20 bytes;
    // 3 ARP frames; and 6 that are not mirror traffic at all (no VXLAN flag, too short).
    const good = Array.from({ length: 40 }, (_, i) =>
      vxlanDatagram({
        vni: 42,
        src: `10.8.0.${1 + (i % 10)}`,
        dst: '10.8.1.1',
        sport: 4000 + (i % 10),
        dport: 53,
      }),
    );
    const template = vxlanDatagram({ vni: 42, src: '10.8.2.1', dst: '10.8.2.2', sport: 1, dport: 2 });
    const truncatedIp = Array.from({ length: 7 }, () => template.subarray(0, 8 + 14 + 10));
    const badIhl = Array.from({ length: 5 }, () => {
      const b = Buffer.from(template);
      b[8 + 14] = 0x4f;
      return b.subarray(0, 8 + 14 + 20);
    });
    const arp = Array.from({ length: 3 }, () =>
      Buffer.concat([
        Buffer.from([0x08, 0, 0, 0, 0, 0, 42, 0]),
        Buffer.alloc(12, 0xff),
        Buffer.from([0x08, 0x06]),
        Buffer.alloc(28),
      ]),
    );
    const noVniFlag = Buffer.from(good[0]);
    noVniFlag[0] = 0;
    const notMirror = [
      Buffer.alloc(30),
      Buffer.from([8, 2, 3]),
      noVniFlag,
      Buffer.alloc(30),
      Buffer.from([1]),
      noVniFlag,
    ];
    const all = [...notMirror.slice(0, 3), ...good, ...truncatedIp, ...arp, ...badIhl, ...notMirror.slice(3)];
    const innerMalformed = truncatedIp.length + badIhl.length;
    // Act
    await sendDatagrams(r.port, all);
    // Datagrams are counted by the worker that read them, outcomes by the worker owning the flow, each
    // reported periodically: wait until both have caught up with what was sent.
    await waitUntil('every datagram and its outcome reported', async () => {
      const now = await metrics(r.healthPort);
      return metric(now, 'datagrams_received_total') >= all.length && outcomeSum(now) >= all.length;
    });
    const m = await metrics(r.healthPort);
    await stopReceive(r);
    // Assess: one outcome per datagram, nothing lost on the way.
    expect(metric(m, 'kernel_drops_total')).toBe(0);
    expect(metric(m, 'datagrams_received_total')).toBe(all.length);
    expect(outcomeSum(m)).toBe(all.length);
    expect(metric(m, 'datagrams_by_outcome_total{outcome="mirrored"}')).toBe(good.length + arp.length);
    expect(metric(m, 'datagrams_by_outcome_total{outcome="malformed"}')).toBe(
      innerMalformed + notMirror.length,
    );
    expect(metric(m, 'datagrams_by_outcome_total{outcome="handoff_dropped"}')).toBe(0);
    // packets_total keeps counting every inner frame recovered, malformed inner packets included.
    expect(metric(m, 'packets_total')).toBe(good.length + arp.length + innerMalformed);
    expect(metric(m, 'inner_not_ip_total')).toBe(arp.length);
  });
});
