import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsCli,
  cliCalls,
  type CliJson as Json,
  type RunningBinary,
  startBinary,
} from '../support/aws-cli.js';

/** Longer than a few CLI calls (1-3 s each on a busy machine), so "at once" is inside the lag. */
const LAG_MS = 20_000;

/**
 * Eventual consistency as Debian's AWS CLI sees it: with --describe-lag-ms, a session just created
 * is not listed yet (though a second create on its session number is refused at once, as EC2's
 * writes see the true state), and a session just deleted is still listed, until the lag is over.
 */
describe('aws-local --describe-lag-ms, seen by the AWS CLI', { timeout: 300_000 }, () => {
  let local: RunningBinary | undefined;
  const { cli } = cliCalls(() => local?.url ?? '');
  /** Describe until `done` holds; bounded, so a broken lag fails instead of hanging. */
  const describeUntil = async (eniId: string, done: (ids: string[]) => boolean): Promise<string[]> => {
    for (let i = 0; i < 60; i++) {
      const out = await cli(
        'ec2',
        'describe-traffic-mirror-sessions',
        '--filters',
        `Name=network-interface-id,Values=${eniId}`,
      );
      const ids = (out.TrafficMirrorSessions as Json[]).map((s) => s.TrafficMirrorSessionId as string);
      if (done(ids)) return ids;
      await sleep(1000);
    }
    throw new Error(`describe-traffic-mirror-sessions on ${eniId} never reached the expected state`);
  };

  beforeAll(async () => {
    local = await startBinary(['--port', '0', '--describe-lag-ms', String(LAG_MS)]);
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('create then describe at once lists nothing; the session appears after the lag, and lingers after delete', async () => {
    const subnet = (await cli('ec2', 'describe-subnets')).Subnets[0].SubnetId as string;
    const [src, dst] = await Promise.all([
      cli('ec2', 'create-network-interface', '--subnet-id', subnet),
      cli('ec2', 'create-network-interface', '--subnet-id', subnet),
    ]);
    const source = src.NetworkInterface.NetworkInterfaceId as string;
    const [target, filter] = await Promise.all([
      cli(
        'ec2',
        'create-traffic-mirror-target',
        '--network-interface-id',
        dst.NetworkInterface.NetworkInterfaceId,
      ),
      cli('ec2', 'create-traffic-mirror-filter'),
    ]);
    const create = (token: string) =>
      awsCli(local?.url ?? '', [
        'ec2',
        'create-traffic-mirror-session',
        '--network-interface-id',
        source,
        '--traffic-mirror-target-id',
        target.TrafficMirrorTarget.TrafficMirrorTargetId,
        '--traffic-mirror-filter-id',
        filter.TrafficMirrorFilter.TrafficMirrorFilterId,
        '--session-number',
        '1',
        '--client-token',
        token,
      ]);
    const created = await create('lag-token-1');
    expect(created.code).toBe(0);
    const sessionId = (created.json as Json).TrafficMirrorSession.TrafficMirrorSessionId as string;

    const atOnce = await cli(
      'ec2',
      'describe-traffic-mirror-sessions',
      '--filters',
      `Name=network-interface-id,Values=${source}`,
    );
    expect(atOnce.TrafficMirrorSessions).toEqual([]);
    // The write path is not lagged: the session number is taken already.
    const clash = await create('lag-token-2');
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toContain('already used');
    // The same token answers the same session (the retry a controller makes of one attempt).
    const again = await create('lag-token-1');
    expect((again.json as Json).TrafficMirrorSession.TrafficMirrorSessionId).toBe(sessionId);

    expect(await describeUntil(source, (ids) => ids.length > 0)).toEqual([sessionId]);

    await cli('ec2', 'delete-traffic-mirror-session', '--traffic-mirror-session-id', sessionId);
    const afterDelete = await cli(
      'ec2',
      'describe-traffic-mirror-sessions',
      '--filters',
      `Name=network-interface-id,Values=${source}`,
    );
    expect(afterDelete.TrafficMirrorSessions.map((s: Json) => s.TrafficMirrorSessionId)).toEqual([sessionId]);
    expect(await describeUntil(source, (ids) => ids.length === 0)).toEqual([]);
  });
});
