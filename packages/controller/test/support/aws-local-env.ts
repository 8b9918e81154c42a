/**
 * aws-local on a free port, the controller's real SDK adapters pointed at it, Debian's AWS CLI v2
 * acting as a user, and the controller CLI run as a real process.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { type AwsLocal, type AwsLocalOptions, startAwsLocal } from '@fargate-mirror/aws-local';
import {
  AWS_LOCAL_CREDENTIALS,
  type AwsCliOptions,
  awsJson,
  awsLocalEnv,
  createFargateService as createServiceAt,
  NGINX_APP,
  REGION,
  registerFargateFamily as registerFamilyAt,
  createTargetAndFilter as targetAndFilterAt,
} from '@fargate-mirror/testkit/aws-local';
import { run } from '@fargate-mirror/testkit/proc';
import { type AwsClients, createAwsClients } from '../../src/aws/clients.js';
import { Ec2Adapter } from '../../src/aws/ec2-adapter.js';
import { EcsAdapter } from '../../src/aws/ecs-adapter.js';
import { type ConfigFile, parseConfig } from '../../src/config.js';
import { MemoryRefusalCache } from '../../src/core/refusals.js';
import type { SessionView } from '../../src/core/types.js';
import { Reconciler } from '../../src/reconcile/reconciler.js';

export { AWS_CLI, REGION, requireAwsCli } from '@fargate-mirror/testkit/aws-local';

const here = dirname(fileURLToPath(import.meta.url));
export const PACKAGE_DIR = join(here, '..', '..');
const REPO = join(PACKAGE_DIR, '..', '..');
export const CONTROLLER_BIN = join(PACKAGE_DIR, 'dist', 'cli', 'bin.js');

export const CREDENTIAL_ENV = AWS_LOCAL_CREDENTIALS;

/**
 * The user's AWS CLI retries: the fault-injection tests (chaos, eventual consistency) throttle and
 * fail aws-local's calls, and a user's CLI retries those rather than failing the set-up.
 */
const USER_CLI: AwsCliOptions = { maxAttempts: 10 };

/** Debian's AWS CLI v2 against aws-local, JSON output parsed; a failure fails the test with its stderr. */
export function awsCli(url: string, args: string[]): Promise<Record<string, unknown>> {
  return awsJson(url, args, USER_CLI);
}

/** Builds the controller package once, so the CLI runs as the real compiled program. */
let built: Promise<void> | undefined;
export function buildController(): Promise<void> {
  built ??= new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', PACKAGE_DIR],
      { cwd: REPO },
      (error, stdout, stderr) =>
        error ? reject(new Error(`building the controller failed:\n${stdout}${stderr}`)) : resolve(),
    );
  });
  return built;
}

/**
 * `node dist/cli/bin.js ...` with the credentials of the emulator and nothing else from this
 * process; a non-zero exit is returned, not thrown, since tests assert on it.
 */
export function controllerCli(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
) {
  return run(process.execPath, [CONTROLLER_BIN, ...args], {
    env: { ...awsLocalEnv(), ...options.env },
    input: options.input ?? '',
    allowFailure: true,
    // A test's own timeout (vitest.config.ts) bounds it; this only stops a hung program outliving it.
    timeoutMs: 120_000,
  });
}

export interface Env {
  readonly aws: AwsLocal;
  readonly clients: AwsClients;
  readonly subnetIds: string[];
  readonly dir: string;
  /**
   * aws-local's taskEniSources: accept models an AWS that takes task ENIs as sources, where the
   * controller's refusal prediction (today's AWS rules) would be wrong: configs there say
   * predictRefusals: false (unless the test sets it).
   */
  readonly acceptsTaskEnis: boolean;
  close(): Promise<void>;
}

function withModeDefaults(env: Env, config: ControllerConfigInput): ControllerConfigInput {
  return env.acceptsTaskEnis ? { predictRefusals: false, ...config } : config;
}

export async function startEnv(options: AwsLocalOptions = {}): Promise<Env> {
  Object.assign(process.env, CREDENTIAL_ENV);
  const aws = await startAwsLocal({ port: 0, speed: 200, ...options });
  const clients = createAwsClients({ endpoint: aws.url, region: REGION });
  const subnets = await clients.ec2.send(new DescribeSubnetsCommand({}));
  const subnetIds = (subnets.Subnets ?? []).map((s) => s.SubnetId ?? '').filter(Boolean);
  const dir = await mkdtemp(join(tmpdir(), 'fm-controller-'));
  return {
    aws,
    clients,
    subnetIds,
    dir,
    acceptsTaskEnis: options.taskEniSources === 'accept',
    async close() {
      clients.destroy();
      await aws.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A reconciler on the real SDK adapters. `ownClients` gives it SDK clients of its own, as a
 * separate Lambda container has (each with its own adaptive rate limiter).
 */
export function reconcilerFor(env: Env, config: ControllerConfigInput, ownClients = false): Reconciler {
  const clients = ownClients ? createAwsClients({ endpoint: env.aws.url, region: REGION }) : env.clients;
  return new Reconciler({
    ec2: new Ec2Adapter(clients.ec2),
    ecs: new EcsAdapter(clients.ecs),
    config: parseConfig(withModeDefaults(env, config)),
    refusals: new MemoryRefusalCache({ ttlMs: 3_600_000 }),
    readAfterWriteDelayMs: 50,
  });
}

export type ControllerConfigInput = ConfigFile;

export async function writeConfig(env: Env, name: string, config: ControllerConfigInput): Promise<string> {
  const file = join(env.dir, name);
  await writeFile(file, JSON.stringify(withModeDefaults(env, config), null, 2));
  return file;
}

/** Creates a mirror target (NLB) and filter with the AWS CLI, as a user would. */
export function createTargetAndFilter(env: Env): Promise<{ target: string; filter: string }> {
  return targetAndFilterAt(env.aws.url, USER_CLI);
}

/** `aws ecs register-task-definition` of a Fargate family running nginx. */
export async function registerFargateFamily(env: Env, family: string): Promise<void> {
  await registerFamilyAt(env.aws.url, family, [NGINX_APP], [], USER_CLI);
}

export function awsvpcArg(env: Env): string {
  return `awsvpcConfiguration={subnets=[${env.subnetIds.slice(0, 2).join(',')}],assignPublicIp=DISABLED}`;
}

/** `aws ecs create-service` of `count` Fargate tasks of task definition `family` (already registered). */
export function createFargateService(
  env: Env,
  cluster: string,
  service: string,
  count: number,
  family = 'web',
): Promise<void> {
  return createServiceAt(env.aws.url, cluster, service, family, {
    ...USER_CLI,
    count,
    network: awsvpcArg(env),
  });
}

export interface LiveTask {
  readonly taskArn: string;
  readonly clusterArn: string;
  readonly lastStatus: string;
  readonly desiredStatus: string;
  readonly group: string;
  readonly eniId: string | undefined;
  readonly containerInstanceArn: string | undefined;
}

/** Every task of a cluster with the given desired status, as ECS reports it now. */
export async function tasksOf(
  env: Env,
  cluster: string,
  desiredStatus: 'RUNNING' | 'STOPPED' = 'RUNNING',
): Promise<LiveTask[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await env.clients.ecs.send(new ListTasksCommand({ cluster, desiredStatus, nextToken }));
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const out: LiveTask[] = [];
  for (let i = 0; i < arns.length; i += 100) {
    const d = await env.clients.ecs.send(
      new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }),
    );
    for (const t of d.tasks ?? []) {
      const eni = t.attachments?.find((a) => a.type === 'ElasticNetworkInterface');
      out.push({
        taskArn: t.taskArn ?? '',
        clusterArn: t.clusterArn ?? '',
        lastStatus: t.lastStatus ?? '',
        desiredStatus: t.desiredStatus ?? '',
        group: t.group ?? '',
        eniId: eni?.details?.find((x) => x.name === 'networkInterfaceId')?.value,
        containerInstanceArn: t.containerInstanceArn,
      });
    }
  }
  return out;
}

/** Polls until every task of the cluster (desired RUNNING) is RUNNING and there are `count` of them. */
export async function waitForRunning(
  env: Env,
  cluster: string,
  count: number,
  timeoutMs = 60_000,
): Promise<LiveTask[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tasks = await tasksOf(env, cluster);
    if (tasks.length === count && tasks.every((t) => t.lastStatus === 'RUNNING')) return tasks;
    if (Date.now() > deadline) {
      throw new Error(
        `cluster ${cluster}: wanted ${count} RUNNING tasks, have ${tasks.map((t) => t.lastStatus).join(',') || 'none'}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls until the cluster has no task that ECS still wants stopped but is not STOPPED yet. */
export async function waitForStopped(env: Env, cluster: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stopping = (await tasksOf(env, cluster, 'STOPPED')).filter((t) => t.lastStatus !== 'STOPPED');
    if (stopping.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`cluster ${cluster}: ${stopping.length} task(s) still stopping`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function allSessions(env: Env): Promise<SessionView[]> {
  return new Ec2Adapter(env.clients.ec2).listSessions();
}

export function owned(sessions: readonly SessionView[], owner: string): SessionView[] {
  return sessions.filter((s) => s.tags['fargate-mirror:owner'] === owner);
}
