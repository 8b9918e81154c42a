import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCalls, type CliJson as Json, type RunningBinary, startBinary } from '../support/aws-cli.js';

const TOKEN_TTL_MS = 60_000;

/**
 * Debian's AWS CLI v2 against the standalone binary: ClientToken expiry (issue 16 item 7), the
 * per-target source limit of an ENI target, none on an NLB target, and session numbers unique per
 * ENI (issue 16, "aws-local must model"). The CLI takes about a second per call.
 */
describe("Debian's AWS CLI v2: ClientToken expiry, per-target limits, session numbers per ENI", {
  timeout: 300_000,
}, () => {
  let local: RunningBinary | undefined;
  const { cli, cliError } = cliCalls(() => local?.url ?? '');
  let subnet: string;
  let filter: string;
  const eni = async () =>
    (await cli('ec2', 'create-network-interface', '--subnet-id', subnet)).NetworkInterface
      .NetworkInterfaceId as string;
  const session = (source: string, target: string, number: number, extra: string[] = []) => [
    'ec2',
    'create-traffic-mirror-session',
    '--network-interface-id',
    source,
    '--traffic-mirror-target-id',
    target,
    '--traffic-mirror-filter-id',
    filter,
    '--session-number',
    String(number),
    ...extra,
  ];
  const sessionIdsOn = async (source: string) =>
    (
      (
        await cli(
          'ec2',
          'describe-traffic-mirror-sessions',
          '--filters',
          `Name=network-interface-id,Values=${source}`,
        )
      ).TrafficMirrorSessions as Json[]
    ).map((s) => s.TrafficMirrorSessionId as string);

  beforeAll(async () => {
    // The manual clock: the test moves time past the token's life instead of sleeping.
    local = await startBinary([
      '--port',
      '0',
      '--clock',
      'manual',
      '--client-token-ttl-ms',
      String(TOKEN_TTL_MS),
    ]);
    subnet = (await cli('ec2', 'describe-subnets')).Subnets[0].SubnetId as string;
    filter = (await cli('ec2', 'create-traffic-mirror-filter')).TrafficMirrorFilter
      .TrafficMirrorFilterId as string;
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('answers a repeated ClientToken with the first session until the token expires, then creates anew', async () => {
    const [source, collector] = [await eni(), await eni()];
    const target = (await cli('ec2', 'create-traffic-mirror-target', '--network-interface-id', collector))
      .TrafficMirrorTarget.TrafficMirrorTargetId as string;
    const args = session(source, target, 7, ['--client-token', 'ttl-token-1']);
    const first = (await cli(...args)).TrafficMirrorSession.TrafficMirrorSessionId as string;
    await cli('ec2', 'delete-traffic-mirror-session', '--traffic-mirror-session-id', first);
    // Within the token's life: the original answer, naming the deleted session; nothing is made.
    const repeat = (await cli(...args)).TrafficMirrorSession.TrafficMirrorSessionId as string;
    expect(repeat).toBe(first);
    expect(await sessionIdsOn(source)).toEqual([]);
    // One minute later the token has expired: the same call is a new request.
    const advanced = await fetch(`${local?.url}/_admin/advance`, {
      method: 'POST',
      body: JSON.stringify({ ms: TOKEN_TTL_MS }),
    });
    expect(advanced.status).toBe(200);
    const later = (await cli(...args)).TrafficMirrorSession.TrafficMirrorSessionId as string;
    expect(later).not.toBe(first);
    expect(await sessionIdsOn(source)).toEqual([later]);
  });

  it('refuses a session number already used on the ENI, and takes it on another ENI', async () => {
    const [a, b, collector] = [await eni(), await eni(), await eni()];
    const target = (await cli('ec2', 'create-traffic-mirror-target', '--network-interface-id', collector))
      .TrafficMirrorTarget.TrafficMirrorTargetId as string;
    const first = (await cli(...session(a, target, 100))).TrafficMirrorSession
      .TrafficMirrorSessionId as string;
    const refused = await cliError(...session(a, target, 100));
    expect(refused).toContain('InvalidParameterValue');
    expect(refused).toContain(first);
    await cli(...session(b, target, 100));
    expect(await sessionIdsOn(a)).toEqual([first]);
  });

  it('limits an ENI target to 10 sources (TrafficMirrorSourcesPerTargetLimitExceeded); an NLB target takes more', async () => {
    const collector = await eni();
    const eniTarget = (await cli('ec2', 'create-traffic-mirror-target', '--network-interface-id', collector))
      .TrafficMirrorTarget.TrafficMirrorTargetId as string;
    const nlbTarget = (
      await cli(
        'ec2',
        'create-traffic-mirror-target',
        '--network-load-balancer-arn',
        'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/mirror/0123456789abcdef',
      )
    ).TrafficMirrorTarget.TrafficMirrorTargetId as string;
    const sources: string[] = [];
    for (let i = 0; i < 11; i++) sources.push(await eni());
    for (const s of sources.slice(0, 10)) await cli(...session(s, eniTarget, 1));
    // A second session of a source already counted is not a new source.
    await cli(...session(sources[0] as string, eniTarget, 2));
    const refused = await cliError(...session(sources[10] as string, eniTarget, 1));
    expect(refused).toContain('TrafficMirrorSourcesPerTargetLimitExceeded');
    for (const s of sources) await cli(...session(s, nlbTarget, 3));
    expect(await sessionIdsOn(sources[10] as string)).toHaveLength(1);
  });
});
