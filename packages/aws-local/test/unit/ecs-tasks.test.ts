import {
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorSessionCommand,
  CreateTrafficMirrorTargetCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DescribeTrafficMirrorSessionsCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListClustersCommand,
  ListTagsForResourceCommand,
  ListTasksCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
} from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EcsEvent, DEFAULT_LIFECYCLE_TIMINGS as T } from '../../src/index.js';
import { failure, type Harness, harness } from '../support/harness.js';

interface Detail {
  version: number;
  lastStatus: string;
  desiredStatus: string;
  launchType: string;
  group: string;
  stoppedReason?: string;
  stopCode?: string;
  attachments: Array<{ type: string; status: string; details: Array<{ name: string; value: string }> }>;
}

const detailOf = (event: EcsEvent) => event.detail as unknown as Detail;
const eniIdIn = (d: Detail) =>
  d.attachments.find((a) => a.type === 'eni')?.details.find((x) => x.name === 'networkInterfaceId')?.value;

describe('ECS tasks on the emulated clock, through the AWS SDK v3', () => {
  let h: Harness;
  let subnets: string[];
  const events: EcsEvent[] = [];

  beforeAll(async () => {
    h = await harness({ clock: 'manual', taskEniSources: 'accept', throttling: false });
    h.aws.onEvent((event) => {
      events.push(event);
    });
    subnets = (await h.ec2.send(new DescribeSubnetsCommand({}))).Subnets!.map((s) => s.SubnetId!);
    await h.ecs.send(
      new CreateClusterCommand({ clusterName: 'shop', tags: [{ key: 'env', value: 'test' }] }),
    );
    await h.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'web',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: 'app', image: 'nginx:1.27', essential: true }],
      }),
    );
  });
  afterAll(async () => {
    await h.close();
  });

  it('walks a Fargate task through every status, with a requester-managed ENI from PENDING to DEPROVISIONING', async () => {
    const run = await h.ecs.send(
      new RunTaskCommand({
        cluster: 'shop',
        taskDefinition: 'web',
        launchType: 'FARGATE',
        networkConfiguration: {
          awsvpcConfiguration: { subnets: [subnets[1]], securityGroups: ['sg-0123456789abcdef0'] },
        },
      }),
    );
    const task = run.tasks![0];
    expect(task.taskArn).toMatch(/^arn:aws:ecs:us-east-1:123456789012:task\/shop\/[0-9a-f]{32}$/);
    expect(task).toMatchObject({
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      launchType: 'FARGATE',
      group: 'family:web',
    });
    expect(task.attachments).toEqual([
      {
        id: expect.any(String),
        type: 'ElasticNetworkInterface',
        status: 'PRECREATED',
        details: [{ name: 'subnetId', value: subnets[1] }],
      },
    ]);

    h.aws.control.advance(T.PROVISIONING);
    const pending = (await h.ecs.send(new DescribeTasksCommand({ cluster: 'shop', tasks: [task.taskArn!] })))
      .tasks![0];
    expect(pending.lastStatus).toBe('PENDING');
    const attachment = pending.attachments![0];
    expect(attachment.status).toBe('ATTACHED');
    const details = Object.fromEntries(attachment.details!.map((d) => [d.name, d.value]));
    expect(details.networkInterfaceId).toMatch(/^eni-[0-9a-f]{17}$/);
    expect(details.macAddress).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(pending.containers![0].networkInterfaces).toEqual([
      { attachmentId: attachment.id, privateIpv4Address: details.privateIPv4Address },
    ]);

    const eni = (
      await h.ec2.send(
        new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [details.networkInterfaceId] }),
      )
    ).NetworkInterfaces![0];
    expect(eni).toMatchObject({
      RequesterManaged: true,
      InterfaceType: 'interface',
      Status: 'in-use',
      SubnetId: subnets[1],
      PrivateIpAddress: details.privateIPv4Address,
      MacAddress: details.macAddress,
      Description: `arn:aws:ecs:us-east-1:123456789012:attachment/${attachment.id}`,
    });
    expect(eni.Groups!.map((g) => g.GroupId)).toEqual(['sg-0123456789abcdef0']);

    h.aws.control.advance(T.PENDING + T.ACTIVATING);
    const running = (await h.ecs.send(new DescribeTasksCommand({ cluster: 'shop', tasks: [task.taskArn!] })))
      .tasks![0];
    expect(running.lastStatus).toBe('RUNNING');
    expect(running.startedAt).toBeInstanceOf(Date);

    // Mirror the task's ENI, then stop the task: the session goes with the ENI.
    const target = await h.ec2.send(
      new CreateTrafficMirrorTargetCommand({
        NetworkLoadBalancerArn:
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/rx/0123456789abcdef',
      }),
    );
    const filter = await h.ec2.send(new CreateTrafficMirrorFilterCommand({}));
    const session = await h.ec2.send(
      new CreateTrafficMirrorSessionCommand({
        NetworkInterfaceId: details.networkInterfaceId,
        TrafficMirrorTargetId: target.TrafficMirrorTarget!.TrafficMirrorTargetId,
        TrafficMirrorFilterId: filter.TrafficMirrorFilter!.TrafficMirrorFilterId,
        SessionNumber: 1,
      }),
    );
    const stopped = await h.ecs.send(
      new StopTaskCommand({ cluster: 'shop', task: task.taskArn, reason: 'test over' }),
    );
    expect(stopped.task).toMatchObject({ desiredStatus: 'STOPPED', lastStatus: 'RUNNING' });
    h.aws.control.advance(T.DEACTIVATING + T.STOPPING);
    const stopping = (await h.ecs.send(new DescribeTasksCommand({ cluster: 'shop', tasks: [task.taskArn!] })))
      .tasks![0];
    expect(stopping.lastStatus).toBe('DEPROVISIONING');
    expect(
      (
        await failure(
          h.ec2.send(
            new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [details.networkInterfaceId] }),
          ),
        )
      ).code,
    ).toBe('InvalidNetworkInterfaceID.NotFound');
    const sessions = await h.ec2.send(
      new DescribeTrafficMirrorSessionsCommand({
        Filters: [
          {
            Name: 'traffic-mirror-session-id',
            Values: [session.TrafficMirrorSession!.TrafficMirrorSessionId!],
          },
        ],
      }),
    );
    expect(sessions.TrafficMirrorSessions).toEqual([]);

    h.aws.control.advance(T.DEPROVISIONING);
    const final = (await h.ecs.send(new DescribeTasksCommand({ cluster: 'shop', tasks: [task.taskArn!] })))
      .tasks![0];
    expect(final).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'test over',
    });
    expect(final.attachments![0].status).toBe('DELETED');

    await h.aws.control.flushEvents();
    const mine = events.filter((e) => e.resources[0] === task.taskArn);
    for (const event of mine) {
      expect(event).toMatchObject({
        version: '0',
        'detail-type': 'ECS Task State Change',
        source: 'aws.ecs',
        account: '123456789012',
        region: 'us-east-1',
      });
      expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(detailOf(event).attachments[0].type).toBe('eni');
      expect(detailOf(event).launchType).toBe('FARGATE');
    }
    const versions = mine.map((e) => detailOf(e).version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    expect(mine.map((e) => `${detailOf(e).lastStatus}/${detailOf(e).desiredStatus}`)).toEqual([
      'PROVISIONING/RUNNING',
      'PENDING/RUNNING',
      'ACTIVATING/RUNNING',
      'RUNNING/RUNNING',
      'RUNNING/STOPPED',
      'DEACTIVATING/STOPPED',
      'STOPPING/STOPPED',
      'DEPROVISIONING/STOPPED',
      'STOPPED/STOPPED',
    ]);
    // The ENI id is absent while PRECREATED and present from ATTACHED on, STOPPED included.
    expect(mine.map((e) => eniIdIn(detailOf(e)))).toEqual([
      undefined,
      ...Array(8).fill(details.networkInterfaceId),
    ]);
    expect(detailOf(mine[mine.length - 1])).toMatchObject({
      stoppedReason: 'test over',
      stopCode: 'UserInitiated',
    });
  });

  it('runs bridge tasks on a registered container instance whose own ENI DescribeInstances shows', async () => {
    await h.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'legacy',
        networkMode: 'bridge',
        containerDefinitions: [{ name: 'app', image: 'httpd', memory: 128 }],
      }),
    );
    const noHosts = await failure(
      h.ecs.send(new RunTaskCommand({ cluster: 'shop', taskDefinition: 'legacy', launchType: 'EC2' })),
    );
    expect(noHosts.code).toBe('InvalidParameterException');

    const registered = await h.ecs.send(new RegisterContainerInstanceCommand({ cluster: 'shop' }));
    const ci = registered.containerInstance!;
    expect(ci.ec2InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(ci.containerInstanceArn).toMatch(
      /^arn:aws:ecs:us-east-1:123456789012:container-instance\/shop\/[0-9a-f]{32}$/,
    );

    const run = await h.ecs.send(
      new RunTaskCommand({ cluster: 'shop', taskDefinition: 'legacy:1', launchType: 'EC2' }),
    );
    expect(run.tasks![0]).toMatchObject({
      containerInstanceArn: ci.containerInstanceArn,
      lastStatus: 'PENDING',
      attachments: [],
    });

    const awsvpcOnEc2 = await h.ecs.send(
      new RunTaskCommand({
        cluster: 'shop',
        taskDefinition: 'web',
        launchType: 'EC2',
        networkConfiguration: { awsvpcConfiguration: { subnets } },
      }),
    );
    h.aws.control.advance(T.PROVISIONING);
    const described = await h.ecs.send(
      new DescribeContainerInstancesCommand({
        cluster: 'shop',
        containerInstances: [ci.containerInstanceArn!],
      }),
    );
    expect(described.containerInstances![0]).toMatchObject({
      ec2InstanceId: ci.ec2InstanceId,
      status: 'ACTIVE',
      agentConnected: true,
    });

    const reservations = (
      await h.ec2.send(new DescribeInstancesCommand({ InstanceIds: [ci.ec2InstanceId!] }))
    ).Reservations!;
    const instance = reservations[0].Instances![0];
    expect(instance.State).toEqual({ Code: 16, Name: 'running' });
    const interfaces = instance.NetworkInterfaces!;
    // The primary ENI at device index 0, and the awsvpc task's ENI attached beside it.
    expect(interfaces.map((n) => n.Attachment!.DeviceIndex)).toEqual([0, 1]);
    expect(interfaces[0].PrivateIpAddress).toBe(instance.PrivateIpAddress);
    const taskEniId = (
      await h.ecs.send(new DescribeTasksCommand({ cluster: 'shop', tasks: [awsvpcOnEc2.tasks![0].taskArn!] }))
    ).tasks![0].attachments![0].details!.find((d) => d.name === 'networkInterfaceId')!.value;
    expect(interfaces[1].NetworkInterfaceId).toBe(taskEniId);
    const primary = await h.ec2.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [{ Name: 'attachment.instance-id', Values: [ci.ec2InstanceId!] }],
      }),
    );
    expect(primary.NetworkInterfaces!.map((n) => n.RequesterManaged).sort()).toEqual([false, true]);
  });

  it('lists, tags and describes tasks; reports missing ones as failures', async () => {
    const run = await h.ecs.send(
      new RunTaskCommand({
        cluster: 'shop',
        taskDefinition: 'web',
        count: 3,
        launchType: 'FARGATE',
        startedBy: 'tester',
        networkConfiguration: { awsvpcConfiguration: { subnets } },
        tags: [{ key: 'team', value: 'net' }],
      }),
    );
    const arns = run.tasks!.map((t) => t.taskArn!);
    // Spread across subnets (and so AZs), as the scheduler balances them.
    expect(new Set(run.tasks!.map((t) => t.availabilityZone)).size).toBe(3);
    await h.ecs.send(new TagResourceCommand({ resourceArn: arns[0], tags: [{ key: 'extra', value: '1' }] }));
    const withTags = await h.ecs.send(
      new DescribeTasksCommand({ cluster: 'shop', tasks: [arns[0]], include: ['TAGS'] }),
    );
    expect(withTags.tasks![0].tags).toEqual([
      { key: 'team', value: 'net' },
      { key: 'extra', value: '1' },
    ]);
    const withoutTags = await h.ecs.send(new DescribeTasksCommand({ cluster: 'shop', tasks: [arns[0]] }));
    expect(withoutTags.tasks![0].tags).toBeUndefined();
    expect((await h.ecs.send(new ListTagsForResourceCommand({ resourceArn: arns[0] }))).tags).toHaveLength(2);

    const page1 = await h.ecs.send(
      new ListTasksCommand({ cluster: 'shop', startedBy: 'tester', maxResults: 2 }),
    );
    expect(page1.taskArns).toHaveLength(2);
    const page2 = await h.ecs.send(
      new ListTasksCommand({
        cluster: 'shop',
        startedBy: 'tester',
        maxResults: 2,
        nextToken: page1.nextToken,
      }),
    );
    expect([...page1.taskArns!, ...page2.taskArns!]).toEqual(arns);
    expect(page2.nextToken).toBeUndefined();

    const missing = await h.ecs.send(
      new DescribeTasksCommand({ cluster: 'shop', tasks: ['0123456789abcdef0123456789abcdef'] }),
    );
    expect(missing.failures).toEqual([
      {
        arn: 'arn:aws:ecs:us-east-1:123456789012:task/shop/0123456789abcdef0123456789abcdef',
        reason: 'MISSING',
      },
    ]);
    expect((await failure(h.ecs.send(new ListTasksCommand({ cluster: 'nope' })))).code).toBe(
      'ClusterNotFoundException',
    );
    const clusters = await h.ecs.send(
      new DescribeClustersCommand({ clusters: ['shop', 'nope'], include: ['TAGS'] }),
    );
    expect(clusters.clusters![0]).toMatchObject({
      clusterName: 'shop',
      status: 'ACTIVE',
      tags: [{ key: 'env', value: 'test' }],
    });
    // Nothing has reached RUNNING since the first task stopped: the bridge task, the awsvpc task on
    // EC2 and these three are all still starting.
    expect(clusters.clusters![0]).toMatchObject({
      runningTasksCount: 0,
      pendingTasksCount: 5,
      registeredContainerInstancesCount: 1,
    });
    expect(clusters.failures![0].reason).toBe('MISSING');
    expect((await h.ecs.send(new ListClustersCommand({}))).clusterArns).toEqual([
      'arn:aws:ecs:us-east-1:123456789012:cluster/shop',
    ]);
    const noNetwork = await failure(
      h.ecs.send(new RunTaskCommand({ cluster: 'shop', taskDefinition: 'web', launchType: 'FARGATE' })),
    );
    expect(noNetwork.code).toBe('InvalidParameterException');
  });
});

describe('the real clock with --speed', () => {
  it('brings a task to RUNNING in emulated time divided by the speed factor', async () => {
    const h = await harness({ speed: 1000 });
    try {
      await h.ecs.send(new CreateClusterCommand({}));
      await h.ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'quick',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'app', image: 'busybox' }],
        }),
      );
      const subnet = (await h.ec2.send(new DescribeSubnetsCommand({}))).Subnets![0].SubnetId!;
      const run = await h.ecs.send(
        new RunTaskCommand({
          taskDefinition: 'quick',
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets: [subnet] } },
        }),
      );
      await h.aws.control.waitForTask(run.tasks![0].taskArn!, 'RUNNING');
      const task = (await h.ecs.send(new DescribeTasksCommand({ tasks: [run.tasks![0].taskArn!] })))
        .tasks![0];
      expect(task.lastStatus).toBe('RUNNING');
    } finally {
      await h.close();
    }
  });
});
