// One emulated AWS account (aws-local) for one design: AWS's throttling scaled to the run's speed,
// Fargate task ENIs accepted as mirror sources, a cluster, a task definition, a mirror target and
// filter, and a driver that starts tasks on a schedule. Audits read the emulator's state directly,
// so they cost no API calls and take no tokens.
import { CreateTrafficMirrorFilterCommand, CreateTrafficMirrorTargetCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { type AccountState, type AwsLocal, type FaultConfig, startAwsLocal } from '@fargate-mirror/aws-local';
import { scaledBuckets, type TimeScale } from './time-scale.ts';

export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' };
const CLUSTER = 'storm';
const FAMILY = 'web';

export interface World {
  readonly name: string;
  readonly aws: AwsLocal;
  readonly url: string;
  readonly clusterArn: string;
  readonly targetId: string;
  readonly filterId: string;
  /** EC2 calls per action so far, including throttled attempts (the emulator's own counters). */
  requests(): Record<string, number>;
  /** Error answers by code so far (RequestLimitExceeded, InvalidParameterValue, ...). */
  errors(): Record<string, number>;
  /**
   * Starts `count` tasks evenly over `windowMs` emulated ms (RunTask by `perCall`, groups
   * `service:svc-N` in turn); resolves with their ARNs in start order once all were started.
   * `onStarted` hears each task's start index as soon as RunTask answers.
   */
  startTasks(
    count: number,
    windowMs: number,
    options?: { perCall?: number; onStarted?: (index: number, taskArn: string) => void },
  ): Promise<string[]>;
  /** Resolves once the account has `count` RUNNING tasks (polls the emulator: no API calls). */
  waitRunning(count: number): Promise<void>;
  /** The account's state in the region now (a deep copy; real-clock timestamps). */
  snapshot(): AccountState['regions'][string];
  close(): Promise<void>;
}

/** Emulator counters as numbers by name. */
function counterMap(summary: Record<string, unknown>, key: 'requests' | 'errors'): Record<string, number> {
  const counters = summary['counters'] as Record<string, Record<string, number>>;
  return { ...(counters[key] ?? {}) };
}

export async function startWorld(options: {
  name: string;
  scale: TimeScale;
  seed: number;
  faults?: Partial<FaultConfig>;
  services?: number;
}): Promise<World> {
  const { scale } = options;
  const aws = await startAwsLocal({
    port: 0,
    speed: scale.speed,
    taskEniSources: 'accept',
    throttling: scaledBuckets(scale.speed),
    seed: options.seed,
    faults: options.faults ?? {},
  });
  const common = { endpoint: aws.url, region: REGION, credentials: CREDENTIALS, maxAttempts: 10 };
  const ec2 = new EC2Client(common);
  const ecs = new ECSClient(common);
  const cluster = await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: FAMILY,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image: 'public.ecr.aws/nginx/nginx:latest', essential: true }],
    }),
  );
  const target = await ec2.send(
    new CreateTrafficMirrorTargetCommand({
      NetworkLoadBalancerArn: `arn:aws:elasticloadbalancing:${REGION}:123456789012:loadbalancer/net/mirror/0123456789abcdef`,
    }),
  );
  const filter = await ec2.send(new CreateTrafficMirrorFilterCommand({ Description: 'all traffic' }));
  const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
  const subnetIds = subnets.map((s) => s.SubnetId ?? '').filter(Boolean);
  const services = options.services ?? 10;
  // The setup calls above are not the designs' calls: counts are taken relative to this point.
  const base = aws.control.summary();
  const baseRequests = counterMap(base, 'requests');
  const baseErrors = counterMap(base, 'errors');
  const minus = (now: Record<string, number>, before: Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(now)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
    return out;
  };
  return {
    name: options.name,
    aws,
    url: aws.url,
    clusterArn: cluster.cluster?.clusterArn ?? '',
    targetId: target.TrafficMirrorTarget?.TrafficMirrorTargetId ?? '',
    filterId: filter.TrafficMirrorFilter?.TrafficMirrorFilterId ?? '',
    requests: () => minus(counterMap(aws.control.summary(), 'requests'), baseRequests),
    errors: () => minus(counterMap(aws.control.summary(), 'errors'), baseErrors),
    async startTasks(count, windowMs, startOptions = {}) {
      const perCall = startOptions.perCall ?? 1;
      const arns: string[] = [];
      const calls = Math.ceil(count / perCall);
      const started = scale.now();
      const runs: Promise<void>[] = [];
      for (let call = 0; call < calls; call++) {
        const due = started + (call * windowMs) / calls;
        const wait = due - scale.now();
        if (wait > 0) await scale.sleep(wait);
        const n = Math.min(perCall, count - call * perCall);
        const slot = call * perCall;
        runs.push(
          ecs
            .send(
              new RunTaskCommand({
                cluster: CLUSTER,
                taskDefinition: FAMILY,
                launchType: 'FARGATE',
                count: n,
                group: `service:svc-${call % services}`,
                networkConfiguration: {
                  awsvpcConfiguration: { subnets: subnetIds.slice(0, 3), assignPublicIp: 'DISABLED' },
                },
              }),
            )
            .then((r) => {
              (r.tasks ?? []).forEach((t, i) => {
                arns[slot + i] = t.taskArn ?? '';
                startOptions.onStarted?.(slot + i, t.taskArn ?? '');
              });
            }),
        );
      }
      await Promise.all(runs);
      return arns;
    },
    async waitRunning(count) {
      for (;;) {
        const regions = aws.control.summary()['regions'] as Record<string, { tasks: Record<string, number> }>;
        if ((regions[REGION]?.tasks['RUNNING'] ?? 0) >= count) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    snapshot() {
      const region = aws.control.snapshot().regions[REGION];
      if (!region) throw new Error(`${options.name}: region ${REGION} has no state`);
      return region;
    },
    async close() {
      ec2.destroy();
      ecs.destroy();
      await aws.close();
    },
  };
}
