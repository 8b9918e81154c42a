import {
  createNetworkInterface,
  nextDeviceIndex,
  type RegionScope,
  removeNetworkInterface,
} from '../ec2/network-interface-ops.js';
import { privateDnsName } from '../ec2/wire.js';
import { AwsLocalError } from '../errors.js';
import { type EcsEvent, taskStateChangeEvent } from '../events/task-event.js';
import type { LifecycleTimings } from '../options.js';
import type { Task, TaskContainer, TaskStatus } from '../state/types.js';
import type { Clock } from '../util/clock.js';
import { arnRegion } from './arns.js';

/**
 * ECS-owned accounts seen on real Fargate task ENIs (docs/aws-facts.md §1.2): the requester of the ENI
 * and the owner of the hidden instance it is attached to.
 */
/** Containers still up when the task stops exit with 0 (the task's stop ended them). */
function stopRemainingContainers(task: Task): void {
  for (const c of task.containers) {
    if (c.lastStatus === 'STOPPED') continue;
    c.lastStatus = 'STOPPED';
    c.exitCode ??= 0;
  }
}

export const ECS_REQUESTER_ID = '716531411939';
export const FARGATE_INSTANCE_OWNER_ID = '786829106431';

export interface LifecycleDeps {
  clock: Clock;
  timings: LifecycleTimings;
  /** awsvpc task ENIs on EC2 instances are branch ENIs of the instance's trunk (ENI trunking). */
  awsvpcTrunking: boolean;
  scope: (region: string) => RegionScope;
  publish: (event: EcsEvent) => void;
  changed: () => void;
  onTaskStopped: (scope: RegionScope, task: Task) => void;
}

/**
 * Walks tasks through PROVISIONING -> PENDING -> ACTIVATING -> RUNNING and, once stopped,
 * DEACTIVATING -> STOPPING -> DEPROVISIONING -> STOPPED on the clock. Every change bumps
 * `version` and emits an "ECS Task State Change" event. awsvpc tasks get their ENI when they
 * leave PROVISIONING and lose it (with its mirror sessions) when they enter DEPROVISIONING.
 */
export class TaskLifecycle {
  readonly #deps: LifecycleDeps;
  readonly #timers = new Map<string, () => void>();

  constructor(deps: LifecycleDeps) {
    this.#deps = deps;
  }

  /** A new task (already stored, lastStatus set): announce it and schedule its next step. */
  start(task: Task): void {
    this.#emit(task);
    this.#schedule(task);
  }

  /** Re-arms timers for tasks loaded from a state file. */
  resume(task: Task): void {
    if (task.lastStatus !== 'STOPPED') this.#schedule(task);
  }

  stop(task: Task, stopCode: string, reason: string): void {
    if (task.desiredStatus === 'STOPPED') return;
    const now = this.#deps.clock.now();
    task.desiredStatus = 'STOPPED';
    task.stopCode = stopCode;
    task.stoppedReason = reason;
    task.stoppingAt = now;
    this.#bump(task, now);
    this.#emit(task);
    this.#schedule(task);
  }

  /**
   * One container of a running task exits (`exitCode`, `reason`), as ECS reports it: the task goes
   * on when the container is not essential (a sidecar with `essential: false`), and stops with
   * stopCode `EssentialContainerExited` when it is.
   */
  stopContainer(task: Task, containerName: string, exitCode: number, reason?: string): TaskContainer {
    const container = task.containers.find((c) => c.name === containerName);
    if (!container)
      throw new AwsLocalError(
        'AWS_LOCAL_ADMIN_BAD_REQUEST',
        `task ${task.taskArn} has no container ${containerName} (it has ${task.containers.map((c) => c.name).join(', ')})`,
      );
    if (task.lastStatus !== 'RUNNING' || container.lastStatus !== 'RUNNING')
      throw new AwsLocalError(
        'AWS_LOCAL_ADMIN_BAD_REQUEST',
        `container ${containerName} of task ${task.taskArn} is not running (task ${task.lastStatus}, container ${container.lastStatus})`,
      );
    container.lastStatus = 'STOPPED';
    container.exitCode = exitCode;
    if (reason !== undefined) container.reason = reason;
    if (container.essential) {
      this.stop(task, 'EssentialContainerExited', 'Essential container in task exited');
    } else {
      const now = this.#deps.clock.now();
      this.#bump(task, now);
      this.#emit(task);
    }
    return container;
  }

  cancelAll(): void {
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
  }

  #dwell(task: Task): number {
    const timings = this.#deps.timings;
    // A stop request moves a task that is running or still starting on at once (next timer tick).
    if (
      task.desiredStatus === 'STOPPED' &&
      ['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING'].includes(task.lastStatus)
    ) {
      return 0;
    }
    return timings[task.lastStatus as keyof LifecycleTimings] ?? 0;
  }

  #schedule(task: Task): void {
    this.#timers.get(task.taskArn)?.();
    if (task.lastStatus === 'STOPPED') return;
    if (task.lastStatus === 'RUNNING' && task.desiredStatus === 'RUNNING') return;
    const cancel = this.#deps.clock.setTimer(this.#dwell(task), () => {
      this.#timers.delete(task.taskArn);
      this.#step(task);
    });
    this.#timers.set(task.taskArn, cancel);
  }

  #next(task: Task): TaskStatus {
    const awsvpc = task.networkMode === 'awsvpc';
    if (task.desiredStatus === 'RUNNING') {
      const order: Record<string, TaskStatus> = {
        PROVISIONING: 'PENDING',
        PENDING: 'ACTIVATING',
        ACTIVATING: 'RUNNING',
      };
      return order[task.lastStatus] ?? task.lastStatus;
    }
    switch (task.lastStatus) {
      case 'RUNNING':
        return 'DEACTIVATING';
      case 'STOPPING':
        return awsvpc ? 'DEPROVISIONING' : 'STOPPED';
      case 'DEPROVISIONING':
        return 'STOPPED';
      default:
        // Not yet running or already deactivating: straight to STOPPING.
        return 'STOPPING';
    }
  }

  #step(task: Task): void {
    const scope = this.#deps.scope(arnRegion(task.taskArn));
    if (!scope.region.tasks[task.taskArn]) return;
    const now = this.#deps.clock.now();
    const next = this.#next(task);
    this.#enter(scope, task, next, now);
    task.lastStatus = next;
    this.#bump(task, now);
    this.#emit(task);
    if (next === 'STOPPED') this.#deps.onTaskStopped(scope, task);
    this.#schedule(task);
  }

  #enter(scope: RegionScope, task: Task, status: TaskStatus, now: number): void {
    switch (status) {
      case 'PENDING':
        this.#attachEni(scope, task, now);
        break;
      case 'ACTIVATING':
        task.pullStartedAt = now;
        task.pullStoppedAt = now;
        break;
      case 'RUNNING':
        task.startedAt = now;
        for (const c of task.containers) c.lastStatus = 'RUNNING';
        break;
      case 'STOPPING':
        stopRemainingContainers(task);
        break;
      case 'DEPROVISIONING':
        task.executionStoppedAt = now;
        this.#deleteEni(scope, task);
        break;
      case 'STOPPED':
        task.executionStoppedAt ??= now;
        task.stoppedAt = now;
        if (task.attachment) task.attachment.status = 'DELETED';
        stopRemainingContainers(task);
        break;
      default:
        break;
    }
  }

  #attachEni(scope: RegionScope, task: Task, now: number): void {
    task.connectivityAt = now;
    const attachment = task.attachment;
    if (!attachment) return;
    const subnet = scope.region.subnets[attachment.subnetId];
    if (!subnet) return;
    const instanceId = task.containerInstanceArn
      ? scope.region.containerInstances[task.containerInstanceArn]?.ec2InstanceId
      : undefined;
    const clusterName = task.clusterArn.split(':cluster/')[1] ?? '';
    const eni = createNetworkInterface(scope, {
      subnet,
      description: `arn:aws:ecs:${scope.regionName}:${scope.accountId}:attachment/${attachment.id}`,
      requesterManaged: true,
      requesterId: ECS_REQUESTER_ID,
      // With trunking, ECS gives a task on an instance a branch ENI of the instance's trunk ENI.
      ...(instanceId && this.#deps.awsvpcTrunking ? { interfaceType: 'branch' } : {}),
      groups: task.securityGroups,
      attachment: {
        instanceId,
        instanceOwnerId: instanceId ? scope.accountId : FARGATE_INSTANCE_OWNER_ID,
        // Fargate hides the host: its task ENI shows device index 1 on an AWS-owned instance.
        deviceIndex: instanceId ? nextDeviceIndex(scope.region, instanceId) : 1,
        status: 'attached',
        deleteOnTermination: false,
      },
      tags: task.enableEcsManagedTags
        ? [
            { key: 'aws:ecs:clusterName', value: clusterName },
            ...(task.serviceName ? [{ key: 'aws:ecs:serviceName', value: task.serviceName }] : []),
          ]
        : [],
    });
    attachment.status = 'ATTACHED';
    attachment.networkInterfaceId = eni.networkInterfaceId;
    attachment.macAddress = eni.macAddress;
    attachment.privateIPv4Address = eni.privateIpAddress;
    attachment.privateDnsName = privateDnsName(eni.privateIpAddress, scope.regionName);
  }

  #deleteEni(scope: RegionScope, task: Task): void {
    const attachment = task.attachment;
    if (!attachment) return;
    if (attachment.networkInterfaceId) removeNetworkInterface(scope.region, attachment.networkInterfaceId);
    attachment.status = 'DETACHED';
  }

  #bump(task: Task, now: number): void {
    task.version++;
    task.updatedAt = now;
    this.#deps.changed();
  }

  #emit(task: Task): void {
    const scope = this.#deps.scope(arnRegion(task.taskArn));
    this.#deps.publish(taskStateChangeEvent(task, scope.accountId, scope.regionName, this.#deps.clock.now()));
  }
}
