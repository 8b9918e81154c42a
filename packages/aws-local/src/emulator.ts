import type { Ec2Context } from './ec2/context.js';
import type { RegionScope } from './ec2/network-interface-ops.js';
import type { EcsContext } from './ecs/context.js';
import { TaskLifecycle } from './ecs/lifecycle.js';
import { finishDraining } from './ecs/services.js';
import { EventBus } from './events/bus.js';
import { type FaultConfig, mergeFaults, NO_FAULTS } from './faults/faults.js';
import type { ClientTokenAfterDelete, LifecycleTimings, Quotas, TaskEniSources } from './options.js';
import { Counters } from './state/counters.js';
import { Store } from './state/store.js';
import type { AccountState } from './state/types.js';
import type { BucketConfig } from './throttle/limits.js';
import { Throttler } from './throttle/token-bucket.js';
import { type Clock, ManualClock, RealClock } from './util/clock.js';
import { cryptoRandom, type RandomSource, seededRandom } from './util/random.js';

export interface ResolvedOptions {
  accountId: string;
  defaultRegion: string;
  speed: number;
  clock: 'real' | 'manual';
  taskEniSources: TaskEniSources;
  awsvpcTrunking: boolean;
  clientTokenAfterDelete: ClientTokenAfterDelete;
  describeLagMs: number;
  clientTokenTtlMs: number;
  quotas: Quotas;
  timings: LifecycleTimings;
  throttling: boolean;
  throttleOverrides: Record<string, BucketConfig>;
  faults: FaultConfig;
  seed?: number;
}

/** Outcome of the per-call fault dice. */
export type InjectedFault = 'error' | 'throttle' | undefined;

/**
 * The emulated account and everything that acts on it: state, time, the task lifecycle, event
 * delivery, throttling and faults. The HTTP layer and the in-process control both go through it.
 */
export class Emulator {
  readonly options: ResolvedOptions;
  readonly store: Store;
  readonly clock: Clock;
  readonly counters = new Counters();
  readonly throttler: Throttler;
  readonly events: EventBus;
  readonly lifecycle: TaskLifecycle;
  readonly random: RandomSource;
  #faults: FaultConfig;

  constructor(options: ResolvedOptions, state?: AccountState) {
    this.options = options;
    this.store = state ? new Store(state) : Store.fresh(options.accountId);
    this.clock = options.clock === 'manual' ? new ManualClock() : new RealClock(options.speed);
    this.random = options.seed === undefined ? cryptoRandom : seededRandom(options.seed);
    this.#faults = { ...options.faults };
    this.throttler = new Throttler(this.clock);
    this.events = new EventBus(() => this.#faults, this.random);
    this.lifecycle = new TaskLifecycle({
      clock: this.clock,
      timings: options.timings,
      awsvpcTrunking: options.awsvpcTrunking,
      scope: (region) => this.scope(region),
      publish: (event) => this.events.publish(event),
      changed: () => this.store.changed(),
      onTaskStopped: (scope, task) => {
        if (task.serviceName) finishDraining(scope.region, task.clusterArn, task.serviceName);
      },
    });
    for (const region of this.store.regions()) {
      for (const task of Object.values(region.tasks)) this.lifecycle.resume(task);
    }
  }

  get faults(): FaultConfig {
    return { ...this.#faults };
  }

  /** Merges a partial fault configuration; throws AwsLocalConfigError for bad values. */
  setFaults(update: Partial<FaultConfig>): FaultConfig {
    this.#faults = mergeFaults(this.#faults, update);
    return this.faults;
  }

  clearFaults(): void {
    this.#faults = { ...NO_FAULTS };
  }

  rollFault(): InjectedFault {
    if (this.random() < this.#faults.apiThrottleRate) {
      this.counters.injectedThrottles++;
      return 'throttle';
    }
    if (this.random() < this.#faults.apiErrorRate) {
      this.counters.injectedErrors++;
      return 'error';
    }
    return undefined;
  }

  scope(region: string): RegionScope {
    return {
      accountId: this.store.accountId,
      regionName: region,
      region: this.store.region(region),
      clock: this.clock,
      nextSeq: this.store.nextSeq,
    };
  }

  ec2Context(region: string): Ec2Context {
    return {
      ...this.scope(region),
      quotas: this.options.quotas,
      taskEniSources: this.options.taskEniSources,
      describeLagMs: this.options.describeLagMs,
    };
  }

  ecsContext(region: string): EcsContext {
    return { ...this.scope(region), lifecycle: this.lifecycle, changed: () => this.store.changed() };
  }

  /** Counts of resources per region, tasks by status, counters and faults: the admin view. */
  summary(): Record<string, unknown> {
    const regions: Record<string, unknown> = {};
    for (const r of this.store.regions()) {
      const tasksByStatus: Record<string, number> = {};
      for (const t of Object.values(r.tasks))
        tasksByStatus[t.lastStatus] = (tasksByStatus[t.lastStatus] ?? 0) + 1;
      regions[r.region] = {
        vpcs: Object.keys(r.vpcs).length,
        subnets: Object.keys(r.subnets).length,
        networkInterfaces: Object.keys(r.networkInterfaces).length,
        instances: Object.keys(r.instances).length,
        trafficMirrorTargets: Object.keys(r.trafficMirrorTargets).length,
        trafficMirrorFilters: Object.keys(r.trafficMirrorFilters).length,
        trafficMirrorFilterRules: Object.keys(r.trafficMirrorFilterRules).length,
        trafficMirrorSessions: Object.keys(r.trafficMirrorSessions).length,
        clusters: Object.keys(r.clusters).length,
        taskDefinitions: Object.keys(r.taskDefinitions).length,
        services: Object.values(r.services).filter((s) => s.status !== 'INACTIVE').length,
        containerInstances: Object.keys(r.containerInstances).length,
        tasks: tasksByStatus,
      };
    }
    return {
      accountId: this.store.accountId,
      clock: this.clock.kind,
      speed: this.options.speed,
      taskEniSources: this.options.taskEniSources,
      awsvpcTrunking: this.options.awsvpcTrunking,
      regions,
      counters: this.counters.snapshot(),
      events: { ...this.events.counters },
      faults: this.faults,
    };
  }

  close(): void {
    this.lifecycle.cancelAll();
    if (this.clock instanceof RealClock) this.clock.stop();
  }
}
