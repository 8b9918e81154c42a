// The resync benchmark: an account with `tasks` running tasks and no sessions (a first deployment,
// or every event lost), then the controller's scheduled resync as deployed (read everything, queue
// one work item per differing task, two workers drain the queue), then a second resync that finds
// nothing to do. Reports time and EC2/ECS calls per task for both.
import { type Audit, audit } from './audit.ts';
import { deployController, OWNER, type ResyncRun } from './controller-deployment.ts';
import type { Meter } from './sdk-meter.ts';
import { sdkWaits, type TimeScale } from './time-scale.ts';
import { startWorld } from './world.ts';

export interface ResyncPass {
  readonly run: ResyncRun;
  readonly audit: Audit;
  /** Calls that reached EC2/ECS during this pass, by API (throttled attempts included). */
  readonly requests: Record<string, number>;
  readonly errors: Record<string, number>;
  readonly waits: { backoffMs: number; backoffs: number; rateLimiterMs: number; rateLimiterWaits: number };
}

export interface ResyncResult {
  readonly tasks: number;
  readonly speed: number;
  readonly first: ResyncPass;
  readonly second: ResyncPass;
  readonly meter: Meter;
}

function minus(now: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(now)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

export async function runResync(options: {
  tasks: number;
  scale: TimeScale;
  seed: number;
}): Promise<ResyncResult> {
  const { tasks, scale } = options;
  const world = await startWorld({ name: 'resync', scale, seed: options.seed });
  console.log(`resync: starting ${tasks} tasks (no controller yet) ...`);
  await world.startTasks(tasks, 0, { perCall: 10 });
  await world.waitRunning(tasks);
  const meter: Meter = new Map();
  const controller = deployController(world, scale, meter);
  const pass = async (): Promise<ResyncPass> => {
    const requests = await world.requests();
    const errors = await world.errors();
    const waits = { ...sdkWaits };
    const run = await controller.resync();
    return {
      run,
      audit: audit(world, await world.snapshot(), (tags) => tags['fargate-mirror:owner'] === OWNER),
      requests: minus(await world.requests(), requests),
      errors: minus(await world.errors(), errors),
      waits: {
        backoffMs: sdkWaits.backoffMs - waits.backoffMs,
        backoffs: sdkWaits.backoffs - waits.backoffs,
        rateLimiterMs: sdkWaits.rateLimiterMs - waits.rateLimiterMs,
        rateLimiterWaits: sdkWaits.rateLimiterWaits - waits.rateLimiterWaits,
      },
    };
  };
  console.log('resync: first pass (every task lacks its session) ...');
  const first = await pass();
  console.log('resync: second pass (nothing to do) ...');
  const second = await pass();
  controller.close();
  await world.close();
  return { tasks, speed: scale.speed, first, second, meter };
}
