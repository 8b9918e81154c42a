// Issue 17 item 5: `--allow-sources`. The kernel mirrors both ends of real ping traffic (the task's
// interface on VNI 42 from 10.77.2.1, the client's on VNI 43 from 10.77.2.3) to one receiver that
// accepts only the task's mirror point. Every datagram from the client's mirror point is counted as
// refused (as many as tshark saw on the wire) and none of it reaches a record; with `--health-bind
// 127.0.0.1` the health server answers on loopback and not on the collector's address.
import { join } from 'node:path';
import { OUTER_CAPTURE_FILTER } from '@fargate-mirror/testkit/capture';
import { createMirrorLab, type MirrorLab } from '@fargate-mirror/testkit/lab';
import { run } from '@fargate-mirror/testkit/proc';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { pingTraffic } from '@fargate-mirror/testkit/traffic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  metric,
  metrics,
  readJsonLines,
  requireBuiltCli,
  startReceive,
  stopReceive,
  vxlanDatagramsFrom,
  waitUntil,
} from '../helpers/receive-support.ts';

let lab: MirrorLab | undefined;

beforeAll(async () => {
  requireRootAndTools(['tcpdump', 'tshark', 'ping', 'curl']);
  requireBuiltCli();
  lab = await createMirrorLab({ prefix: 'fmallow', vni: 42, mirrorClient: { vni: 43 } });
});

afterAll(async () => {
  await lab?.close();
});

describe('receive --allow-sources', () => {
  it('counts and drops datagrams from a mirror source outside the list, before decoding', async () => {
    const l = lab as MirrorLab;
    const allowed = l.taskOuterIp;
    const refused = l.clientOuterIp as string;
    const records = join(l.dir, 'records.jsonl');
    const receiver = await startReceive(
      [
        '--geneve-port',
        '0',
        '--health-port',
        '0',
        '--health-bind',
        '127.0.0.1',
        '--drain-seconds',
        '0',
        '--records',
        records,
        '--allow-sources',
        `${allowed}/32, fd00:77:2::1/128`,
      ],
      (cmd, args) => l.spawn('collector', cmd, args),
    );
    const outerPcap = join(l.dir, 'outer.pcap');
    const outer = await l.startCapture('collector', l.dev.collector, OUTER_CAPTURE_FILTER, outerPcap);
    await pingTraffic(l, { count: 3 });
    expect((await outer.stop()).droppedByKernel).toBe(0);
    const fromAllowed = await vxlanDatagramsFrom(outerPcap, allowed);
    const fromRefused = await vxlanDatagramsFrom(outerPcap, refused);
    expect(fromAllowed).toBeGreaterThanOrEqual(12); // 3 echoes and replies, IPv4 and IPv6
    expect(fromRefused).toBeGreaterThanOrEqual(12);

    const ns = l.ns.collector;
    await waitUntil('every datagram counted', async () => {
      const m = await metrics(receiver.healthPort, ns);
      return metric(m, 'datagrams_received_total') >= fromAllowed + fromRefused;
    });
    const m = await metrics(receiver.healthPort, ns);
    expect(metric(m, 'datagrams_refused_total{reason="source_not_allowed"}')).toBe(fromRefused);
    expect(metric(m, 'datagrams_by_outcome_total{outcome="source_not_allowed"}')).toBe(fromRefused);
    expect(metric(m, 'datagrams_by_outcome_total{outcome="mirrored"}')).toBe(fromAllowed);
    // Refused before decoding: not one of them is malformed, a packet, or in a flow.
    expect(metric(m, 'packets_total')).toBe(fromAllowed);

    // The health server is on loopback only: the collector's own address refuses the connection.
    const away = await run(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'curl',
        '-sS',
        '-m',
        '5',
        `http://${l.collector.v4}:${receiver.healthPort}/healthz`,
      ],
      { allowFailure: true },
    );
    expect(away.code).not.toBe(0);
    expect(away.stderr).toMatch(/refused|Couldn't connect/i);

    await stopReceive(receiver);
    const out = readJsonLines(records);
    expect(out.length).toBeGreaterThan(0);
    for (const r of out) {
      const points = r.mirror_points as { vni: number; outer_src_ip: string }[];
      expect(points.map((p) => p.vni)).toEqual([42]);
      expect(points.every((p) => p.outer_src_ip !== refused)).toBe(true);
    }
  }, 120_000);
});
