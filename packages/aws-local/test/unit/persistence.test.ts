import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateNetworkInterfaceCommand,
  CreateTrafficMirrorFilterCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DescribeTrafficMirrorFiltersCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsLocal, DEFAULT_LIFECYCLE_TIMINGS as T } from '../../src/index.js';
import { harness } from '../support/harness.js';

describe('--state FILE persistence', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aws-local-state-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the account owner-only and restores it, resuming task lifecycles', async () => {
    const file = join(dir, 'state.json');
    const first = await harness({ stateFile: file, clock: 'manual' });
    let vpcId: string;
    let eniId: string;
    let filterId: string;
    let taskArn: string;
    try {
      vpcId = (await first.ec2.send(new DescribeVpcsCommand({}))).Vpcs![0].VpcId!;
      const subnetId = (await first.ec2.send(new DescribeSubnetsCommand({}))).Subnets![0].SubnetId!;
      const eni = await first.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }));
      eniId = eni.NetworkInterface!.NetworkInterfaceId!;
      filterId = (
        await first.ec2.send(new CreateTrafficMirrorFilterCommand({ ClientToken: 'persisted-token' }))
      ).TrafficMirrorFilter!.TrafficMirrorFilterId!;
      await first.ecs.send(new CreateClusterCommand({}));
      await first.ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'f',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'a', image: 'x' }],
        }),
      );
      const run = await first.ecs.send(
        new RunTaskCommand({
          taskDefinition: 'f',
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets: [subnetId] } },
        }),
      );
      taskArn = run.tasks![0].taskArn!;
    } finally {
      await first.close();
    }
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { formatVersion: number };
    expect(saved.formatVersion).toBe(1);

    const second = await harness({ stateFile: file, clock: 'manual' });
    try {
      expect((await second.ec2.send(new DescribeVpcsCommand({}))).Vpcs![0].VpcId).toBe(vpcId);
      const enis = await second.ec2.send(
        new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }),
      );
      expect(enis.NetworkInterfaces).toHaveLength(1);
      // The ClientToken survives too: the same call answers with the same filter.
      const again = await second.ec2.send(
        new CreateTrafficMirrorFilterCommand({ ClientToken: 'persisted-token' }),
      );
      expect(again.TrafficMirrorFilter!.TrafficMirrorFilterId).toBe(filterId);
      expect(
        (await second.ec2.send(new DescribeTrafficMirrorFiltersCommand({}))).TrafficMirrorFilters,
      ).toHaveLength(1);
      const before = (await second.ecs.send(new DescribeTasksCommand({ tasks: [taskArn] }))).tasks![0];
      expect(before.lastStatus).toBe('PROVISIONING');
      second.aws.control.advance(T.PROVISIONING + T.PENDING + T.ACTIVATING);
      const after = (await second.ecs.send(new DescribeTasksCommand({ tasks: [taskArn] }))).tasks![0];
      expect(after.lastStatus).toBe('RUNNING');
    } finally {
      await second.close();
    }
  });

  it('refuses a state file that is not an aws-local state, with a stable code', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, '{"hello": "world"}');
    await expect(startAwsLocal({ port: 0, stateFile: file })).rejects.toMatchObject({
      code: 'AWS_LOCAL_STATE_INVALID',
    });
    await writeFile(file, 'not json');
    await expect(startAwsLocal({ port: 0, stateFile: file })).rejects.toMatchObject({
      code: 'AWS_LOCAL_STATE_INVALID',
    });
  });

  it('refuses bad options with AWS_LOCAL_CONFIG_INVALID', async () => {
    await expect(startAwsLocal({ port: 0, speed: 0 })).rejects.toMatchObject({
      code: 'AWS_LOCAL_CONFIG_INVALID',
    });
    await expect(startAwsLocal({ port: 0, faults: { eventLossRate: 3 } })).rejects.toMatchObject({
      code: 'AWS_LOCAL_CONFIG_INVALID',
    });
    await expect(
      startAwsLocal({ port: 0, quotas: { sessionsPerNetworkInterface: 0 } }),
    ).rejects.toMatchObject({
      code: 'AWS_LOCAL_CONFIG_INVALID',
    });
  });
});
