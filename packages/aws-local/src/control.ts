import { createNetworkInterface } from './ec2/network-interface-ops.js';
import type { Emulator } from './emulator.js';
import { AwsLocalError } from './errors.js';
import type { AccountState, TaskStatus } from './state/types.js';
import { ManualClock } from './util/clock.js';

/** In-process handle on the emulator for tests and the demo: time, state and AWS-side actions. */
export interface AwsLocalControl {
  /** Moves the manual clock (option `clock: 'manual'`), running due lifecycle steps. */
  advance(ms: number): void;
  /** Delivers held (reordered) and delayed events and waits until sinks have them. */
  flushEvents(): Promise<void>;
  /** Resource counts, counters, event counters and faults (as GET /_admin/state). */
  summary(): Record<string, unknown>;
  /** A deep copy of the whole account state. */
  snapshot(): AccountState;
  /** Resolves once the task's lastStatus is `status` (real clock); rejects after `timeoutMs` real ms. */
  waitForTask(taskArn: string, status: TaskStatus, timeoutMs?: number): Promise<void>;
  /**
   * One container of a running task exits with `exitCode` (and `reason`): the task stays RUNNING
   * when the container is not essential, and stops when it is. Returns the container as stopped.
   */
  stopContainer(spec: { taskArn: string; containerName: string; exitCode?: number; reason?: string }): {
    containerName: string;
    lastStatus: string;
    exitCode: number | undefined;
    essential: boolean;
    taskLastStatus: string;
    taskDesiredStatus: string;
  };
  /**
   * Creates a requester-managed ENI as another AWS service would (e.g. requesterId
   * 'amazon-rds' or 'amazon-elasticache', which AWS allows as mirror sources). Returns its id.
   */
  createRequesterManagedNetworkInterface(spec: {
    requesterId: string;
    description?: string;
    region?: string;
    subnetId?: string;
  }): string;
}

export function createControl(em: Emulator): AwsLocalControl {
  return {
    advance(ms) {
      if (!(em.clock instanceof ManualClock)) {
        throw new AwsLocalError(
          'AWS_LOCAL_CLOCK_NOT_MANUAL',
          'advance() needs the manual clock (clock: "manual")',
        );
      }
      em.clock.advance(ms);
    },
    flushEvents: () => em.events.flush(),
    summary: () => em.summary(),
    snapshot: () => structuredClone(em.store.state),
    waitForTask(taskArn, status, timeoutMs = 30_000) {
      const region = taskArn.split(':')[3] ?? em.options.defaultRegion;
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        const poll = () => {
          const task = em.store.region(region).tasks[taskArn];
          if (task?.lastStatus === status) return resolve();
          if (Date.now() > deadline) {
            return reject(
              new AwsLocalError(
                'AWS_LOCAL_WAIT_TIMEOUT',
                `task ${taskArn} did not reach ${status} within ${timeoutMs} ms (now ${task?.lastStatus ?? 'absent'})`,
              ),
            );
          }
          setTimeout(poll, 2);
        };
        poll();
      });
    },
    stopContainer(spec) {
      const region = spec.taskArn.split(':')[3] || em.options.defaultRegion;
      const task = em.store.region(region).tasks[spec.taskArn];
      if (!task) throw new AwsLocalError('AWS_LOCAL_ADMIN_BAD_REQUEST', `task ${spec.taskArn} not found`);
      const c = em.lifecycle.stopContainer(task, spec.containerName, spec.exitCode ?? 1, spec.reason);
      return {
        containerName: c.name,
        lastStatus: c.lastStatus,
        exitCode: c.exitCode,
        essential: c.essential,
        taskLastStatus: task.lastStatus,
        taskDesiredStatus: task.desiredStatus,
      };
    },
    createRequesterManagedNetworkInterface(spec) {
      const scope = em.scope(spec.region ?? em.options.defaultRegion);
      const subnet = spec.subnetId
        ? scope.region.subnets[spec.subnetId]
        : Object.values(scope.region.subnets).sort((a, b) => a.seq - b.seq)[0];
      if (!subnet)
        throw new AwsLocalError('AWS_LOCAL_NO_SUBNET', `subnet ${spec.subnetId ?? '(default)'} not found`);
      const eni = createNetworkInterface(scope, {
        subnet,
        description: spec.description ?? `${spec.requesterId} network interface`,
        requesterManaged: true,
        requesterId: spec.requesterId,
      });
      eni.status = 'in-use';
      em.store.changed();
      return eni.networkInterfaceId;
    },
  };
}
