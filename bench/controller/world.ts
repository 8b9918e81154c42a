// One emulated AWS account (aws-local, in its own worker thread) for one design: AWS's throttling
// scaled to the run's speed, Fargate task ENIs accepted as mirror sources, a cluster, a task
// definition, a mirror target and filter, and a driver that starts tasks on a schedule. Audits read
// the emulator's state directly, so they cost no API calls and take no tokens.
import { Worker } from 'node:worker_threads';
import {
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorTargetCommand,
  DescribeSubnetsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import type { AccountState, FaultConfig } from '@fargate-mirror/aws-local';
import { scaledBuckets, type TimeScale } from './time-scale.ts';

export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' };
const CLUSTER = 'storm';
const FAMILY = 'web';

export type RegionState = AccountState['regions'][string];

export interface World {
  readonly name: string;
  readonly url: string;
  readonly clusterArn: string;
  readonly targetId: string;
  readonly filterId: string;
  /** EC2 calls per action so far, including throttled attempts (the emulator's own counters). */
  requests(): Promise<Record<string, number>>;
  /** Error answers by code so far (RequestLimitExceeded, InvalidParameterValue, ...). */
  errors(): Promise<Record<string, number>>;
  /** Every ECS event the account delivers (after its faults). */
  onEvent(listener: (event: unknown) => void): void;
  /** Share of real time the emulator's thread was busy since the previous call (near 1: CPU-bound). */
  busy(): Promise<number>;
  /** Delivers held (reordered) events and waits until they reached the listener. */
  flushEvents(): Promise<void>;
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
  /** ENIs that carry at least one mirror session now. */
  sessionEnis(): Promise<string[]>;
  /** The account's state in the region now (a deep copy; real-clock timestamps). */
  snapshot(): Promise<RegionState>;
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
  /** aws-local's describeLagMs, in emulated ms (EC2's eventual consistency). */
  describeLagMs?: number;
}): Promise<World> {
  const { scale } = options;
  const thread = new Worker(new URL('./emulator-thread.ts', import.meta.url), {
    workerData: {
      port: 0,
      region: REGION,
      speed: scale.speed,
      taskEniSources: 'accept',
      throttling: scaledBuckets(scale.speed),
      seed: options.seed,
      faults: options.faults ?? {},
      // aws-local's clock is real: an emulated lag is S times shorter in real ms.
      describeLagMs: Math.round(scale.real(options.describeLagMs ?? 0)),
    },
  });
  const listeners: ((event: unknown) => void)[] = [];
  const replies = new Map<number, (result: unknown) => void>();
  let nextId = 0;
  const url = await new Promise<string>((resolve, reject) => {
    thread.once('error', reject);
    thread.on('message', (m: { ready?: string; event?: unknown; id?: number; result?: unknown }) => {
      if (m.ready !== undefined) resolve(m.ready);
      else if (m.event !== undefined) for (const l of listeners) l(m.event);
      else if (m.id !== undefined) {
        replies.get(m.id)?.(m.result);
        replies.delete(m.id);
      }
    });
  });
  const ask = <T>(op: string): Promise<T> =>
    new Promise((resolve) => {
      const id = nextId++;
      replies.set(id, resolve as (result: unknown) => void);
      thread.postMessage({ id, op });
    });
  const summary = () => ask<Record<string, unknown>>('summary');
  const common = { endpoint: url, region: REGION, credentials: CREDENTIALS, maxAttempts: 10 };
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
  const base = await summary();
  const baseRequests = counterMap(base, 'requests');
  const baseErrors = counterMap(base, 'errors');
  const minus = (now: Record<string, number>, before: Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(now)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
    return out;
  };
  return {
    name: options.name,
    url,
    clusterArn: cluster.cluster?.clusterArn ?? '',
    targetId: target.TrafficMirrorTarget?.TrafficMirrorTargetId ?? '',
    filterId: filter.TrafficMirrorFilter?.TrafficMirrorFilterId ?? '',
    requests: async () => minus(counterMap(await summary(), 'requests'), baseRequests),
    errors: async () => minus(counterMap(await summary(), 'errors'), baseErrors),
    onEvent: (listener) => listeners.push(listener),
    flushEvents: () => ask<void>('flush'),
    busy: () => ask<number>('busy'),
    sessionEnis: () => ask<string[]>('sessionEnis'),
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
          (async () => {
            // The driver is not under test: it retries until ECS took the tasks.
            for (let attempt = 1; ; attempt++) {
              try {
                const r = await ecs.send(
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
                );
                (r.tasks ?? []).forEach((t, i) => {
                  arns[slot + i] = t.taskArn ?? '';
                  startOptions.onStarted?.(slot + i, t.taskArn ?? '');
                });
                return;
              } catch (error) {
                if (attempt >= 5) throw error;
              }
            }
          })(),
        );
        // Promise.all below hears about failures; until then none may go unhandled.
        runs.at(-1)?.catch(() => {});
      }
      await Promise.all(runs);
      return arns;
    },
    async waitRunning(count) {
      for (;;) {
        const regions = (await summary())['regions'] as Record<string, { tasks: Record<string, number> }>;
        if ((regions[REGION]?.tasks['RUNNING'] ?? 0) >= count) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async snapshot() {
      const region = await ask<RegionState | undefined>('snapshot');
      if (!region) throw new Error(`${options.name}: region ${REGION} has no state`);
      return region;
    },
    async close() {
      ec2.destroy();
      ecs.destroy();
      await ask<void>('close');
      await thread.terminate();
    },
  };
}
