import type { FaultConfig } from './faults/faults.js';
import type { BucketConfig } from './throttle/limits.js';

/** Whether requester-managed task ENIs may be Traffic Mirroring sources (docs/aws-facts.md §1). */
export type TaskEniSources = 'reject' | 'accept';

/** AWS's Traffic Mirroring quotas (docs/aws-facts.md §4); none is adjustable on AWS. */
export interface Quotas {
  sessionsPerNetworkInterface: number;
  sourcesPerNetworkInterfaceTarget: number;
  rulesPerFilterDirection: number;
  sessionsPerAccount: number;
  targetsPerAccount: number;
  filtersPerAccount: number;
}

export const DEFAULT_QUOTAS: Readonly<Quotas> = Object.freeze({
  sessionsPerNetworkInterface: 3,
  sourcesPerNetworkInterfaceTarget: 10,
  rulesPerFilterDirection: 10,
  sessionsPerAccount: 10_000,
  targetsPerAccount: 10_000,
  filtersPerAccount: 10_000,
});

/**
 * Emulated durations (ms at speed 1) of each task lifecycle step: the time a task spends in the
 * named status before moving on.
 */
export interface LifecycleTimings {
  PROVISIONING: number;
  PENDING: number;
  ACTIVATING: number;
  DEACTIVATING: number;
  STOPPING: number;
  DEPROVISIONING: number;
}

export const DEFAULT_LIFECYCLE_TIMINGS: Readonly<LifecycleTimings> = Object.freeze({
  PROVISIONING: 5_000,
  PENDING: 10_000,
  ACTIVATING: 2_000,
  DEACTIVATING: 2_000,
  STOPPING: 5_000,
  DEPROVISIONING: 5_000,
});

/**
 * What a ClientToken repeated after its session was deleted gets: `original`, the first answer
 * (naming the deleted session, as docs/design.md §5 reads AWS), or `mismatch`, IdempotentParameterMismatch
 * (AWS's message for it says "associated with a resource that is already deleted"). Which one EC2
 * gives is not established; `original` is the default since it is the silent, harsher one.
 */
export type ClientTokenAfterDelete = 'original' | 'mismatch';

export interface AwsLocalOptions {
  /** TCP port; 0 picks a free one. @default 4566 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Persist the account to this JSON file (written 0600 on change, loaded at start). @default in memory */
  stateFile?: string;
  /** Lifecycle speed factor: 10 makes tasks walk their states ten times faster. @default 1 */
  speed?: number;
  /** 'manual' stops time: tests move it with `control.advance(ms)`. @default 'real' */
  clock?: 'real' | 'manual';
  /** @default 'reject', as AWS's current documentation says */
  taskEniSources?: TaskEniSources;
  /**
   * ECS's awsvpcTrunking account setting: awsvpc tasks on EC2 container instances get branch ENIs
   * (interface type `branch`, requester-managed by ECS) of the instance's trunk. @default false
   */
  awsvpcTrunking?: boolean;
  /** @default 'original' */
  clientTokenAfterDelete?: ClientTokenAfterDelete;
  /**
   * How long a ClientToken is remembered after its first use (ms of the emulated clock); a repeat
   * after that is a new request. EC2 documents a token as valid "for at least 24 hours" after the
   * resource it made is gone (docs/aws-facts.md §5), so the default is 24 hours. @default 86400000
   */
  clientTokenTtlMs?: number;
  /**
   * Eventual consistency: DescribeTrafficMirrorSessions shows a created session only this many ms
   * after the create, and a deleted one for this many ms after the delete. @default 0
   */
  describeLagMs?: number;
  /** POST every ECS event as JSON to this URL. */
  eventsUrl?: string;
  /** Append every ECS event as a JSON line to this file. */
  eventsFile?: string;
  faults?: Partial<FaultConfig>;
  /** false turns EC2 throttling off; an object overrides buckets per action name. @default AWS's buckets */
  throttling?: boolean | Record<string, BucketConfig>;
  quotas?: Partial<Quotas>;
  lifecycleTimings?: Partial<LifecycleTimings>;
  /** @default '123456789012' */
  accountId?: string;
  /** Region when a request's signature names none. @default 'us-east-1' */
  defaultRegion?: string;
  /** Seed for fault decisions, so a faulty run can be replayed. @default random */
  seed?: number;
}
