import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCalls, type CliJson as Json, type RunningBinary, startBinary } from '../support/aws-cli.js';

/**
 * Debian's AWS CLI against the aws-local binary started with --awsvpc-trunking: container status
 * inside a task (a non-essential sidecar exits, the task runs on; an essential one stops it), and
 * the branch ENIs of ENI trunking, which AWS refuses as mirror sources.
 */
describe("Debian's AWS CLI v2: container status and branch ENIs", { timeout: 300_000 }, () => {
  let local: RunningBinary | undefined;
  const { cli, cliError } = cliCalls(() => local?.url ?? '');
  const admin = async (path: string, body: unknown): Promise<{ status: number; json: Json }> => {
    const r = await fetch(`${local?.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    return { status: r.status, json: (await r.json()) as Json };
  };
  let subnet: string;

  beforeAll(async () => {
    local = await startBinary(['--port', '0', '--speed', '1000', '--awsvpc-trunking']);
    subnet = (await cli('ec2', 'describe-subnets')).Subnets[0].SubnetId as string;
    await cli('ecs', 'create-cluster', '--cluster-name', 'shop');
  });
  afterAll(async () => {
    await local?.stop();
  });

  const describeTask = async (taskArn: string): Promise<Json> =>
    (await cli('ecs', 'describe-tasks', '--cluster', 'shop', '--tasks', taskArn)).tasks[0];

  it('a non-essential container that exits is STOPPED with its exit code while the task runs on; an essential one stops the task', async () => {
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
      '512',
      '--memory',
      '1024',
      '--container-definitions',
      JSON.stringify([
        { name: 'app', image: 'httpd:2.4', essential: true },
        { name: 'fargate-mirror-forwarder', image: 'fargate-mirror-forwarder:1', essential: false },
      ]),
    );
    const run = await cli(
      'ecs',
      'run-task',
      '--cluster',
      'shop',
      '--task-definition',
      'web',
      '--launch-type',
      'FARGATE',
      '--network-configuration',
      `awsvpcConfiguration={subnets=[${subnet}]}`,
    );
    const taskArn = run.tasks[0].taskArn as string;
    const running = await describeTask(taskArn);
    expect(running.lastStatus).toBe('RUNNING');
    expect(running.containers.map((c: Json) => [c.name, c.lastStatus])).toEqual([
      ['app', 'RUNNING'],
      ['fargate-mirror-forwarder', 'RUNNING'],
    ]);

    const bad = await admin('/_admin/stop-container', { taskArn, containerName: 42 });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('AWS_LOCAL_ADMIN_BAD_REQUEST');

    const stopped = await admin('/_admin/stop-container', {
      taskArn,
      containerName: 'fargate-mirror-forwarder',
      exitCode: 137,
      reason: 'OutOfMemoryError: Container killed due to memory usage',
    });
    expect(stopped.status).toBe(200);
    expect(stopped.json).toMatchObject({ lastStatus: 'STOPPED', exitCode: 137, essential: false });
    const after = await describeTask(taskArn);
    expect(after.lastStatus).toBe('RUNNING');
    const sidecar = after.containers.find((c: Json) => c.name === 'fargate-mirror-forwarder');
    expect(sidecar).toMatchObject({
      lastStatus: 'STOPPED',
      exitCode: 137,
      reason: 'OutOfMemoryError: Container killed due to memory usage',
    });
    expect(after.containers.find((c: Json) => c.name === 'app').lastStatus).toBe('RUNNING');

    expect(
      (await admin('/_admin/stop-container', { taskArn, containerName: 'app', exitCode: 1 })).status,
    ).toBe(200);
    const end = await describeTask(taskArn);
    expect(end.desiredStatus).toBe('STOPPED');
  });

  it('gives an awsvpc task on an EC2 instance a branch ENI, requester-managed by ECS, which a mirror session refuses', async () => {
    await cli('ecs', 'register-container-instance', '--cluster', 'shop');
    await cli(
      'ecs',
      'register-task-definition',
      '--family',
      'ec2-web',
      '--network-mode',
      'awsvpc',
      '--requires-compatibilities',
      'EC2',
      '--container-definitions',
      JSON.stringify([{ name: 'app', image: 'httpd:2.4', memory: 128, essential: true }]),
    );
    const run = await cli(
      'ecs',
      'run-task',
      '--cluster',
      'shop',
      '--task-definition',
      'ec2-web',
      '--launch-type',
      'EC2',
      '--network-configuration',
      `awsvpcConfiguration={subnets=[${subnet}]}`,
    );
    const task = await describeTask(run.tasks[0].taskArn as string);
    const eniId = task.attachments[0].details.find((d: Json) => d.name === 'networkInterfaceId').value;
    const eni = (await cli('ec2', 'describe-network-interfaces', '--network-interface-ids', eniId))
      .NetworkInterfaces[0];
    expect(eni).toMatchObject({ InterfaceType: 'branch', RequesterManaged: true });
    const branches = await cli(
      'ec2',
      'describe-network-interfaces',
      '--filters',
      'Name=interface-type,Values=branch',
    );
    expect(branches.NetworkInterfaces.map((n: Json) => n.NetworkInterfaceId)).toEqual([eniId]);

    const target = (
      await cli(
        'ec2',
        'create-traffic-mirror-target',
        '--network-load-balancer-arn',
        'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/mirror/0123456789abcdef',
      )
    ).TrafficMirrorTarget.TrafficMirrorTargetId;
    const filter = (await cli('ec2', 'create-traffic-mirror-filter')).TrafficMirrorFilter
      .TrafficMirrorFilterId;
    const refused = await cliError(
      'ec2',
      'create-traffic-mirror-session',
      '--network-interface-id',
      eniId,
      '--traffic-mirror-target-id',
      target,
      '--traffic-mirror-filter-id',
      filter,
      '--session-number',
      '1',
    );
    expect(refused).toContain('NetworkInterfaceNotSupported');
    expect(refused).toContain('type branch');
  });
});
