import type { SessionSpec } from '../core/plan.js';
import type { MirrorTargetType, SessionView, TaskView } from '../core/types.js';

/** The kinds of traffic mirror target EC2 has (DescribeTrafficMirrorTargets `Type`), defined in core. */
export type { MirrorTargetType };

/** The configured target and filter as EC2 sees them: `undefined` / `false` when they do not exist. */
export interface MirrorResources {
  readonly targetType: MirrorTargetType | undefined;
  readonly filterFound: boolean;
}

/** Declared in core, where `predictedRefusal` reads it; named here for the ports' implementers. */
export type SourceEniFacts = import('../core/types.js').SourceEniFacts;

/**
 * What the reconciler needs from EC2 and ECS. The SDK adapters implement these; tests can use an
 * in-memory cloud. Every method throws ControllerError (translated at the adapter edge).
 */
export interface Ec2Port {
  /** Sessions, every page; only those on `eniIds` when given (EC2 filter `network-interface-id`). */
  listSessions(filter?: { readonly eniIds?: readonly string[] }): Promise<SessionView[]>;
  /** Creates a session; the same `clientToken` repeated returns the first answer (EC2 idempotency). */
  createSession(spec: SessionSpec, clientToken: string): Promise<{ readonly sessionId: string }>;
  /** Deletes a session; one that no longer exists (ENI deleted, concurrent delete) is `already-gone`. */
  deleteSession(sessionId: string): Promise<'deleted' | 'already-gone'>;
  /**
   * Whether the target and filter exist, and the target's type (its AWS defaults differ). Optional so
   * older port implementations still build; without it nothing is validated and no default applied.
   */
  describeMirrorResources?(targetId: string, filterId: string): Promise<MirrorResources>;
  /**
   * The source facts of each ENI that exists, by ENI id (`status` predicts refusals from them).
   * Optional so older port implementations still build.
   */
  describeSourceEnis?(eniIds: readonly string[]): Promise<Map<string, SourceEniFacts>>;
  /** The primary (device index 0) ENI of each EC2 instance, by instance id. */
  primaryEnis(instanceIds: readonly string[]): Promise<Map<string, string>>;
}

export interface ContainerInstanceRef {
  readonly containerInstanceArn: string;
  readonly ec2InstanceId: string | undefined;
}

export interface EcsPort {
  /** Every cluster ARN, every page. */
  listClusters(): Promise<string[]>;
  /** Task ARNs of a cluster (every page), optionally only those on one container instance. */
  listTasks(
    cluster: string,
    options?: { readonly containerInstance?: string; readonly desiredStatus?: 'RUNNING' | 'STOPPED' },
  ): Promise<string[]>;
  /** Tasks with their tags, in batches of 100; tasks ECS no longer knows are listed in `missing`. */
  describeTasks(
    cluster: string,
    taskArns: readonly string[],
  ): Promise<{ tasks: TaskView[]; missing: string[] }>;
  /** Container instances in batches of 100. */
  describeContainerInstances(cluster: string, arns: readonly string[]): Promise<ContainerInstanceRef[]>;
}
