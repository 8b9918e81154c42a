// aws-local on a free port, and Debian's AWS CLI v2 against it acting as the user who made the
// services (console, Terraform: anything but the CDK): the start-up the lab tests of the CLI and
// of the CDK share.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsLocal, AwsLocalOptions } from '@fargate-mirror/aws-local';
import { REPO_ROOT } from './cli.ts';
import { run } from './proc.ts';

export const REGION = 'us-east-1';
export const AWS_CLI = '/usr/bin/aws';

/** Keys aws-local takes, and none of the machine's own AWS files read. */
export const AWS_LOCAL_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_REGION: REGION,
  AWS_DEFAULT_REGION: REGION,
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_PAGER: '',
};

/** The fake NLB every mirror target of these tests points at. */
const NLB_ARN =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/mirror/0123456789abcdef';

/** The one container of a task definition when the test does not care what runs. */
export const NGINX_APP = { name: 'app', image: 'public.ecr.aws/nginx/nginx:latest', essential: true };

export function requireAwsCli(): void {
  if (!existsSync(AWS_CLI)) {
    throw new Error(`Debian's AWS CLI v2 is required at ${AWS_CLI} (apt-get install awscli); it is missing`);
  }
}

/** How Debian's AWS CLI runs against aws-local. */
export interface AwsCliOptions {
  /**
   * AWS_MAX_ATTEMPTS in the standard retry mode: tests that inject faults into aws-local (the
   * controller's) want the CLI to retry a throttled or failed call, as a user's CLI would. Unset:
   * the CLI's own default.
   */
  readonly maxAttempts?: number;
}

/** Only PATH and HOME of this process, and the emulator's keys, so no AWS setting of the machine leaks in. */
export function awsLocalEnv(): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/tmp',
    ...AWS_LOCAL_CREDENTIALS,
  };
}

/**
 * Needs the AWS CLI, builds aws-local (it is imported through its package name, i.e. its dist;
 * incremental, quick when up to date) and starts it in this process on a free port.
 */
export async function startAwsLocalLab(options: AwsLocalOptions = {}): Promise<AwsLocal> {
  requireAwsCli();
  await run(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-b',
      join(REPO_ROOT, 'packages', 'aws-local'),
    ],
    { cwd: REPO_ROOT, timeoutMs: 300_000 },
  );
  const { startAwsLocal } = await import('@fargate-mirror/aws-local');
  return startAwsLocal({ port: 0, speed: 200, ...options });
}

/**
 * Debian's AWS CLI against aws-local, JSON parsed; a failure fails the test with its stderr.
 * Asynchronous, since the emulator serves from this same process.
 */
export async function awsJson(
  url: string,
  args: readonly string[],
  options: AwsCliOptions = {},
): Promise<Record<string, unknown>> {
  const retries =
    options.maxAttempts === undefined
      ? {}
      : { AWS_MAX_ATTEMPTS: String(options.maxAttempts), AWS_RETRY_MODE: 'standard' };
  const r = await run(AWS_CLI, [...args, '--endpoint-url', url, '--output', 'json', '--region', REGION], {
    env: { ...awsLocalEnv(), ...retries },
    allowFailure: true,
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`aws ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, unknown>) : {};
}

/**
 * `aws ecs register-task-definition` of a Fargate family (awsvpc, 256 CPU units, 512 MiB) with
 * `containers`; `extra` adds options (roles, volumes, tags...).
 */
export async function registerFargateFamily(
  url: string,
  family: string,
  containers: readonly object[] = [NGINX_APP],
  extra: readonly string[] = [],
  options: AwsCliOptions = {},
): Promise<Record<string, unknown>> {
  return awsJson(
    url,
    [
      'ecs',
      'register-task-definition',
      '--family',
      family,
      '--network-mode',
      'awsvpc',
      '--requires-compatibilities',
      'FARGATE',
      '--cpu',
      '256',
      '--memory',
      '512',
      ...extra,
      '--container-definitions',
      JSON.stringify(containers),
    ],
    options,
  );
}

/** `--network-configuration` in the emulator's first subnet, no public IP. */
export async function awsvpcInFirstSubnet(url: string, options: AwsCliOptions = {}): Promise<string> {
  const subnets = (await awsJson(url, ['ec2', 'describe-subnets'], options))['Subnets'] as {
    SubnetId: string;
  }[];
  return `awsvpcConfiguration={subnets=[${subnets[0]?.SubnetId}],assignPublicIp=DISABLED}`;
}

/**
 * `aws ecs create-service` of Fargate tasks of `family` (already registered): one, in the first
 * subnet, unless `count` and `network` (a `--network-configuration`) say otherwise.
 */
export async function createFargateService(
  url: string,
  cluster: string,
  service: string,
  family: string,
  options: AwsCliOptions & { readonly count?: number; readonly network?: string } = {},
): Promise<void> {
  await awsJson(
    url,
    [
      'ecs',
      'create-service',
      '--cluster',
      cluster,
      '--service-name',
      service,
      '--task-definition',
      family,
      '--desired-count',
      String(options.count ?? 1),
      '--launch-type',
      'FARGATE',
      '--network-configuration',
      options.network ?? (await awsvpcInFirstSubnet(url, options)),
    ],
    options,
  );
}

/** A mirror target (the fake NLB) and a filter, made with the AWS CLI as a user would. */
export async function createTargetAndFilter(
  url: string,
  options: AwsCliOptions = {},
): Promise<{ target: string; filter: string }> {
  const t = await awsJson(
    url,
    ['ec2', 'create-traffic-mirror-target', '--network-load-balancer-arn', NLB_ARN],
    options,
  );
  const f = await awsJson(url, ['ec2', 'create-traffic-mirror-filter', '--description', 'all'], options);
  return {
    target: (t['TrafficMirrorTarget'] as { TrafficMirrorTargetId: string }).TrafficMirrorTargetId,
    filter: (f['TrafficMirrorFilter'] as { TrafficMirrorFilterId: string }).TrafficMirrorFilterId,
  };
}
