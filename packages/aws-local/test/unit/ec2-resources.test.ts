import {
  CreateNetworkInterfaceCommand,
  CreateTagsCommand,
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorFilterRuleCommand,
  CreateTrafficMirrorSessionCommand,
  CreateTrafficMirrorTargetCommand,
  DeleteNetworkInterfaceCommand,
  DeleteTagsCommand,
  DeleteTrafficMirrorFilterCommand,
  DeleteTrafficMirrorFilterRuleCommand,
  DeleteTrafficMirrorSessionCommand,
  DeleteTrafficMirrorTargetCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeTrafficMirrorFiltersCommand,
  DescribeTrafficMirrorSessionsCommand,
  DescribeTrafficMirrorTargetsCommand,
  DescribeVpcsCommand,
  ModifyTrafficMirrorFilterNetworkServicesCommand,
  ModifyTrafficMirrorSessionCommand,
  paginateDescribeNetworkInterfaces,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, type Harness, harness } from '../support/harness.js';

const ID17 = (prefix: string) => new RegExp(`^${prefix}-[0-9a-f]{17}$`);

describe('EC2 Query API through the AWS SDK v3', () => {
  let h: Harness;
  let subnetA: string;

  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('gives a fresh account a default VPC 172.31.0.0/16 with one default subnet per AZ', async () => {
    const vpcs = await h.ec2.send(new DescribeVpcsCommand({}));
    expect(vpcs.Vpcs).toHaveLength(1);
    const vpc = vpcs.Vpcs![0];
    expect(vpc).toMatchObject({
      CidrBlock: '172.31.0.0/16',
      IsDefault: true,
      State: 'available',
      OwnerId: '123456789012',
    });
    expect(vpc.VpcId).toMatch(ID17('vpc'));

    const subnets = await h.ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }),
    );
    const zones = subnets.Subnets!.map((s) => s.AvailabilityZone).sort();
    expect(zones).toEqual([
      'us-east-1a',
      'us-east-1b',
      'us-east-1c',
      'us-east-1d',
      'us-east-1e',
      'us-east-1f',
    ]);
    for (const subnet of subnets.Subnets!) {
      expect(subnet.VpcId).toBe(vpc.VpcId);
      expect(subnet.SubnetId).toMatch(ID17('subnet'));
      expect(subnet.CidrBlock).toMatch(/^172\.31\.\d+\.0\/20$/);
    }
    subnetA = subnets.Subnets!.find((s) => s.AvailabilityZone === 'us-east-1a')!.SubnetId!;
  });

  it('rejects a filter name the API does not document, as AWS does', async () => {
    const error = await failure(
      h.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })),
    );
    expect(error).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
    expect(error.message).toBe("The filter 'colour' is invalid");
    // Traffic mirror sessions document no tag filters.
    const tagFilter = await failure(
      h.ec2.send(
        new DescribeTrafficMirrorSessionsCommand({ Filters: [{ Name: 'tag:owner', Values: ['x'] }] }),
      ),
    );
    expect(tagFilter.code).toBe('InvalidParameterValue');
  });

  it('creates, filters, pages through and deletes network interfaces', async () => {
    const created = [];
    for (let i = 0; i < 7; i++) {
      const out = await h.ec2.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: subnetA,
          Description: `probe ${i}`,
          TagSpecifications: [
            { ResourceType: 'network-interface', Tags: [{ Key: 'batch', Value: 'paging' }] },
          ],
        }),
      );
      created.push(out.NetworkInterface!);
    }
    const first = created[0];
    expect(first.NetworkInterfaceId).toMatch(ID17('eni'));
    expect(first).toMatchObject({
      SubnetId: subnetA,
      Status: 'available',
      InterfaceType: 'interface',
      RequesterManaged: false,
    });
    expect(first.PrivateIpAddress).toMatch(/^172\.31\.(\d|1[0-5])\.\d+$/);
    expect(new Set(created.map((e) => e.PrivateIpAddress)).size).toBe(7);

    const pages = [];
    for await (const page of paginateDescribeNetworkInterfaces(
      { client: h.ec2, pageSize: 5 },
      { Filters: [{ Name: 'tag:batch', Values: ['paging'] }] },
    )) {
      pages.push(page.NetworkInterfaces!.map((e) => e.NetworkInterfaceId));
    }
    expect(pages.map((p) => p.length)).toEqual([5, 2]);
    expect(pages.flat().sort()).toEqual(created.map((e) => e.NetworkInterfaceId).sort());

    const byDescription = await h.ec2.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [
          { Name: 'description', Values: ['probe ?'] },
          { Name: 'subnet-id', Values: [subnetA] },
        ],
      }),
    );
    expect(byDescription.NetworkInterfaces).toHaveLength(7);

    const tooSmall = await failure(h.ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 4 })));
    expect(tooSmall.code).toBe('InvalidParameterValue');
    const badToken = await failure(
      h.ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5, NextToken: 'garbage' })),
    );
    expect(badToken.code).toBe('InvalidPaginationToken');

    for (const eni of created.slice(1)) {
      await h.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.NetworkInterfaceId }));
    }
    const gone = await failure(
      h.ec2.send(
        new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [created[1].NetworkInterfaceId!] }),
      ),
    );
    expect(gone).toMatchObject({ code: 'InvalidNetworkInterfaceID.NotFound', status: 400 });
    const malformed = await failure(
      h.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: 'eni-nope' })),
    );
    expect(malformed.code).toBe('InvalidNetworkInterfaceId.Malformed');
  });

  it('runs the whole traffic mirroring set-up: target, filter, rules, network services, session', async () => {
    const source = (await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetA })))
      .NetworkInterface!;
    const targetEni = (await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetA })))
      .NetworkInterface!;
    const target = (
      await h.ec2.send(
        new CreateTrafficMirrorTargetCommand({
          NetworkInterfaceId: targetEni.NetworkInterfaceId,
          Description: 'collector',
        }),
      )
    ).TrafficMirrorTarget!;
    expect(target.TrafficMirrorTargetId).toMatch(ID17('tmt'));
    expect(target).toMatchObject({
      Type: 'network-interface',
      NetworkInterfaceId: targetEni.NetworkInterfaceId,
    });
    const nlb = (
      await h.ec2.send(
        new CreateTrafficMirrorTargetCommand({
          NetworkLoadBalancerArn:
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/rx/0123456789abcdef',
        }),
      )
    ).TrafficMirrorTarget!;
    expect(nlb.Type).toBe('network-load-balancer');

    const filter = (await h.ec2.send(new CreateTrafficMirrorFilterCommand({ Description: 'all tcp' })))
      .TrafficMirrorFilter!;
    expect(filter.TrafficMirrorFilterId).toMatch(ID17('tmf'));
    const rule = (
      await h.ec2.send(
        new CreateTrafficMirrorFilterRuleCommand({
          TrafficMirrorFilterId: filter.TrafficMirrorFilterId,
          TrafficDirection: 'ingress',
          RuleNumber: 100,
          RuleAction: 'accept',
          Protocol: 6,
          DestinationPortRange: { FromPort: 80, ToPort: 443 },
          SourceCidrBlock: '0.0.0.0/0',
          DestinationCidrBlock: '10.0.0.0/8',
        }),
      )
    ).TrafficMirrorFilterRule!;
    expect(rule.TrafficMirrorFilterRuleId).toMatch(ID17('tmfr'));
    const egress = (
      await h.ec2.send(
        new CreateTrafficMirrorFilterRuleCommand({
          TrafficMirrorFilterId: filter.TrafficMirrorFilterId,
          TrafficDirection: 'egress',
          RuleNumber: 100,
          RuleAction: 'accept',
          SourceCidrBlock: '0.0.0.0/0',
          DestinationCidrBlock: '0.0.0.0/0',
        }),
      )
    ).TrafficMirrorFilterRule!;
    const withDns = await h.ec2.send(
      new ModifyTrafficMirrorFilterNetworkServicesCommand({
        TrafficMirrorFilterId: filter.TrafficMirrorFilterId,
        AddNetworkServices: ['amazon-dns'],
      }),
    );
    expect(withDns.TrafficMirrorFilter!.NetworkServices).toEqual(['amazon-dns']);
    const described = await h.ec2.send(
      new DescribeTrafficMirrorFiltersCommand({ TrafficMirrorFilterIds: [filter.TrafficMirrorFilterId!] }),
    );
    const f = described.TrafficMirrorFilters![0];
    expect(f.IngressFilterRules!.map((r) => r.TrafficMirrorFilterRuleId)).toEqual([
      rule.TrafficMirrorFilterRuleId,
    ]);
    expect(f.IngressFilterRules![0].DestinationPortRange).toEqual({ FromPort: 80, ToPort: 443 });
    expect(f.EgressFilterRules!.map((r) => r.TrafficMirrorFilterRuleId)).toEqual([
      egress.TrafficMirrorFilterRuleId,
    ]);

    const session = (
      await h.ec2.send(
        new CreateTrafficMirrorSessionCommand({
          NetworkInterfaceId: source.NetworkInterfaceId,
          TrafficMirrorTargetId: target.TrafficMirrorTargetId,
          TrafficMirrorFilterId: filter.TrafficMirrorFilterId,
          SessionNumber: 32766,
          PacketLength: 128,
          TagSpecifications: [
            {
              ResourceType: 'traffic-mirror-session',
              Tags: [{ Key: 'fargate-mirror:owner', Value: 'test' }],
            },
          ],
        }),
      )
    ).TrafficMirrorSession!;
    expect(session.TrafficMirrorSessionId).toMatch(ID17('tms'));
    expect(session.VirtualNetworkId).toBeGreaterThan(0);
    expect(session.VirtualNetworkId).toBeLessThanOrEqual(16_777_215);
    expect(session.Tags).toEqual([{ Key: 'fargate-mirror:owner', Value: 'test' }]);

    const modified = await h.ec2.send(
      new ModifyTrafficMirrorSessionCommand({
        TrafficMirrorSessionId: session.TrafficMirrorSessionId,
        TrafficMirrorTargetId: nlb.TrafficMirrorTargetId,
        VirtualNetworkId: 4242,
        RemoveFields: ['packet-length'],
      }),
    );
    expect(modified.TrafficMirrorSession).toMatchObject({
      TrafficMirrorTargetId: nlb.TrafficMirrorTargetId,
      VirtualNetworkId: 4242,
    });
    // Removing the packet length of a session now on an NLB target leaves AWS's default for NLBs.
    expect(modified.TrafficMirrorSession!.PacketLength).toBe(8500);

    const bySource = await h.ec2.send(
      new DescribeTrafficMirrorSessionsCommand({
        Filters: [
          { Name: 'network-interface-id', Values: [source.NetworkInterfaceId!] },
          { Name: 'virtual-network-id', Values: ['4242'] },
        ],
      }),
    );
    expect(bySource.TrafficMirrorSessions!.map((s) => s.TrafficMirrorSessionId)).toEqual([
      session.TrafficMirrorSessionId,
    ]);
    const targets = await h.ec2.send(
      new DescribeTrafficMirrorTargetsCommand({ Filters: [{ Name: 'description', Values: ['collector'] }] }),
    );
    expect(targets.TrafficMirrorTargets!.map((t) => t.TrafficMirrorTargetId)).toEqual([
      target.TrafficMirrorTargetId,
    ]);

    // In use: AWS refuses to delete a filter or target that a session uses.
    const filterInUse = await failure(
      h.ec2.send(
        new DeleteTrafficMirrorFilterCommand({ TrafficMirrorFilterId: filter.TrafficMirrorFilterId }),
      ),
    );
    expect(filterInUse.code).toBe('TrafficMirrorFilterInUse');
    const targetInUse = await failure(
      h.ec2.send(new DeleteTrafficMirrorTargetCommand({ TrafficMirrorTargetId: nlb.TrafficMirrorTargetId })),
    );
    expect(targetInUse.code).toBe('TrafficMirrorTargetInUseException');

    await h.ec2.send(
      new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: session.TrafficMirrorSessionId }),
    );
    const again = await failure(
      h.ec2.send(
        new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: session.TrafficMirrorSessionId }),
      ),
    );
    expect(again).toMatchObject({ code: 'InvalidTrafficMirrorSessionId.NotFound', status: 400 });
    await h.ec2.send(
      new DeleteTrafficMirrorFilterRuleCommand({ TrafficMirrorFilterRuleId: rule.TrafficMirrorFilterRuleId }),
    );
    await h.ec2.send(
      new DeleteTrafficMirrorFilterCommand({ TrafficMirrorFilterId: filter.TrafficMirrorFilterId }),
    );
    await h.ec2.send(
      new DeleteTrafficMirrorTargetCommand({ TrafficMirrorTargetId: target.TrafficMirrorTargetId }),
    );
    const filters = await h.ec2.send(new DescribeTrafficMirrorFiltersCommand({}));
    expect(filters.TrafficMirrorFilters).toEqual([]);
  });

  it('deletes the sessions of a source ENI when the ENI is deleted, as AWS does', async () => {
    const source = (await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetA })))
      .NetworkInterface!;
    const target = (
      await h.ec2.send(
        new CreateTrafficMirrorTargetCommand({
          NetworkLoadBalancerArn:
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/rx2/0123456789abcdef',
        }),
      )
    ).TrafficMirrorTarget!;
    const filter = (await h.ec2.send(new CreateTrafficMirrorFilterCommand({}))).TrafficMirrorFilter!;
    const session = (
      await h.ec2.send(
        new CreateTrafficMirrorSessionCommand({
          NetworkInterfaceId: source.NetworkInterfaceId,
          TrafficMirrorTargetId: target.TrafficMirrorTargetId,
          TrafficMirrorFilterId: filter.TrafficMirrorFilterId,
          SessionNumber: 1,
        }),
      )
    ).TrafficMirrorSession!;
    await h.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: source.NetworkInterfaceId }));
    const gone = await failure(
      h.ec2.send(
        new DescribeTrafficMirrorSessionsCommand({
          TrafficMirrorSessionIds: [session.TrafficMirrorSessionId!],
        }),
      ),
    );
    expect(gone.code).toBe('InvalidTrafficMirrorSessionId.NotFound');
    const deleteGone = await failure(
      h.ec2.send(
        new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: session.TrafficMirrorSessionId }),
      ),
    );
    expect(deleteGone.code).toBe('InvalidTrafficMirrorSessionId.NotFound');
  });

  it('creates, describes and deletes tags', async () => {
    const eni = (await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetA })))
      .NetworkInterface!;
    const id = eni.NetworkInterfaceId!;
    await h.ec2.send(
      new CreateTagsCommand({
        Resources: [id],
        Tags: [
          { Key: 'team', Value: 'net' },
          { Key: 'tier', Value: 'a' },
        ],
      }),
    );
    const tags = await h.ec2.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }),
    );
    expect(tags.Tags).toEqual([
      { ResourceId: id, ResourceType: 'network-interface', Key: 'team', Value: 'net' },
      { ResourceId: id, ResourceType: 'network-interface', Key: 'tier', Value: 'a' },
    ]);
    await h.ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: 'tier' }] }));
    const byTag = await h.ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'tag-key', Values: ['tier'] }] }),
    );
    expect(byTag.NetworkInterfaces).toEqual([]);
    const left = await h.ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['team'] }] }));
    expect(left.Tags!.map((t) => t.ResourceId)).toContain(id);
    const unknown = await failure(
      h.ec2.send(
        new CreateTagsCommand({ Resources: ['tms-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] }),
      ),
    );
    expect(unknown.code).toBe('InvalidTrafficMirrorSessionId.NotFound');
  });

  it('answers DryRun with DryRunOperation (HTTP 412) and changes nothing', async () => {
    const before = await h.ec2.send(new DescribeTrafficMirrorFiltersCommand({}));
    const dry = await failure(h.ec2.send(new CreateTrafficMirrorFilterCommand({ DryRun: true })));
    expect(dry).toMatchObject({ code: 'DryRunOperation', status: 412 });
    const after = await h.ec2.send(new DescribeTrafficMirrorFiltersCommand({}));
    expect(after.TrafficMirrorFilters).toEqual(before.TrafficMirrorFilters);
  });
});
