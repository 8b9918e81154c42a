import {
  CreateNetworkInterfaceCommand,
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorFilterRuleCommand,
  CreateTrafficMirrorSessionCommand,
  CreateTrafficMirrorTargetCommand,
  DeleteTrafficMirrorSessionCommand,
  DescribeSubnetsCommand,
  DescribeTrafficMirrorSessionsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchEc2 } from '../../src/ec2/dispatch.js';
import { Emulator } from '../../src/emulator.js';
import { DEFAULT_QUOTAS } from '../../src/index.js';
import { resolveOptions } from '../../src/resolve-options.js';
import { failure, type Harness, harness } from '../support/harness.js';

async function eni(ec2: EC2Client, subnetId: string): Promise<string> {
  return (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }))).NetworkInterface!
    .NetworkInterfaceId!;
}

describe('quotas and ClientToken idempotency, with AWS error codes', () => {
  let h: Harness;
  let subnet: string;
  let nlbTarget: string;
  let filter: string;

  beforeAll(async () => {
    h = await harness();
    subnet = (await h.ec2.send(new DescribeSubnetsCommand({}))).Subnets![0].SubnetId!;
    nlbTarget = (
      await h.ec2.send(
        new CreateTrafficMirrorTargetCommand({
          NetworkLoadBalancerArn:
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/rx/0123456789abcdef',
        }),
      )
    ).TrafficMirrorTarget!.TrafficMirrorTargetId!;
    filter = (await h.ec2.send(new CreateTrafficMirrorFilterCommand({}))).TrafficMirrorFilter!
      .TrafficMirrorFilterId!;
  });
  afterAll(async () => {
    await h.close();
  });

  const session = (source: string, number: number, target = nlbTarget, token?: string) =>
    h.ec2.send(
      new CreateTrafficMirrorSessionCommand({
        NetworkInterfaceId: source,
        TrafficMirrorTargetId: target,
        TrafficMirrorFilterId: filter,
        SessionNumber: number,
        ClientToken: token,
      }),
    );

  it('allows 3 sessions per source ENI, then TrafficMirrorSessionsPerInterfaceLimitExceeded', async () => {
    const source = await eni(h.ec2, subnet);
    for (const n of [1, 2, 3]) await session(source, n);
    const fourth = await failure(session(source, 4));
    expect(fourth).toMatchObject({ code: 'TrafficMirrorSessionsPerInterfaceLimitExceeded', status: 400 });
  });

  it('keeps session numbers unique per ENI and within 1-32766', async () => {
    const source = await eni(h.ec2, subnet);
    await session(source, 7);
    expect((await failure(session(source, 7))).code).toBe('InvalidParameterValue');
    expect((await failure(session(source, 0))).code).toBe('InvalidParameterValue');
    expect((await failure(session(source, 32767))).code).toBe('InvalidParameterValue');
    // The same number on another ENI is fine.
    await session(await eni(h.ec2, subnet), 7);
  });

  it('allows 10 source ENIs per ENI target, then TrafficMirrorSourcesPerTargetLimitExceeded', async () => {
    const target = (
      await h.ec2.send(new CreateTrafficMirrorTargetCommand({ NetworkInterfaceId: await eni(h.ec2, subnet) }))
    ).TrafficMirrorTarget!.TrafficMirrorTargetId!;
    const sources = [];
    for (let i = 0; i < 10; i++) {
      sources.push(await eni(h.ec2, subnet));
      await session(sources[i], 1, target);
    }
    // A second session from a source already counted does not add a source.
    await session(sources[0], 2, target);
    const eleventh = await failure(session(await eni(h.ec2, subnet), 1, target));
    expect(eleventh.code).toBe('TrafficMirrorSourcesPerTargetLimitExceeded');
  });

  it('allows 10 rules per filter direction, with unique rule numbers', async () => {
    const f = (await h.ec2.send(new CreateTrafficMirrorFilterCommand({}))).TrafficMirrorFilter!
      .TrafficMirrorFilterId!;
    const rule = (direction: 'ingress' | 'egress', number: number) =>
      h.ec2.send(
        new CreateTrafficMirrorFilterRuleCommand({
          TrafficMirrorFilterId: f,
          TrafficDirection: direction,
          RuleNumber: number,
          RuleAction: 'accept',
          SourceCidrBlock: '0.0.0.0/0',
          DestinationCidrBlock: '0.0.0.0/0',
        }),
      );
    for (let n = 1; n <= 10; n++) await rule('ingress', n);
    expect((await failure(rule('ingress', 11))).code).toBe('TrafficMirrorFilterRuleLimitExceeded');
    expect((await failure(rule('egress', 1).then(() => rule('egress', 1)))).code).toBe(
      'TrafficMirrorFilterRuleAlreadyExists',
    );
  });

  it('answers a repeated ClientToken with the original session, even after it was deleted', async () => {
    const source = await eni(h.ec2, subnet);
    const first = (await session(source, 10, nlbTarget, 'token-a')).TrafficMirrorSession!;
    const repeat = await session(source, 10, nlbTarget, 'token-a');
    expect(repeat.TrafficMirrorSession).toEqual(first);
    expect(repeat.ClientToken).toBe('token-a');

    await h.ec2.send(
      new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: first.TrafficMirrorSessionId }),
    );
    const afterDelete = await session(source, 10, nlbTarget, 'token-a');
    expect(afterDelete.TrafficMirrorSession!.TrafficMirrorSessionId).toBe(first.TrafficMirrorSessionId);
    // ...and no new session was made.
    const live = await h.ec2.send(
      new DescribeTrafficMirrorSessionsCommand({
        Filters: [{ Name: 'network-interface-id', Values: [source] }],
      }),
    );
    expect(live.TrafficMirrorSessions).toEqual([]);

    const mismatch = await failure(session(source, 11, nlbTarget, 'token-a'));
    expect(mismatch).toMatchObject({ code: 'IdempotentParameterMismatch', status: 400 });
  });

  it('gives a session with an NLB target PacketLength 8500 when none is given, and none to an ENI target', async () => {
    const collector = await eni(h.ec2, subnet);
    const eniTarget = (
      await h.ec2.send(new CreateTrafficMirrorTargetCommand({ NetworkInterfaceId: collector }))
    ).TrafficMirrorTarget!.TrafficMirrorTargetId!;
    const [a, b, c] = [await eni(h.ec2, subnet), await eni(h.ec2, subnet), await eni(h.ec2, subnet)];
    const onNlb = (await session(a, 5, nlbTarget)).TrafficMirrorSession!;
    const onEni = (await session(b, 5, eniTarget)).TrafficMirrorSession!;
    const explicit = (
      await h.ec2.send(
        new CreateTrafficMirrorSessionCommand({
          NetworkInterfaceId: c,
          TrafficMirrorTargetId: nlbTarget,
          TrafficMirrorFilterId: filter,
          SessionNumber: 5,
          PacketLength: 128,
        }),
      )
    ).TrafficMirrorSession!;
    expect(onNlb.PacketLength).toBe(8500);
    expect(onEni.PacketLength).toBeUndefined();
    expect(explicit.PacketLength).toBe(128);
    const described = await h.ec2.send(
      new DescribeTrafficMirrorSessionsCommand({
        TrafficMirrorSessionIds: [onNlb.TrafficMirrorSessionId!, onEni.TrafficMirrorSessionId!],
      }),
    );
    const byId = new Map(described.TrafficMirrorSessions!.map((s) => [s.TrafficMirrorSessionId, s]));
    expect(byId.get(onNlb.TrafficMirrorSessionId)?.PacketLength).toBe(8500);
    expect(byId.get(onEni.TrafficMirrorSessionId)?.PacketLength).toBeUndefined();
  });

  it('refuses requester-managed task ENIs as sources by default, allows RDS ones (NetworkInterfaceNotSupported)', async () => {
    const taskLike = h.aws.control.createRequesterManagedNetworkInterface({ requesterId: '716531411939' });
    const refused = await failure(session(taskLike, 1));
    expect(refused).toMatchObject({ code: 'NetworkInterfaceNotSupported', status: 400 });
    expect(refused.message).toContain(taskLike);
    const rds = h.aws.control.createRequesterManagedNetworkInterface({ requesterId: 'amazon-rds' });
    const accepted = await session(rds, 1);
    expect(accepted.TrafficMirrorSession!.NetworkInterfaceId).toBe(rds);
  });

  it('accepts task ENIs with taskEniSources: accept', async () => {
    const other = await harness({ taskEniSources: 'accept' });
    try {
      const taskLike = other.aws.control.createRequesterManagedNetworkInterface({
        requesterId: '716531411939',
      });
      const t = await other.ec2.send(
        new CreateTrafficMirrorTargetCommand({
          NetworkLoadBalancerArn:
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/rx/0123456789abcdef',
        }),
      );
      const f = await other.ec2.send(new CreateTrafficMirrorFilterCommand({}));
      const created = await other.ec2.send(
        new CreateTrafficMirrorSessionCommand({
          NetworkInterfaceId: taskLike,
          TrafficMirrorTargetId: t.TrafficMirrorTarget!.TrafficMirrorTargetId,
          TrafficMirrorFilterId: f.TrafficMirrorFilter!.TrafficMirrorFilterId,
          SessionNumber: 1,
        }),
      );
      expect(created.TrafficMirrorSession!.NetworkInterfaceId).toBe(taskLike);
    } finally {
      await other.close();
    }
  });
});

describe('the account-wide quota of 10,000 sessions', () => {
  it('accepts 10,000 sessions and refuses the next with TrafficMirrorSessionLimitExceeded', () => {
    expect(DEFAULT_QUOTAS.sessionsPerAccount).toBe(10_000);
    // 13,000 calls through the real request pipeline (Query parsing, validation, quotas, XML),
    // in process: over HTTP on a shared 2-core machine this takes minutes. The HTTP rendering
    // of the same error is covered below with a lowered quota.
    const em = new Emulator(resolveOptions({ throttling: false }));
    const call = (params: Record<string, string>) =>
      dispatchEc2(
        em,
        new URLSearchParams({ Version: '2016-11-15', ...params }).toString(),
        'us-east-1',
        'test',
      );
    const subnet = Object.values(em.store.region('us-east-1').subnets)[0].subnetId;
    const target = /<trafficMirrorTargetId>(tmt-[0-9a-f]+)</.exec(
      call({
        Action: 'CreateTrafficMirrorTarget',
        NetworkLoadBalancerArn:
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/rx/0123456789abcdef',
      }).body,
    )![1];
    const filter = /<trafficMirrorFilterId>(tmf-[0-9a-f]+)</.exec(
      call({ Action: 'CreateTrafficMirrorFilter' }).body,
    )![1];
    const session = (eni: string, number: number) =>
      call({
        Action: 'CreateTrafficMirrorSession',
        NetworkInterfaceId: eni,
        TrafficMirrorTargetId: target,
        TrafficMirrorFilterId: filter,
        SessionNumber: String(number),
      });
    const newEni = () =>
      /<networkInterfaceId>(eni-[0-9a-f]+)</.exec(
        call({ Action: 'CreateNetworkInterface', SubnetId: subnet }).body,
      )![1];
    let created = 0;
    while (created < 10_000) {
      const eni = newEni();
      for (let n = 1; n <= 3 && created < 10_000; n++) {
        const reply = session(eni, n);
        if (reply.status !== 200) throw new Error(`session ${created + 1} refused: ${reply.body}`);
        created++;
      }
    }
    const over = session(newEni(), 1);
    expect(over.status).toBe(400);
    expect(over.body).toContain('<Code>TrafficMirrorSessionLimitExceeded</Code>');
    em.close();
  });

  it('answers the SDK with TrafficMirrorSessionLimitExceeded when the account quota is reached', async () => {
    const h = await harness({ quotas: { sessionsPerAccount: 2 } });
    try {
      const subnet = (await h.ec2.send(new DescribeSubnetsCommand({}))).Subnets![0].SubnetId!;
      const target = (
        await h.ec2.send(
          new CreateTrafficMirrorTargetCommand({
            NetworkLoadBalancerArn:
              'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/rx/0123456789abcdef',
          }),
        )
      ).TrafficMirrorTarget!.TrafficMirrorTargetId!;
      const filter = (await h.ec2.send(new CreateTrafficMirrorFilterCommand({}))).TrafficMirrorFilter!
        .TrafficMirrorFilterId!;
      const create = async () =>
        h.ec2.send(
          new CreateTrafficMirrorSessionCommand({
            NetworkInterfaceId: await eni(h.ec2, subnet),
            TrafficMirrorTargetId: target,
            TrafficMirrorFilterId: filter,
            SessionNumber: 1,
          }),
        );
      await create();
      await create();
      expect(await failure(create())).toMatchObject({
        code: 'TrafficMirrorSessionLimitExceeded',
        status: 400,
      });
    } finally {
      await h.close();
    }
  });
});

describe('clientTokenAfterDelete: mismatch', () => {
  it('answers a ClientToken repeated after its session was deleted with IdempotentParameterMismatch', async () => {
    const h = await harness({ clientTokenAfterDelete: 'mismatch' });
    try {
      const subnet = (await h.ec2.send(new DescribeSubnetsCommand({}))).Subnets![0].SubnetId!;
      const target = (
        await h.ec2.send(
          new CreateTrafficMirrorTargetCommand({ NetworkInterfaceId: await eni(h.ec2, subnet) }),
        )
      ).TrafficMirrorTarget!.TrafficMirrorTargetId!;
      const filter = (await h.ec2.send(new CreateTrafficMirrorFilterCommand({}))).TrafficMirrorFilter!
        .TrafficMirrorFilterId!;
      const source = await eni(h.ec2, subnet);
      const create = () =>
        h.ec2.send(
          new CreateTrafficMirrorSessionCommand({
            NetworkInterfaceId: source,
            TrafficMirrorTargetId: target,
            TrafficMirrorFilterId: filter,
            SessionNumber: 7,
            ClientToken: 'token-d',
          }),
        );
      const first = (await create()).TrafficMirrorSession!;
      // While the session lives, the token still answers with it.
      expect((await create()).TrafficMirrorSession!.TrafficMirrorSessionId).toBe(
        first.TrafficMirrorSessionId,
      );
      await h.ec2.send(
        new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: first.TrafficMirrorSessionId }),
      );
      expect(await failure(create())).toMatchObject({ code: 'IdempotentParameterMismatch', status: 400 });
    } finally {
      await h.close();
    }
  });
});
