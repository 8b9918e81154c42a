// Deploy storm and resync benchmark of the controller, side by side with the naive design of the
// AWS samples, on aws-local with AWS's EC2 throttling. Never a test: it prints numbers.
// Usage: node bench/controller/storm.ts [--tasks 1000] [--window 60] [--speed 2]
//          [--event-concurrency 1000] [--loss 0.05] [--dup 0.10] [--reorder 0.05] [--seed 7]
//          [--resync-tasks 10000] [--resync-speed 20] [--no-resync]
// Build first (`npm run build`): the packages are imported by name, from their dist.
import { loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { audit, runningTasks } from './audit.ts';
import { deployController, OWNER } from './controller-deployment.ts';
import { EventJoiner } from './event-join.ts';
import { idleCapacity } from './idle-capacity.ts';
import { createNaiveHandler } from './naive-handler.ts';
import { printResync, printStorm, type StormResult } from './report.ts';
import { runResync } from './resync-phase.ts';
import type { Meter } from './sdk-meter.ts';
import { sdkWaits, timeScale } from './time-scale.ts';
import { CREDENTIALS, REGION, type RegionState, startWorld, type World } from './world.ts';

const ours = (tags: Record<string, string>) => tags['fargate-mirror:owner'] === OWNER;
const any = () => true;

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(value)) throw new Error(`${name} needs a number, got ${args[i + 1]}`);
  return value;
};
const tasks = option('--tasks', 1000);
const windowS = option('--window', 60);
const resyncTasks = option('--resync-tasks', 10_000);
const speed = option('--speed', 2);
const resyncSpeed = option('--resync-speed', 20);
const eventConcurrency = option('--event-concurrency', 1000);
const seed = option('--seed', 7);
const describeLagMs = option('--describe-lag-ms', 0);
const pacingArg = args.includes('--pacing') ? args[args.indexOf('--pacing') + 1] : 'container';
if (pacingArg !== 'container' && pacingArg !== 'shared' && pacingArg !== 'off') {
  throw new Error(`--pacing must be container, shared or off, got ${pacingArg}`);
}
const pacing = pacingArg;
const eventPathArg = args.includes('--event-path') ? args[args.indexOf('--event-path') + 1] : 'queue';
if (eventPathArg !== 'queue' && eventPathArg !== 'direct') {
  throw new Error(`--event-path must be queue or direct, got ${eventPathArg}`);
}
const eventPath = eventPathArg;
const faults = {
  eventLossRate: option('--loss', 0.05),
  eventDuplicateRate: option('--dup', 0.1),
  eventReorderRate: option('--reorder', 0.05),
};
const scale = timeScale(speed);
const RESYNC_INTERVAL_MS = 5 * 60_000;

const POLL_REAL_MS = 250;

/**
 * When each ENI first carried a session, seen from the emulator (so a create whose answer was lost
 * still counts from when the session existed); precise to one poll (POLL_REAL_MS x speed).
 */
function watchSessions(world: World): { firstSeen: Map<string, number>; stop(): void } {
  const firstSeen = new Map<string, number>();
  let polling = false;
  const timer = setInterval(async () => {
    if (polling) return;
    polling = true;
    const now = scale.now();
    for (const eni of await world.sessionEnis()) if (!firstSeen.has(eni)) firstSeen.set(eni, now);
    polling = false;
  }, POLL_REAL_MS);
  return { firstSeen, stop: () => clearInterval(timer) };
}

/** RUNNING-to-session latency of every running task (emulated ms); Infinity when it never got one. */
function latencies(region: RegionState, first: ReadonlyMap<string, number>): number[] {
  return runningTasks(region)
    .map((t) => {
      const at = t.eniId === undefined ? undefined : first.get(t.eniId);
      if (at === undefined || t.startedAt === undefined) return Number.POSITIVE_INFINITY;
      return at - scale.fromReal(t.startedAt);
    })
    .sort((a, b) => a - b);
}

/**
 * The token-bucket bound: RUNNING-to-session latencies if every session were created the moment its
 * ENI attached, except that creates wait for EC2's CreateTrafficMirrorSession bucket (50 burst, 5/s
 * refill, full at the storm's start): a greedy schedule in attach order. Nothing can do better.
 */
function bucketBound(region: RegionState, started: number): number[] {
  const tasks = runningTasks(region)
    .filter((t) => t.attachedAt !== undefined && t.startedAt !== undefined)
    .map((t) => ({
      attached: scale.fromReal(t.attachedAt as number),
      running: scale.fromReal(t.startedAt as number),
    }))
    .sort((a, b) => a.attached - b.attached);
  const capacity = 50;
  const perMs = 5 / 1000;
  let tokens = capacity;
  let at = started;
  const out: number[] = [];
  for (const t of tasks) {
    const next = Math.max(at, t.attached);
    tokens = Math.min(capacity, tokens + (next - at) * perMs);
    at = next;
    if (tokens < 1) {
      at += (1 - tokens) / perMs;
      tokens = 1;
    }
    tokens -= 1;
    out.push(at - t.running);
  }
  return out.sort((a, b) => a - b);
}

async function storm(): Promise<StormResult> {
  const controllerWorld = await startWorld({ name: 'controller', scale, seed, faults, describeLagMs });
  const naiveWorld = await startWorld({ name: 'naive', scale, seed, describeLagMs });
  const meter: Meter = new Map();
  const eventBatch = args.includes('--event-batch') ? option('--event-batch', 100) : undefined;
  const controller = deployController(
    controllerWorld,
    scale,
    meter,
    eventConcurrency,
    pacing,
    eventPath,
    eventBatch,
  );
  const naive = createNaiveHandler({
    endpoint: naiveWorld.url,
    region: REGION,
    credentials: CREDENTIALS,
    targetId: naiveWorld.targetId,
    filterId: naiveWorld.filterId,
    scale,
  });
  // Lambda runs every event in its own invocation; the samples reserve no concurrency.
  const naiveInFlight = new Set<Promise<void>>();
  const joiner = new EventJoiner((event) => {
    const p = naive(event).finally(() => naiveInFlight.delete(p));
    naiveInFlight.add(p);
  });
  let controllerEvents = 0;
  controllerWorld.onEvent((event) => {
    controllerEvents++;
    controller.onEvent(event);
    joiner.fromA(event);
  });
  naiveWorld.onEvent((event) => joiner.fromB(event));

  const controllerWatch = watchSessions(controllerWorld);
  const naiveWatch = watchSessions(naiveWorld);
  const started = scale.now();
  const elu = performance.eventLoopUtilization();
  // Timer lag of the benchmark thread (where the controller runs): a starved CPU shows here.
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  const loadBefore = loadavg()[0] ?? 0;
  await Promise.all([controllerWorld.busy(), naiveWorld.busy()]);
  console.log(
    `storm: ${tasks} tasks over ${windowS} s (emulated), speed ${speed}, events: ${faults.eventLossRate * 100}% lost, ${faults.eventDuplicateRate * 100}% duplicated, ${faults.eventReorderRate * 100}% reordered`,
  );
  await Promise.all([
    controllerWorld.startTasks(tasks, windowS * 1000, { onStarted: (i, arn) => joiner.mapA(i, arn) }),
    naiveWorld.startTasks(tasks, windowS * 1000, { onStarted: (i, arn) => joiner.mapB(i, arn) }),
  ]);
  await Promise.all([controllerWorld.waitRunning(tasks), naiveWorld.waitRunning(tasks)]);
  await Promise.all([controllerWorld.flushEvents(), naiveWorld.flushEvents()]);
  await controller.events.idle();
  while (naiveInFlight.size > 0) await Promise.allSettled([...naiveInFlight]);
  const quiet = scale.now();
  // On the queue path there are no per-event answers: the worker's counters say what happened.
  if (controller.queue) Object.assign(controller.statuses, { ...controller.metrics.counters });
  const queueStats = controller.queue ? { ...controller.queue.stats } : undefined;
  lag.disable();
  const machine = {
    loadBefore,
    loadAfter: loadavg()[0] ?? 0,
    lagP50Ms: lag.percentile(50) / 1e6,
    lagP99Ms: lag.percentile(99) / 1e6,
    lagMaxMs: lag.max / 1e6,
  };
  const busy = {
    bench: performance.eventLoopUtilization(elu).utilization,
    controllerEmulator: await controllerWorld.busy(),
    naiveEmulator: await naiveWorld.busy(),
  };
  const controllerState = await controllerWorld.snapshot();
  const naiveState = await naiveWorld.snapshot();
  const controllerAfterEvents = audit(controllerWorld, controllerState, ours);
  const naiveEnd = audit(naiveWorld, naiveState, any);
  controllerWatch.stop();
  naiveWatch.stop();
  const controllerLatency = latencies(controllerState, controllerWatch.firstSeen);
  const naiveLatency = latencies(naiveState, naiveWatch.firstSeen);
  const bound = bucketBound(controllerState, started);
  const idle = idleCapacity(
    started,
    quiet,
    runningTasks(controllerState)
      .filter((t) => t.attachedAt !== undefined && t.eniId !== undefined)
      .map((t) => ({
        attached: scale.fromReal(t.attachedAt as number),
        served: controllerWatch.firstSeen.get(t.eniId as string) ?? Number.POSITIVE_INFINITY,
      })),
    controller.created.map((c) => c.at),
  );
  const requestsAfterEvents = await controllerWorld.requests();
  const errorsAfterEvents = await controllerWorld.errors();

  // The controller's safety net: the next scheduled resync (every 5 minutes from the storm's start).
  const nextTick = started + Math.ceil((quiet - started + 1) / RESYNC_INTERVAL_MS) * RESYNC_INTERVAL_MS;
  if (nextTick > scale.now()) await scale.sleep(nextTick - scale.now());
  const resync = await controller.resync();
  const controllerAfterResync = audit(controllerWorld, await controllerWorld.snapshot(), ours);
  const result: StormResult = {
    tasks,
    windowS,
    speed,
    eventConcurrency,
    eventPath,
    queueStats,
    faults,
    quietAfterMs: quiet - started,
    eventLoopBusy: busy,
    machine,
    idle,
    controller: {
      afterEvents: controllerAfterEvents,
      afterResync: controllerAfterResync,
      resync,
      latency: controllerLatency,
      bound,
      requestsAfterEvents,
      errorsAfterEvents,
      requests: await controllerWorld.requests(),
      errors: await controllerWorld.errors(),
      eventsDelivered: controllerEvents,
      lambda: controller.events.stats,
      statuses: controller.statuses,
      meter,
      waits: { ...sdkWaits },
    },
    naive: {
      end: naiveEnd,
      latency: naiveLatency,
      requests: await naiveWorld.requests(),
      errors: await naiveWorld.errors(),
      eventsDelivered: joiner.delivered,
      stats: naive.stats,
    },
  };
  controller.close();
  naive.destroy();
  await Promise.all([controllerWorld.close(), naiveWorld.close()]);
  return result;
}

const result = await storm();
printStorm(result);
if (!args.includes('--no-resync'))
  printResync(await runResync({ tasks: resyncTasks, scale: timeScale(resyncSpeed), seed }));
