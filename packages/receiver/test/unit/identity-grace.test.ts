import type { MirrorRecord } from '@fargate-mirror/analysis';
// The identity resolver keeps what disappeared for a grace period: a task that stopped between two
// refreshes still names the records of its flows that end afterwards (flows end up to a flow timeout
// after their last packet), with the right direction, until a new task takes its address or the
// grace period is over. Failures of the source are counted, and reported once a minute per code.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { IdentitySource } from '../../src/identity/aws-identity-source.js';
import { identitySnapshotOf } from '../../src/identity/identity-map-file.js';
import { IdentityResolver } from '../../src/identity/identity-resolver.js';
import { createRecordEnricher } from '../../src/identity/record-enricher.js';
import type { IdentitySnapshot, MirrorPointIdentity, Workload } from '../../src/identity/workload.js';

const WEB = {
  cluster: 'shop',
  service: 'web',
  task_arn: 'arn:aws:ecs:us-east-1:1:task/shop/web1',
  eni_id: 'eni-web1',
};
const API = {
  cluster: 'shop',
  service: 'api',
  task_arn: 'arn:aws:ecs:us-east-1:1:task/shop/api1',
  eni_id: 'eni-api1',
};
const NEW = {
  cluster: 'shop',
  service: 'api',
  task_arn: 'arn:aws:ecs:us-east-1:1:task/shop/api2',
  eni_id: 'eni-api2',
};
// The flow uses a secondary address of each ENI; the mirror's outer source is the ENI's primary one,
// so only the identity of the mirror point tells which side it saw.
const WEB_IP = '10.0.1.10';
const WEB_PRIMARY = '10.0.1.11';
const API_IP = '10.0.2.20';
const API_PRIMARY = '10.0.2.21';
const PRIMARY: Record<string, string> = { [WEB_IP]: WEB_PRIMARY, [API_IP]: API_PRIMARY };

/** The tasks listed, each mirrored by a session the controller tagged. */
function picture(tasks: { w: Workload; ip: string; vni: number }[]): IdentitySnapshot {
  return identitySnapshotOf({
    addresses: Object.fromEntries(tasks.map((t) => [t.ip, t.w])),
    sessions: tasks.map((t) => ({
      vni: t.vni,
      outer_ip: PRIMARY[t.ip] as string,
      eni_ips: [t.ip],
      mirror_session_id: `tms-${t.vni}`,
      eni_id: t.w.eni_id,
      cluster: t.w.cluster,
      service: t.w.service,
      task_arn: t.w.task_arn,
    })),
  });
}

/** A source whose picture the test changes; single look-ups find nothing, as AWS does for a stopped task. */
class FakeSource implements IdentitySource {
  current: IdentitySnapshot = picture([]);
  failWith: Error | undefined;
  lookups = 0;
  snapshot(): Promise<IdentitySnapshot> {
    return this.failWith ? Promise.reject(this.failWith) : Promise.resolve(this.current);
  }
  lookupMirrorPoint(): Promise<MirrorPointIdentity | null> {
    this.lookups++;
    return this.failWith ? Promise.reject(this.failWith) : Promise.resolve(null);
  }
  lookupAddress(): Promise<Workload | null> {
    this.lookups++;
    return this.failWith ? Promise.reject(this.failWith) : Promise.resolve(null);
  }
}

/** A flow record from web to api as both mirror points saw it. */
// Only the fields the enricher reads: a partial flow record, typed as the whole for the hook.
function flowRecord(): MirrorRecord {
  const partial = {
    type: 'flow',
    src_ip: WEB_IP,
    dest_ip: API_IP,
    mirror_points: [
      { vni: 11, eni_id: null, mirror_session_id: null, outer_src_ip: WEB_PRIMARY },
      { vni: 22, eni_id: null, mirror_session_id: null, outer_src_ip: API_PRIMARY },
    ],
  };
  return partial as unknown as MirrorRecord;
}

const named = (r: MirrorRecord) => [r.src_ecs_task_arn, r.dest_ecs_task_arn, r.direction];

afterEach(() => {
  vi.useRealTimers();
});

describe('identity grace period', () => {
  it('keeps a task that stopped between refreshes for the grace period, then forgets it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const source = new FakeSource();
    source.current = picture([
      { w: WEB, ip: WEB_IP, vni: 11 },
      { w: API, ip: API_IP, vni: 22 },
    ]);
    const resolver = new IdentityResolver({ source, graceMs: 600_000 });
    await resolver.start();
    resolver.stop();
    const enrich = createRecordEnricher(resolver);
    const before = flowRecord();
    enrich(before);
    expect(named(before)).toEqual([WEB.task_arn, API.task_arn, 'internal']);

    // The web task stops (scale-down): the next refresh no longer lists it, its session or address.
    source.current = picture([{ w: API, ip: API_IP, vni: 22 }]);
    await resolver.refresh();
    vi.setSystemTime(Date.now() + 300_000); // a TCP idle timeout later, its last flow ends
    const after = flowRecord();
    enrich(after);
    expect(named(after)).toEqual([WEB.task_arn, API.task_arn, 'internal']);
    await resolver.idle(); // the look-ups the misses queued find nothing (AWS forgot the task)...
    const later = flowRecord();
    enrich(later);
    // ...and records still name both sides, with both mirror points and the direction of both.
    expect(named(later)).toEqual([WEB.task_arn, API.task_arn, 'internal']);
    expect(
      (after['mirror_points'] as { mirror_session_id: string }[]).map((p) => p.mirror_session_id),
    ).toEqual(['tms-11', 'tms-22']);
    expect(resolver.stats.graceHits).toBeGreaterThan(0);
    expect(resolver.cacheSizes.grace).toBeGreaterThan(0);

    // Past the grace period it is gone: a new record names only the api side.
    vi.setSystemTime(Date.now() + 300_001);
    await resolver.refresh();
    const late = flowRecord();
    enrich(late);
    expect(named(late)).toEqual([undefined, API.task_arn, 'inbound']);
    expect(resolver.cacheSizes.grace).toBe(0);
  });

  it('answers with the new task at once when a stopped task’s address is re-assigned', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const source = new FakeSource();
    source.current = picture([{ w: API, ip: API_IP, vni: 22 }]);
    const resolver = new IdentityResolver({ source });
    await resolver.start();
    resolver.stop();
    source.current = picture([]);
    await resolver.refresh();
    expect(resolver.workload(API_IP)).toEqual(API);
    // ECS gives the stopped task's address to a new task, mirrored by a new session.
    source.current = picture([{ w: NEW, ip: API_IP, vni: 33 }]);
    await resolver.refresh();
    expect(resolver.workload(API_IP)).toEqual(NEW);
    expect(resolver.mirrorPoint(33, API_PRIMARY)?.workload).toEqual(NEW);
    // The old session's VNI still names the old session (late records of its flows).
    expect(resolver.mirrorPoint(22, API_PRIMARY)?.mirror_session_id).toBe('tms-22');
  });

  it('keeps an answer of a single look-up when a later look-up finds nothing', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let known = true;
    const point: MirrorPointIdentity = {
      mirror_session_id: null,
      eni_id: WEB.eni_id,
      eni_ips: [WEB_IP],
      workload: WEB,
    };
    const source = new FakeSource();
    source.lookupMirrorPoint = () => Promise.resolve(known ? point : null);
    const resolver = new IdentityResolver({ source, ttlMs: 1000 });
    await resolver.start();
    resolver.stop();
    expect(resolver.mirrorPoint(77, WEB_IP)).toBeUndefined();
    await resolver.idle();
    expect(resolver.mirrorPoint(77, WEB_IP)).toEqual(point);
    known = false; // the forwarder's task stopped
    vi.setSystemTime(Date.now() + 2000);
    resolver.mirrorPoint(77, WEB_IP);
    await resolver.idle();
    expect(resolver.mirrorPoint(77, WEB_IP)).toEqual(point);
  });
});

describe('identity failures', () => {
  it('counts every failure and reports each error code at most once a minute, saying how many it held back', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const source = new FakeSource();
    source.failWith = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const reports: [string, string, number][] = [];
    const resolver = new IdentityResolver({
      source,
      negativeTtlMs: 1,
      onError: (_error, what, r) => reports.push([what, r.code, r.suppressed]),
    });
    await resolver.start(); // the first refresh fails: no throw, the resolver runs without identity
    resolver.stop();
    for (let i = 0; i < 20; i++) {
      expect(resolver.workload(`10.9.0.${i}`)).toBeUndefined();
    }
    await resolver.idle();
    expect(resolver.stats.refreshErrors).toBe(1);
    expect(resolver.stats.lookupErrors).toBe(20);
    expect(reports).toEqual([['identity refresh', 'ECONNREFUSED', 0]]);

    // Another code is reported on its own.
    source.failWith = Object.assign(new Error('Region is missing'));
    await resolver.refresh();
    expect(reports.map((r) => r[1])).toEqual(['ECONNREFUSED', 'Region is missing']);

    // A minute later the first code is reported again, with the 20 look-up failures held back.
    vi.setSystemTime(Date.now() + 60_000);
    source.failWith = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    resolver.workload('10.9.1.1');
    await resolver.idle();
    expect(reports[2]).toEqual(['identity look-up of 10.9.1.1', 'ECONNREFUSED', 20]);
    expect(resolver.stats.lookupErrors).toBe(21);
  });
});
