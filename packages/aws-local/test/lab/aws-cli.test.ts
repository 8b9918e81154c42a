import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cliCalls,
  cliDocExample,
  type CliJson as Json,
  missingKeys,
  type RunningBinary,
  startBinary,
  typeMismatches,
} from '../support/aws-cli.js';

/**
 * Debian's AWS CLI v2 (botocore's own models and parsers, independent of the JS SDK) drives
 * every emulated operation against the standalone binary. The CLI starts slowly (~1 s per call),
 * so each operation is called about once.
 */
// Generous per-test timeout: the CLI takes 1-3 s per call on a busy 2-core machine.
describe("Debian's AWS CLI v2 against the standalone aws-local binary", { timeout: 300_000 }, () => {
  let local: RunningBinary | undefined;
  const { cli, cliError } = cliCalls(() => local?.url ?? '');

  beforeAll(async () => {
    // The test drives the built binary (startBinary builds it).
    local = await startBinary(['--port', '0', '--speed', '1000']);
    expect(local.url).toBe(`http://127.0.0.1:${local.port}`);
  });
  afterAll(async () => {
    await local?.stop();
  });

  let source: string;
  let collector: string;
  let subnets: string[];

  it('describes the default VPC and subnets, and manages network interfaces', async () => {
    const [vpcs, subnetOut] = await Promise.all([
      cli('ec2', 'describe-vpcs', '--filters', 'Name=is-default,Values=true'),
      cli('ec2', 'describe-subnets', '--filters', 'Name=default-for-az,Values=true'),
    ]);
    expect(vpcs.Vpcs[0]).toMatchObject({ CidrBlock: '172.31.0.0/16', IsDefault: true });
    subnets = subnetOut.Subnets.map((s: Json) => s.SubnetId);
    expect(subnets).toHaveLength(6);
    expect(missingKeys(cliDocExample('ec2', 'describe-vpcs'), vpcs)).toEqual([]);

    const [a, b] = await Promise.all([
      cli('ec2', 'create-network-interface', '--subnet-id', subnets[0], '--description', 'source'),
      cli('ec2', 'create-network-interface', '--subnet-id', subnets[0], '--description', 'collector'),
    ]);
    source = a.NetworkInterface.NetworkInterfaceId;
    collector = b.NetworkInterface.NetworkInterfaceId;
    const described = await cli(
      'ec2',
      'describe-network-interfaces',
      '--network-interface-ids',
      source,
      collector,
    );
    expect(described.NetworkInterfaces.map((n: Json) => n.Description).sort()).toEqual([
      'collector',
      'source',
    ]);
  });

  it('creates the mirroring resources with the shapes of the AWS CLI documentation examples', async () => {
    const nlbTarget = await cli(
      'ec2',
      'create-traffic-mirror-target',
      '--description',
      'Example Network Load Balancer Target',
      '--network-load-balancer-arn',
      'arn:aws:elasticloadbalancing:us-east-1:724145273726:loadbalancer/net/NLB/7cdec873EXAMPLE',
    );
    expect(missingKeys(cliDocExample('ec2', 'create-traffic-mirror-target'), nlbTarget)).toEqual([]);
    const target = await cli(
      'ec2',
      'create-traffic-mirror-target',
      '--network-interface-id',
      collector,
      '--description',
      'eni',
    );
    expect(target.TrafficMirrorTarget).toMatchObject({
      Type: 'network-interface',
      NetworkInterfaceId: collector,
    });
    const filter = await cli('ec2', 'create-traffic-mirror-filter', '--description', 'Example filter');
    const filterId = filter.TrafficMirrorFilter.TrafficMirrorFilterId;
    const rule = await cli(
      'ec2',
      'create-traffic-mirror-filter-rule',
      '--description',
      'TCP Rule',
      '--destination-cidr-block',
      '0.0.0.0/0',
      '--protocol',
      '6',
      '--rule-action',
      'accept',
      '--rule-number',
      '1',
      '--source-cidr-block',
      '0.0.0.0/0',
      '--traffic-direction',
      'ingress',
      '--traffic-mirror-filter-id',
      filterId,
    );
    const ruleDoc = cliDocExample('ec2', 'create-traffic-mirror-filter-rule');
    expect(missingKeys(ruleDoc, rule)).toEqual([]);
    expect(typeMismatches(ruleDoc, rule)).toEqual([]);
    const services = await cli(
      'ec2',
      'modify-traffic-mirror-filter-network-services',
      '--traffic-mirror-filter-id',
      filterId,
      '--add-network-services',
      'amazon-dns',
    );
    expect(services.TrafficMirrorFilter.NetworkServices).toEqual(['amazon-dns']);
    const [filters, targets] = await Promise.all([
      cli('ec2', 'describe-traffic-mirror-filters', '--traffic-mirror-filter-ids', filterId),
      cli(
        'ec2',
        'describe-traffic-mirror-targets',
        '--filters',
        `Name=network-interface-id,Values=${collector}`,
      ),
    ]);
    expect(missingKeys(cliDocExample('ec2', 'describe-traffic-mirror-filters'), filters)).toEqual([]);
    expect(targets.TrafficMirrorTargets).toHaveLength(1);

    const session = await cli(
      'ec2',
      'create-traffic-mirror-session',
      '--description',
      'TCP Session',
      '--traffic-mirror-target-id',
      target.TrafficMirrorTarget.TrafficMirrorTargetId,
      '--network-interface-id',
      source,
      '--session-number',
      '1',
      '--packet-length',
      '20',
      '--virtual-network-id',
      '42',
      '--traffic-mirror-filter-id',
      filterId,
    );
    const sessionId = session.TrafficMirrorSession.TrafficMirrorSessionId;
    await cli('ec2', 'create-tags', '--resources', sessionId, '--tags', 'Key=Name,Value=tag test');
    const sessions = await cli(
      'ec2',
      'describe-traffic-mirror-sessions',
      '--traffic-mirror-session-ids',
      sessionId,
    );
    const sessionsDoc = cliDocExample('ec2', 'describe-traffic-mirror-sessions');
    expect(missingKeys(sessionsDoc, sessions)).toEqual([]);
    expect(typeMismatches(sessionsDoc, sessions)).toEqual([]);
    expect(sessions.TrafficMirrorSessions[0]).toMatchObject({
      VirtualNetworkId: 42,
      PacketLength: 20,
      SessionNumber: 1,
      Description: 'TCP Session',
      Tags: [{ Key: 'Name', Value: 'tag test' }],
    });

    const modified = await cli(
      'ec2',
      'modify-traffic-mirror-session',
      '--traffic-mirror-session-id',
      sessionId,
      '--remove-fields',
      'packet-length',
    );
    expect(modified.TrafficMirrorSession.PacketLength).toBeUndefined();
    const tags = await cli('ec2', 'describe-tags', '--filters', `Name=resource-id,Values=${sessionId}`);
    expect(tags.Tags).toEqual([
      { ResourceId: sessionId, ResourceType: 'traffic-mirror-session', Key: 'Name', Value: 'tag test' },
    ]);
    await cli('ec2', 'delete-tags', '--resources', sessionId, '--tags', 'Key=Name');

    await cli('ec2', 'delete-traffic-mirror-session', '--traffic-mirror-session-id', sessionId);
    expect(
      await cliError('ec2', 'delete-traffic-mirror-session', '--traffic-mirror-session-id', sessionId),
    ).toContain('InvalidTrafficMirrorSessionId.NotFound');
    await Promise.all([
      cli(
        'ec2',
        'delete-traffic-mirror-filter-rule',
        '--traffic-mirror-filter-rule-id',
        rule.TrafficMirrorFilterRule.TrafficMirrorFilterRuleId,
      ),
      cli(
        'ec2',
        'delete-traffic-mirror-target',
        '--traffic-mirror-target-id',
        nlbTarget.TrafficMirrorTarget.TrafficMirrorTargetId,
      ),
    ]);
    await Promise.all([
      cli('ec2', 'delete-traffic-mirror-filter', '--traffic-mirror-filter-id', filterId),
      cli(
        'ec2',
        'delete-traffic-mirror-target',
        '--traffic-mirror-target-id',
        target.TrafficMirrorTarget.TrafficMirrorTargetId,
      ),
    ]);
    await cli('ec2', 'delete-network-interface', '--network-interface-id', collector);
    expect(await cliError('ec2', 'describe-subnets', '--filters', 'Name=flavour,Values=x')).toContain(
      "The filter 'flavour' is invalid",
    );
  });

  it('runs ECS clusters, tasks, services and container instances', async () => {
    const cluster = await cli('ecs', 'create-cluster', '--cluster-name', 'MyCluster');
    expect(missingKeys(cliDocExample('ecs', 'create-cluster'), cluster)).toEqual([]);
    await cli(
      'ecs',
      'register-task-definition',
      '--family',
      'web',
      '--network-mode',
      'awsvpc',
      '--requires-compatibilities',
      'FARGATE',
      '--cpu',
      '256',
      '--memory',
      '512',
      '--container-definitions',
      JSON.stringify([{ name: 'simple-app', image: 'httpd:2.4' }]),
    );
    const run = await cli(
      'ecs',
      'run-task',
      '--cluster',
      'MyCluster',
      '--task-definition',
      'web',
      '--launch-type',
      'FARGATE',
      '--network-configuration',
      `awsvpcConfiguration={subnets=[${subnets[0]}]}`,
      '--tags',
      'key=team,value=net',
    );
    const taskArn = run.tasks[0].taskArn;
    expect(
      missingKeys(cliDocExample('ecs', 'run-task'), run).filter((k) => !k.includes('containerInstanceArn')),
    ).toEqual([]);

    const described = await cli(
      'ecs',
      'describe-tasks',
      '--cluster',
      'MyCluster',
      '--tasks',
      taskArn,
      '--include',
      'TAGS',
    );
    const task = described.tasks[0];
    expect(task.lastStatus).toBe('RUNNING'); // --speed 1000: 17 emulated seconds pass in 17 ms
    expect(task.tags).toEqual([{ key: 'team', value: 'net' }]);
    const eniAttachment = task.attachments[0];
    expect(eniAttachment).toMatchObject({ type: 'ElasticNetworkInterface', status: 'ATTACHED' });
    const eniId = eniAttachment.details.find((d: Json) => d.name === 'networkInterfaceId').value;
    const eni = await cli(
      'ec2',
      'describe-network-interfaces',
      '--filters',
      `Name=network-interface-id,Values=${eniId}`,
    );
    expect(eni.NetworkInterfaces[0]).toMatchObject({ RequesterManaged: true, InterfaceType: 'interface' });

    // AWS's documented default: a requester-managed task ENI is no mirror source.
    const filter = await cli('ec2', 'create-traffic-mirror-filter');
    const target = await cli(
      'ec2',
      'create-traffic-mirror-target',
      '--network-load-balancer-arn',
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/rx/0123456789abcdef',
    );
    const refused = await cliError(
      'ec2',
      'create-traffic-mirror-session',
      '--network-interface-id',
      eniId,
      '--session-number',
      '1',
      '--traffic-mirror-target-id',
      target.TrafficMirrorTarget.TrafficMirrorTargetId,
      '--traffic-mirror-filter-id',
      filter.TrafficMirrorFilter.TrafficMirrorFilterId,
    );
    expect(refused).toContain('NetworkInterfaceNotSupported');

    const [listed] = await Promise.all([
      cli('ecs', 'list-tasks', '--cluster', 'MyCluster'),
      cli('ecs', 'tag-resource', '--resource-arn', taskArn, '--tags', 'key=extra,value=1'),
    ]);
    expect(listed.taskArns).toEqual([taskArn]);
    const stopped = await cli('ecs', 'stop-task', '--cluster', 'MyCluster', '--task', taskArn);
    expect(stopped.task.desiredStatus).toBe('STOPPED');

    const service = await cli(
      'ecs',
      'create-service',
      '--cluster',
      'MyCluster',
      '--service-name',
      'MyService',
      '--task-definition',
      'web',
      '--desired-count',
      '2',
      '--launch-type',
      'FARGATE',
      '--network-configuration',
      `awsvpcConfiguration={subnets=[${subnets[0]},${subnets[1]}],assignPublicIp=DISABLED}`,
    );
    expect(service.service).toMatchObject({ serviceName: 'MyService', desiredCount: 2, status: 'ACTIVE' });
    await cli(
      'ecs',
      'update-service',
      '--cluster',
      'MyCluster',
      '--service',
      'MyService',
      '--desired-count',
      '1',
    );
    const [services, serviceList, clusters, clusterList] = await Promise.all([
      cli('ecs', 'describe-services', '--cluster', 'MyCluster', '--services', 'MyService'),
      cli('ecs', 'list-services', '--cluster', 'MyCluster'),
      cli('ecs', 'describe-clusters', '--clusters', 'MyCluster'),
      cli('ecs', 'list-clusters'),
    ]);
    expect(services.services[0]).toMatchObject({ desiredCount: 1, runningCount: 1 });
    expect(serviceList.serviceArns).toEqual([
      'arn:aws:ecs:us-east-1:123456789012:service/MyCluster/MyService',
    ]);
    expect(clusters.clusters[0].activeServicesCount).toBe(1);
    expect(clusterList.clusterArns).toEqual(['arn:aws:ecs:us-east-1:123456789012:cluster/MyCluster']);
    const deleted = await cli(
      'ecs',
      'delete-service',
      '--cluster',
      'MyCluster',
      '--service',
      'MyService',
      '--force',
    );
    expect(deleted.service.status).toBe('DRAINING');

    const registered = await cli('ecs', 'register-container-instance', '--cluster', 'MyCluster');
    const ci = registered.containerInstance;
    const [cis, instances] = await Promise.all([
      cli(
        'ecs',
        'describe-container-instances',
        '--cluster',
        'MyCluster',
        '--container-instances',
        ci.containerInstanceArn,
      ),
      cli('ec2', 'describe-instances', '--instance-ids', ci.ec2InstanceId),
    ]);
    expect(cis.containerInstances[0]).toMatchObject({ ec2InstanceId: ci.ec2InstanceId, status: 'ACTIVE' });
    const instance = instances.Reservations[0].Instances[0];
    expect(instance.State.Name).toBe('running');
    expect(instance.NetworkInterfaces[0]).toMatchObject({
      Attachment: { DeviceIndex: 0 },
      PrivateIpAddress: instance.PrivateIpAddress,
    });
  });
});

describe("Debian's AWS CLI v2: NLB-target PacketLength and ClientToken reuse", { timeout: 300_000 }, () => {
  let local: RunningBinary | undefined;
  const { cli, cliError } = cliCalls(() => local?.url ?? '');

  beforeAll(async () => {
    // The harsher of the two unknown AWS behaviours for a token reused after its session's delete.
    local = await startBinary(['--port', '0', '--client-token-after-delete', 'mismatch']);
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('gives a session on an NLB target PacketLength 8500 when none is given, none on an ENI target', async () => {
    const subnet = (await cli('ec2', 'describe-subnets')).Subnets[0].SubnetId as string;
    const eni = async () =>
      (await cli('ec2', 'create-network-interface', '--subnet-id', subnet)).NetworkInterface
        .NetworkInterfaceId as string;
    const [a, b, collector] = [await eni(), await eni(), await eni()];
    const nlb = (
      await cli(
        'ec2',
        'create-traffic-mirror-target',
        '--network-load-balancer-arn',
        'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/rx/0123456789abcdef',
      )
    ).TrafficMirrorTarget.TrafficMirrorTargetId as string;
    const onEniTarget = (
      await cli('ec2', 'create-traffic-mirror-target', '--network-interface-id', collector)
    ).TrafficMirrorTarget.TrafficMirrorTargetId as string;
    const filter = (await cli('ec2', 'create-traffic-mirror-filter')).TrafficMirrorFilter
      .TrafficMirrorFilterId as string;
    const session = (source: string, target: string) =>
      cli(
        'ec2',
        'create-traffic-mirror-session',
        '--network-interface-id',
        source,
        '--traffic-mirror-target-id',
        target,
        '--traffic-mirror-filter-id',
        filter,
        '--session-number',
        '1',
      );
    const [onNlb, onEni] = await Promise.all([session(a, nlb), session(b, onEniTarget)]);
    expect(onNlb.TrafficMirrorSession.PacketLength).toBe(8500);
    expect(onEni.TrafficMirrorSession).not.toHaveProperty('PacketLength');
    const described = await cli(
      'ec2',
      'describe-traffic-mirror-sessions',
      '--filters',
      `Name=network-interface-id,Values=${a}`,
    );
    expect(described.TrafficMirrorSessions[0].PacketLength).toBe(8500);
  });

  it('refuses a ClientToken reused with other parameters, and reused after its session was deleted', async () => {
    const subnet = (await cli('ec2', 'describe-subnets')).Subnets[0].SubnetId as string;
    const eni = async () =>
      (await cli('ec2', 'create-network-interface', '--subnet-id', subnet)).NetworkInterface
        .NetworkInterfaceId as string;
    const [source, collector] = [await eni(), await eni()];
    const target = (await cli('ec2', 'create-traffic-mirror-target', '--network-interface-id', collector))
      .TrafficMirrorTarget.TrafficMirrorTargetId as string;
    const filter = (await cli('ec2', 'create-traffic-mirror-filter')).TrafficMirrorFilter
      .TrafficMirrorFilterId as string;
    const args = (number: string) => [
      'ec2',
      'create-traffic-mirror-session',
      '--network-interface-id',
      source,
      '--traffic-mirror-target-id',
      target,
      '--traffic-mirror-filter-id',
      filter,
      '--session-number',
      number,
      '--client-token',
      'cli-token-1',
    ];
    const first = await cli(...args('3'));
    const repeat = await cli(...args('3'));
    expect(repeat.TrafficMirrorSession.TrafficMirrorSessionId).toBe(
      first.TrafficMirrorSession.TrafficMirrorSessionId,
    );
    expect(await cliError(...args('4'))).toContain('IdempotentParameterMismatch');
    await cli(
      'ec2',
      'delete-traffic-mirror-session',
      '--traffic-mirror-session-id',
      first.TrafficMirrorSession.TrafficMirrorSessionId,
    );
    expect(await cliError(...args('3'))).toContain('IdempotentParameterMismatch');
  });
});
