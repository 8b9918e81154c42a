import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListServicesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StopTaskCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIFECYCLE_TIMINGS as T } from '../../src/index.js';
import { failure, type Harness, harness } from '../support/harness.js';

const TO_RUNNING = T.PROVISIONING + T.PENDING + T.ACTIVATING;
const TO_STOPPED = T.DEACTIVATING + T.STOPPING + T.DEPROVISIONING;

describe('ECS services: the scheduler keeps desiredCount tasks', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await harness({ clock: 'manual' });
    await h.ecs.send(new CreateClusterCommand({ clusterName: 'shop' }));
    await h.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'web',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: 'app', image: 'nginx' }],
      }),
    );
  });
  afterAll(async () => {
    await h.close();
  });

  const running = async () =>
    (await h.ecs.send(new ListTasksCommand({ cluster: 'shop', serviceName: 'web' }))).taskArns!;

  it('starts, scales, replaces and drains service tasks', async () => {
    const subnets = (await h.ec2.send(new DescribeSubnetsCommand({}))).Subnets!.map((s) => s.SubnetId!);
    const created = await h.ecs.send(
      new CreateServiceCommand({
        cluster: 'shop',
        serviceName: 'web',
        taskDefinition: 'web',
        desiredCount: 3,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets, assignPublicIp: 'DISABLED' } },
      }),
    );
    expect(created.service).toMatchObject({
      serviceName: 'web',
      serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/shop/web',
      status: 'ACTIVE',
      desiredCount: 3,
      launchType: 'FARGATE',
    });
    const first = await running();
    expect(first).toHaveLength(3);
    const described = await h.ecs.send(new DescribeTasksCommand({ cluster: 'shop', tasks: first }));
    for (const task of described.tasks!) {
      expect(task.group).toBe('service:web');
      expect(task.startedBy).toMatch(/^ecs-svc\//);
    }
    h.aws.control.advance(TO_RUNNING);
    const counts = (await h.ecs.send(new DescribeServicesCommand({ cluster: 'shop', services: ['web'] })))
      .services![0];
    expect(counts).toMatchObject({ runningCount: 3, pendingCount: 0 });

    await h.ecs.send(new UpdateServiceCommand({ cluster: 'shop', service: 'web', desiredCount: 1 }));
    expect(await running()).toHaveLength(1);
    h.aws.control.advance(TO_STOPPED);
    const scaledIn = await h.ecs.send(
      new DescribeTasksCommand({
        cluster: 'shop',
        tasks: first.filter((arn) => !first.slice(0, 1).includes(arn)),
      }),
    );
    for (const task of scaledIn.tasks!) {
      expect(task).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated' });
      expect(task.stoppedReason).toMatch(/^Scaling activity initiated by/);
    }

    // A task someone stops is replaced.
    const [survivor] = await running();
    await h.ecs.send(new StopTaskCommand({ cluster: 'shop', task: survivor }));
    const replacement = await running();
    expect(replacement).toHaveLength(1);
    expect(replacement[0]).not.toBe(survivor);

    const refuse = await failure(h.ecs.send(new DeleteServiceCommand({ cluster: 'shop', service: 'web' })));
    expect(refuse.code).toBe('InvalidParameterException');
    const deleting = await h.ecs.send(
      new DeleteServiceCommand({ cluster: 'shop', service: 'web', force: true }),
    );
    expect(deleting.service!.status).toBe('DRAINING');
    expect(await running()).toEqual([]);
    h.aws.control.advance(TO_STOPPED);
    const gone = (await h.ecs.send(new DescribeServicesCommand({ cluster: 'shop', services: ['web'] })))
      .services![0];
    expect(gone.status).toBe('INACTIVE');
    expect((await h.ecs.send(new ListServicesCommand({ cluster: 'shop' }))).serviceArns).toEqual([]);
    expect(
      (
        await failure(
          h.ecs.send(new UpdateServiceCommand({ cluster: 'shop', service: 'web', desiredCount: 2 })),
        )
      ).code,
    ).toBe('ServiceNotActiveException');
    expect(
      (await failure(h.ecs.send(new UpdateServiceCommand({ cluster: 'shop', service: 'nope' })))).code,
    ).toBe('ServiceNotFoundException');
  });
});
