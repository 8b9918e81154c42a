// RegisterTaskDefinition round-trips what a client copies into a new revision (`fargate-mirror
// sidecar add` does exactly that), and ListTaskDefinitions counts the revisions.

import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from '../support/harness.js';

const INPUT: RegisterTaskDefinitionCommandInput = {
  family: 'web',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '512',
  memory: '1024',
  taskRoleArn: 'arn:aws:iam::123456789012:role/task',
  executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
  volumes: [{ name: 'cache' }],
  runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
  ephemeralStorage: { sizeInGiB: 30 },
  tags: [{ key: 'team', value: 'shop' }],
  containerDefinitions: [
    {
      name: 'app',
      image: 'nginx',
      essential: true,
      entryPoint: ['/bin/sh', '-c'],
      command: ['nginx'],
      user: '101:101',
      cpu: 256,
      memory: 512,
      healthCheck: { command: ['CMD', 'true'], interval: 10, timeout: 2, retries: 3, startPeriod: 5 },
      linuxParameters: { capabilities: { add: ['SYS_PTRACE'], drop: ['MKNOD'] } },
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': '/web', 'awslogs-region': 'us-east-1' },
      },
      dependsOn: [{ containerName: 'init', condition: 'COMPLETE' }],
      mountPoints: [{ sourceVolume: 'cache', containerPath: '/cache' }],
    },
    { name: 'init', image: 'busybox', essential: false },
  ],
};

describe('ECS task definitions', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ speed: 200 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('gives back every field it was registered with, tags with include TAGS, revisions per family', async () => {
    await h.ecs.send(new RegisterTaskDefinitionCommand(INPUT));
    const second = await h.ecs.send(new RegisterTaskDefinitionCommand(INPUT));
    expect(second.taskDefinition?.revision).toBe(2);
    const other = await h.ecs.send(new RegisterTaskDefinitionCommand({ ...INPUT, family: 'api' }));
    expect(other.taskDefinition?.revision).toBe(1);

    const described = await h.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'web:2', include: ['TAGS'] }),
    );
    const { tags, containerDefinitions, ...rest } = INPUT;
    expect(described.taskDefinition?.containerDefinitions).toEqual(containerDefinitions);
    expect(described.taskDefinition).toMatchObject(rest);
    expect(described.tags).toEqual(tags);
    const untagged = await h.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));
    expect(untagged.tags).toBeUndefined();
    expect(untagged.taskDefinition?.revision).toBe(2);

    const listed = await h.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'web' }));
    expect(listed.taskDefinitionArns?.map((a) => a.split('/')[1])).toEqual(['web:1', 'web:2']);
    const desc = await h.ecs.send(new ListTaskDefinitionsCommand({ sort: 'DESC' }));
    expect(desc.taskDefinitionArns?.map((a) => a.split('/')[1])).toEqual(['api:1', 'web:2', 'web:1']);
  });

  it('UpdateService with a new task definition records it on the service and its PRIMARY deployment', async () => {
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'shop' }));
    const subnets = await h.ec2.send(new DescribeSubnetsCommand({}));
    const subnet = subnets.Subnets?.[0]?.SubnetId ?? '';
    await h.ecs.send(
      new CreateServiceCommand({
        cluster: 'shop',
        serviceName: 'web',
        taskDefinition: 'web:1',
        desiredCount: 1,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: [subnet] } },
      }),
    );
    const before = await h.ecs.send(new DescribeServicesCommand({ cluster: 'shop', services: ['web'] }));
    const updated = await h.ecs.send(
      new UpdateServiceCommand({ cluster: 'shop', service: 'web', taskDefinition: 'web:2' }),
    );
    expect(updated.service?.taskDefinition).toMatch(/task-definition\/web:2$/);
    const after = await h.ecs.send(new DescribeServicesCommand({ cluster: 'shop', services: ['web'] }));
    const primary = after.services?.[0]?.deployments?.find((d) => d.status === 'PRIMARY');
    expect(primary?.taskDefinition).toMatch(/task-definition\/web:2$/);
    expect(primary?.id).not.toBe(before.services?.[0]?.deployments?.[0]?.id);
  });
});
