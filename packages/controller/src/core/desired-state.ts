import { type Selection, type SelectionDecision, selectTask } from './selection.js';
import type { DesiredSource, InstanceView, TaskView } from './types.js';

/**
 * Task states in which a session is wanted: from PENDING, when the ENI is attached, until the task
 * stops. PROVISIONING has no ENI yet; DEPROVISIONING detaches it. A task ECS decided to stop
 * (desiredStatus STOPPED) still drains its connections through DEACTIVATING and STOPPING, so its
 * session stays until then. The resync lists desired-RUNNING tasks only, so it plans to delete a
 * draining task's session; it re-reads the task right before deleting and keeps it (fleet.ts).
 */
export const MIRRORED_STATUSES: ReadonlySet<string> = new Set([
  'PENDING',
  'ACTIVATING',
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
]);

export type TaskState =
  /** Selected, active, and its source ENI is known: a session is wanted on `eniId`. */
  | 'wants-session'
  | 'not-selected'
  /** PROVISIONING, stopping, STOPPED...: no session wanted. */
  | 'not-active'
  /** `awsvpc` task whose ENI is not attached yet: a later event or the resync will bring it. */
  | 'no-eni-yet'
  /** `bridge`/`host` task whose container instance ENI could not be resolved, or instance mirroring is off. */
  | 'no-source';

export interface TaskDisposition {
  readonly task: TaskView;
  readonly decision: SelectionDecision;
  readonly state: TaskState;
  readonly eniId: string | undefined;
  readonly detail: string;
}

export interface DesiredStateInput {
  readonly tasks: readonly TaskView[];
  /** Container instances by ARN, for `bridge`/`host` tasks. */
  readonly instances: ReadonlyMap<string, InstanceView>;
  readonly selection: Selection;
  /** Mirror the container instance's ENI for `bridge`/`host` tasks on EC2. */
  readonly mirrorInstances: boolean;
}

export interface DesiredState {
  /** The ENIs that should carry exactly one session of ours. */
  readonly sources: ReadonlyMap<string, DesiredSource>;
  /** Every task seen, with why it does or does not want a session (for `plan` and `status`). */
  readonly tasks: readonly TaskDisposition[];
}

function disposition(task: TaskView, input: DesiredStateInput): TaskDisposition {
  const decision = selectTask(task, input.selection);
  const eniOf = (): string | undefined => {
    if (task.network.kind === 'task-eni') return task.network.eniId;
    if (task.network.kind === 'instance')
      return input.instances.get(task.network.containerInstanceArn)?.eniId;
    return undefined;
  };
  const base = { task, decision, eniId: eniOf() };
  if (!decision.selected) return { ...base, state: 'not-selected', detail: decision.reason };
  if (!MIRRORED_STATUSES.has(task.lastStatus)) {
    return {
      ...base,
      state: 'not-active',
      detail: `task is ${task.lastStatus} (desired ${task.desiredStatus})`,
    };
  }
  switch (task.network.kind) {
    case 'none':
      return {
        ...base,
        state: 'no-source',
        detail: `launch type ${task.launchType ?? 'unknown'} has no mirrorable ENI`,
      };
    case 'task-eni':
      return task.network.eniId === undefined
        ? {
            ...base,
            state: 'no-eni-yet',
            detail: `ENI attachment is ${task.network.attachmentStatus ?? 'absent'}`,
          }
        : { ...base, state: 'wants-session', detail: 'task ENI' };
    case 'instance': {
      if (!input.mirrorInstances) {
        return {
          ...base,
          state: 'no-source',
          detail: 'bridge/host task and mirrorContainerInstances is off',
        };
      }
      const instance = input.instances.get(task.network.containerInstanceArn);
      if (instance?.eniId === undefined) {
        return { ...base, state: 'no-source', detail: 'container instance ENI could not be resolved' };
      }
      return {
        ...base,
        state: 'wants-session',
        detail: `container instance ${instance.ec2InstanceId ?? ''} ENI`,
      };
    }
  }
}

/**
 * The desired state: one source per ENI that a selected, active task needs mirrored. Tasks on one
 * container instance share its ENI, so the source lists all of them and lives as long as one does.
 */
export function computeDesiredState(input: DesiredStateInput): DesiredState {
  const sources = new Map<string, DesiredSource>();
  const tasks = input.tasks.map((task) => disposition(task, input));
  for (const d of tasks) {
    if (d.state !== 'wants-session' || d.eniId === undefined) continue;
    const { task } = d;
    const existing = sources.get(d.eniId);
    if (existing) {
      sources.set(d.eniId, { ...existing, taskArns: [...existing.taskArns, task.taskArn] });
      continue;
    }
    if (task.network.kind === 'instance') {
      sources.set(d.eniId, {
        eniId: d.eniId,
        kind: 'instance',
        clusterArn: task.clusterArn,
        clusterName: task.clusterName,
        serviceName: undefined,
        vniKey: `${task.clusterName}/container-instance/${task.network.containerInstanceArn}`,
        taskArns: [task.taskArn],
        containerInstanceArn: task.network.containerInstanceArn,
      });
    } else {
      sources.set(d.eniId, {
        eniId: d.eniId,
        kind: 'task-eni',
        clusterArn: task.clusterArn,
        clusterName: task.clusterName,
        serviceName: task.serviceName,
        vniKey: `${task.clusterName}/${task.serviceName ?? `family:${task.family}`}`,
        taskArns: [task.taskArn],
        containerInstanceArn: undefined,
      });
    }
  }
  return capturedAlongside(sources, tasks);
}

/**
 * Bridge/host tasks share their container instance's ENI: an excluded task on an instance whose ENI
 * is mirrored for a selected one has its traffic captured all the same. Say so, on the source and on
 * the excluded task's disposition (plan and status show it).
 */
function capturedAlongside(sources: Map<string, DesiredSource>, tasks: TaskDisposition[]): DesiredState {
  const out = tasks.map((d) => {
    if (d.decision.selected || d.eniId === undefined || d.task.network.kind !== 'instance') return d;
    if (!MIRRORED_STATUSES.has(d.task.lastStatus)) return d;
    const source = sources.get(d.eniId);
    if (source === undefined) return d;
    sources.set(d.eniId, { ...source, alsoCaptured: [...(source.alsoCaptured ?? []), d.task.taskArn] });
    return {
      ...d,
      detail: `${d.detail}; its traffic is captured anyway: it shares the ENI ${d.eniId} of its container instance with ${source.taskArns.length} selected task(s)`,
    };
  });
  return { sources, tasks: out };
}
