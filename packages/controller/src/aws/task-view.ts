import type { ContainerView, LaunchType, TaskNetwork, TaskView } from '../core/types.js';

/**
 * The subset of an ECS task we read. DescribeTasks' `Task` and an event's `detail` share it,
 * except that events name the ENI attachment `eni` and DescribeTasks `ElasticNetworkInterface`.
 */
export interface EcsTaskLike {
  readonly taskArn?: string | undefined;
  readonly clusterArn?: string | undefined;
  readonly taskDefinitionArn?: string | undefined;
  readonly group?: string | undefined;
  readonly launchType?: string | undefined;
  readonly lastStatus?: string | undefined;
  readonly desiredStatus?: string | undefined;
  readonly containerInstanceArn?: string | undefined;
  readonly attachments?:
    | readonly {
        readonly type?: string | undefined;
        readonly status?: string | undefined;
        readonly details?:
          | readonly { readonly name?: string | undefined; readonly value?: string | undefined }[]
          | undefined;
      }[]
    | undefined;
  readonly tags?:
    | readonly { readonly key?: string | undefined; readonly value?: string | undefined }[]
    | undefined;
  readonly containers?:
    | readonly {
        readonly name?: string | undefined;
        readonly image?: string | undefined;
        readonly lastStatus?: string | undefined;
        readonly exitCode?: number | undefined;
        readonly reason?: string | undefined;
      }[]
    | undefined;
}

const ENI_ATTACHMENT_TYPES = new Set(['ElasticNetworkInterface', 'eni']);

/** `arn:aws:ecs:region:acct:cluster/NAME` -> NAME (a bare name stays as it is). */
export function clusterNameOf(clusterArnOrName: string): string {
  const slash = clusterArnOrName.indexOf(':cluster/');
  return slash >= 0 ? clusterArnOrName.slice(slash + ':cluster/'.length) : clusterArnOrName;
}

/** `...:task-definition/FAMILY:REV` -> FAMILY. */
export function familyOf(taskDefinitionArn: string | undefined): string {
  if (!taskDefinitionArn) return '';
  const afterSlash = taskDefinitionArn.slice(taskDefinitionArn.lastIndexOf('/') + 1);
  const colon = afterSlash.lastIndexOf(':');
  return colon > 0 ? afterSlash.slice(0, colon) : afterSlash;
}

/** `service:NAME` -> NAME; anything else (standalone `family:NAME`, custom groups) -> undefined. */
export function serviceNameOf(group: string | undefined): string | undefined {
  return group?.startsWith('service:') ? group.slice('service:'.length) : undefined;
}

function launchTypeOf(value: string | undefined): LaunchType | undefined {
  return value === 'FARGATE' || value === 'EC2' || value === 'EXTERNAL' ? value : undefined;
}

/**
 * Where the task's traffic is: an ENI attachment means `awsvpc` (the ENI id appears once ECS
 * reports it; PROVISIONING has only the subnet). No ENI attachment on an EC2 container instance
 * means `bridge`/`host`, whose traffic crosses the instance's own ENI. DescribeTasks does not
 * return the network mode, and this reading needs no DescribeTaskDefinition call.
 */
function networkOf(task: EcsTaskLike, launchType: LaunchType | undefined): TaskNetwork {
  const eni = task.attachments?.find((a) => a.type !== undefined && ENI_ATTACHMENT_TYPES.has(a.type));
  if (eni || launchType === 'FARGATE') {
    const eniId = eni?.details?.find((d) => d.name === 'networkInterfaceId')?.value;
    return { kind: 'task-eni', eniId: eniId || undefined, attachmentStatus: eni?.status };
  }
  if (launchType === 'EC2' && task.containerInstanceArn) {
    return { kind: 'instance', containerInstanceArn: task.containerInstanceArn };
  }
  return { kind: 'none' };
}

/** Our view of an ECS task; undefined when it lacks the task or cluster ARN. */
export function taskViewOf(task: EcsTaskLike): TaskView | undefined {
  if (!task.taskArn || !task.clusterArn) return undefined;
  const launchType = launchTypeOf(task.launchType);
  const tags: Record<string, string> = {};
  for (const t of task.tags ?? []) if (t.key !== undefined) tags[t.key] = t.value ?? '';
  return {
    taskArn: task.taskArn,
    clusterArn: task.clusterArn,
    clusterName: clusterNameOf(task.clusterArn),
    group: task.group,
    serviceName: serviceNameOf(task.group),
    family: familyOf(task.taskDefinitionArn),
    launchType,
    lastStatus: task.lastStatus ?? 'UNKNOWN',
    desiredStatus: task.desiredStatus ?? 'UNKNOWN',
    tags,
    network: networkOf(task, launchType),
    ...(task.containers ? { containers: containersOf(task.containers) } : {}),
  };
}

function containersOf(containers: NonNullable<EcsTaskLike['containers']>): ContainerView[] {
  return containers.flatMap((c) =>
    c.name === undefined
      ? []
      : [
          {
            name: c.name,
            image: c.image,
            lastStatus: c.lastStatus ?? 'UNKNOWN',
            exitCode: c.exitCode ?? undefined,
            reason: c.reason ?? undefined,
          },
        ],
  );
}
