// Both ends of every conversation mirrored by the kernel (docs/design.md §6): the lab mirrors the task's
// interface (VNI 42) and the client's (VNI 43) to one collector. The receiver must count each packet
// once - the flows, counters and transactions of a single mirror point - and name both points.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  countByType,
  ofType,
  type ReadResult,
  readRecords,
  withoutMirrorView,
} from '@fargate-mirror/testkit/mirror-records';
import { run } from '@fargate-mirror/testkit/proc';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { captureMirroredSession, type MirroredSession } from '@fargate-mirror/testkit/session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TOOLS = ['tcpdump', 'tshark', 'dnsmasq', 'dig', 'curl', 'openssl', 'ping'];
const TASK_VNI = 42;
const CLIENT_VNI = 43;
// Outer addresses of the two mirror points in packages/testkit/lab.ts.
const TASK_OUTER = '10.77.2.1';
const CLIENT_OUTER = '10.77.2.3';

/** Only the datagrams one mirror point sent (by outer source), as a capture of its own. */
async function onlyFrom(outerPcap: string, outerSrc: string, out: string): Promise<string> {
  await run('tcpdump', ['-r', outerPcap, '-w', out, `src host ${outerSrc}`]);
  return out;
}

/**
 * A record's counters and names, without timestamps and without `vni` (the VNI of the mirror point
 * that delivered the flow's first packet: with both ends mirrored, often the client's).
 */
function key(r: Record<string, unknown>): string {
  const {
    time: _t,
    start_time: _s,
    end_time: _e,
    duration: _d,
    duration_ms: _m,
    vni: _v,
    ...rest
  } = JSON.parse(withoutMirrorView(r)) as Record<string, unknown>;
  return JSON.stringify(rest);
}

describe('both ends mirrored by the kernel', () => {
  let session: MirroredSession;
  let both: ReadResult;
  let task: ReadResult;
  let client: ReadResult;

  beforeAll(async () => {
    requireRootAndTools(TOOLS);
    session = await captureMirroredSession({
      vni: TASK_VNI,
      mirrorClient: { vni: CLIENT_VNI },
      stem: 'both',
    });
    const dir = session.dir;
    both = await readRecords(session.outerPcap, join(dir, 'both.jsonl'));
    task = await readRecords(
      await onlyFrom(session.outerPcap, TASK_OUTER, join(dir, 'task.pcap')),
      join(dir, 'task.jsonl'),
    );
    client = await readRecords(
      await onlyFrom(session.outerPcap, CLIENT_OUTER, join(dir, 'client.pcap')),
      join(dir, 'client.jsonl'),
    );
  }, 240_000);

  afterAll(() => {
    if (session?.dir) rmSync(session.dir, { recursive: true, force: true });
  });

  it('sees each packet twice on the wire (the test is meaningful)', () => {
    expect(Number(task.summary['mirroredPackets'])).toBeGreaterThan(0);
    expect(Number(both.summary['mirroredPackets'])).toBe(
      Number(task.summary['mirroredPackets']) + Number(client.summary['mirroredPackets']),
    );
  });

  it('reports the flow and transaction records of one mirror point, counted once', () => {
    expect(countByType(both.records)).toEqual(countByType(task.records));
    expect(both.summary['flows']).toBe(task.summary['flows']);
    expect(both.records.map(key).sort()).toEqual(task.records.map(key).sort());
  });

  it('removed as duplicates exactly the IP packets of the second mirror point', () => {
    const clientIp = Number(client.summary['mirroredPackets']) - Number(client.summary['innerNotIp']);
    expect(both.summary['duplicates']).toBe(clientIp);
  });

  it('lists both mirror points on every flow', () => {
    const flows = ofType(both.records, 'flow');
    expect(flows.length).toBeGreaterThan(0);
    for (const f of flows) {
      const points = (f['mirror_points'] as Record<string, unknown>[]).map(
        (p) => `${p['vni']}/${p['outer_src_ip']}`,
      );
      expect(points.sort()).toEqual([`${TASK_VNI}/${TASK_OUTER}`, `${CLIENT_VNI}/${CLIENT_OUTER}`]);
    }
  });
});
