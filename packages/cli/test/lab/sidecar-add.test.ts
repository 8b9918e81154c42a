// `fargate-mirror sidecar add/remove` against aws-local, on a service made through the API as a
// console or Terraform user would, checked with Debian's AWS CLI.
import type { AwsLocal } from '@fargate-mirror/aws-local';
import { SIDECAR_DEFAULTS } from '@fargate-mirror/forwarder';
import {
  awsJson as aws,
  createFargateService,
  registerFargateFamily,
  startAwsLocalLab,
} from '@fargate-mirror/testkit/aws-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fargateMirror, requireAwsCliAndBuild } from './support/sidecar-env.ts';

const CLUSTER = 'shop';
const SERVICE = 'web';
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/fargate-mirror-forwarder:0.1.0';
const TO = 'mirror-nlb.example.internal:4789';

// The application container with the fields a real task definition has, so the new revision must
// carry each of them through.
const APP = {
  name: 'app',
  image: 'public.ecr.aws/nginx/nginx:latest',
  essential: true,
  memory: 512,
  entryPoint: ['/docker-entrypoint.sh'],
  command: ['nginx', '-g', 'daemon off;'],
  user: '101:101',
  portMappings: [{ containerPort: 80, protocol: 'tcp' }],
  environment: [{ name: 'MODE', value: 'prod' }],
  healthCheck: {
    command: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'],
    interval: 10,
    timeout: 2,
    retries: 3,
  },
  linuxParameters: { capabilities: { add: ['NET_ADMIN'], drop: ['MKNOD'] } },
  logConfiguration: {
    logDriver: 'awslogs',
    options: { 'awslogs-group': '/shop/web', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'web' },
  },
  dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }],
  mountPoints: [{ sourceVolume: 'cache', containerPath: '/var/cache/nginx' }],
};
const INIT = {
  name: 'init',
  image: 'public.ecr.aws/docker/library/busybox:latest',
  essential: false,
  command: ['true'],
};

interface TaskDef {
  taskDefinitionArn: string;
  revision: number;
  containerDefinitions: Record<string, unknown>[];
  cpu: string;
  memory: string;
  [key: string]: unknown;
}

describe('fargate-mirror sidecar add/remove against aws-local', () => {
  let local: AwsLocal;
  let url: string;
  let original: TaskDef;
  let definition: Record<string, unknown>;

  const describeTaskDef = async (ref: string) =>
    (await aws(url, ['ecs', 'describe-task-definition', '--task-definition', ref, '--include', 'TAGS'])) as {
      taskDefinition: TaskDef;
      tags: { key: string; value: string }[];
    };
  const describeService = async () =>
    (
      (await aws(url, ['ecs', 'describe-services', '--cluster', CLUSTER, '--services', SERVICE])) as {
        services: { taskDefinition: string; deployments: { status: string; taskDefinition: string }[] }[];
      }
    ).services[0];
  const revisions = async () =>
    (
      (await aws(url, ['ecs', 'list-task-definitions', '--family-prefix', 'web'])) as {
        taskDefinitionArns: string[];
      }
    ).taskDefinitionArns.length;
  const sidecar = (args: string[]) => fargateMirror(url, ['sidecar', ...args]);
  const serviceArgs = ['--cluster', CLUSTER, '--service', SERVICE];

  beforeAll(async () => {
    requireAwsCliAndBuild();
    local = await startAwsLocalLab();
    url = local.url;
    await aws(url, ['ecs', 'create-cluster', '--cluster-name', CLUSTER]);
    const registered = (await registerFargateFamily(
      url,
      'web',
      [INIT, APP],
      [
        '--task-role-arn',
        'arn:aws:iam::123456789012:role/web-task',
        '--execution-role-arn',
        'arn:aws:iam::123456789012:role/web-exec',
        '--runtime-platform',
        'cpuArchitecture=ARM64,operatingSystemFamily=LINUX',
        '--volumes',
        JSON.stringify([{ name: 'cache' }]),
        '--tags',
        'key=team,value=shop',
      ],
    )) as { taskDefinition: TaskDef };
    original = registered.taskDefinition;
    await createFargateService(url, CLUSTER, SERVICE, 'web');
    const printed = await sidecar(['definition', '--to', TO, '--image', IMAGE]);
    expect(printed.code, printed.stderr).toBe(0);
    definition = JSON.parse(printed.stdout) as Record<string, unknown>;
  }, 120_000);

  afterAll(async () => {
    await local?.close();
  });

  it('aws-local gives back every field the task definition was registered with', async () => {
    const { taskDefinition, tags } = await describeTaskDef('web:1');
    expect(taskDefinition.containerDefinitions).toEqual([INIT, APP]);
    expect(taskDefinition.taskRoleArn).toBe('arn:aws:iam::123456789012:role/web-task');
    expect(taskDefinition.runtimePlatform).toEqual({
      cpuArchitecture: 'ARM64',
      operatingSystemFamily: 'LINUX',
    });
    expect(taskDefinition.volumes).toEqual([{ name: 'cache' }]);
    expect(tags).toEqual([{ key: 'team', value: 'shop' }]);
  });

  it('--dry-run prints the change and registers nothing', async () => {
    const r = await sidecar(['add', ...serviceArgs, '--to', TO, '--image', IMAGE, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('would add fargate-mirror-forwarder');
    expect(r.stdout).toContain(
      `+ containerDefinitions[fargate-mirror-forwarder]: ${JSON.stringify(definition)}`,
    );
    expect(r.stdout).toMatch(/^- memory: "512"$/m);
    expect(r.stdout).toMatch(/^\+ memory: "1024"$/m);
    expect(await revisions()).toBe(1);
    expect((await describeService()).taskDefinition).toBe(original.taskDefinitionArn);
  });

  it('add registers a revision with the sidecar exactly as `sidecar definition` prints it, keeps the rest, and deploys it', async () => {
    const r = await sidecar(['add', ...serviceArgs, '--to', TO, '--image', IMAGE, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { outcome: string; to: string; resized: string };
    expect(result.outcome).toBe('added');
    // The app's 512 MiB and the sidecar's default limit do not fit in 512: the smallest Fargate size that does.
    expect(result.resized).toBe(
      `task memory 512 -> 1024 MiB (containers need ${512 + SIDECAR_DEFAULTS.memory})`,
    );
    const { taskDefinition, tags } = await describeTaskDef(result.to);
    expect(taskDefinition.revision).toBe(2);
    expect(taskDefinition.containerDefinitions).toEqual([INIT, APP, definition]);
    expect(taskDefinition.cpu).toBe('256');
    expect(taskDefinition.memory).toBe('1024');
    for (const key of [
      'networkMode',
      'requiresCompatibilities',
      'taskRoleArn',
      'executionRoleArn',
      'runtimePlatform',
      'volumes',
    ]) {
      expect(taskDefinition[key], key).toEqual(original[key]);
    }
    expect(tags).toEqual([{ key: 'team', value: 'shop' }]);
    const service = await describeService();
    expect(service.taskDefinition).toBe(result.to);
    expect(service.deployments.find((d) => d.status === 'PRIMARY')?.taskDefinition).toBe(result.to);
  });

  it('add again with the same settings is a no-op', async () => {
    const r = await sidecar(['add', ...serviceArgs, '--to', TO, '--image', IMAGE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/already has fargate-mirror-forwarder with these settings: nothing to do/);
    expect(await revisions()).toBe(2);
  });

  it('add with other settings replaces the sidecar', async () => {
    const r = await sidecar([
      'add',
      ...serviceArgs,
      '--to',
      'other.example.internal:4789',
      '--image',
      IMAGE,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { outcome: string; to: string };
    expect(result.outcome).toBe('replaced');
    const { taskDefinition } = await describeTaskDef(result.to);
    const forwarders = taskDefinition.containerDefinitions.filter(
      (c) => c.name === 'fargate-mirror-forwarder',
    );
    expect(forwarders).toEqual([{ ...definition, command: ['--to', 'other.example.internal:4789'] }]);
    expect((await describeService()).taskDefinition).toBe(result.to);
  });

  it('remove --dry-run changes nothing; remove restores the containers without the sidecar; again is a no-op', async () => {
    const dry = await sidecar(['remove', ...serviceArgs, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^- containerDefinitions\[fargate-mirror-forwarder\]: /m);
    expect(await revisions()).toBe(3);

    const r = await sidecar(['remove', ...serviceArgs, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { outcome: string; to: string };
    expect(result.outcome).toBe('removed');
    const { taskDefinition, tags } = await describeTaskDef(result.to);
    expect(taskDefinition.containerDefinitions).toEqual([INIT, APP]);
    expect(tags).toEqual([{ key: 'team', value: 'shop' }]);
    expect((await describeService()).taskDefinition).toBe(result.to);

    const again = await sidecar(['remove', ...serviceArgs]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/has no container fargate-mirror-forwarder: nothing to do/);
    expect(await revisions()).toBe(4);
  });

  it('an unknown service is an input error (exit 2) naming the fix', async () => {
    const r = await sidecar(['add', '--cluster', CLUSTER, '--service', 'nope', '--to', TO, '--image', IMAGE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^fargate-mirror sidecar: service 'nope' in cluster 'shop' was not found .*\(ECS_SERVICE_UNKNOWN\)\n$/,
    );
  });

  it('an unknown cluster is an input error (exit 2)', async () => {
    const r = await sidecar(['remove', '--cluster', 'nocluster', '--service', SERVICE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\(ECS_SERVICE_UNKNOWN\)\n$/);
  });
});
