import {
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListClustersCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import type { TaskView } from '../core/types.js';
import type { ContainerInstanceRef, EcsPort } from './ports.js';
import { taskViewOf } from './task-view.js';
import { callAws } from './translate-error.js';

/** DescribeTasks and DescribeContainerInstances accept at most 100 ARNs per call. */
const DESCRIBE_BATCH = 100;

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += DESCRIBE_BATCH) out.push(items.slice(i, i + DESCRIBE_BATCH));
  return out;
}

/** ECS reads on the SDK v3: every list paginated, describes batched by 100. */
export class EcsAdapter implements EcsPort {
  readonly #ecs: ECSClient;

  constructor(ecs: ECSClient) {
    this.#ecs = ecs;
  }

  async listClusters(): Promise<string[]> {
    const out: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await callAws('ListClusters', () =>
        this.#ecs.send(new ListClustersCommand({ maxResults: 100, nextToken })),
      );
      out.push(...(page.clusterArns ?? []));
      nextToken = page.nextToken || undefined;
    } while (nextToken);
    return out;
  }

  async listTasks(
    cluster: string,
    options: { readonly containerInstance?: string; readonly desiredStatus?: 'RUNNING' | 'STOPPED' } = {},
  ): Promise<string[]> {
    const out: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await callAws('ListTasks', () =>
        this.#ecs.send(
          new ListTasksCommand({
            cluster,
            containerInstance: options.containerInstance,
            desiredStatus: options.desiredStatus,
            maxResults: 100,
            nextToken,
          }),
        ),
      );
      out.push(...(page.taskArns ?? []));
      nextToken = page.nextToken || undefined;
    } while (nextToken);
    return out;
  }

  async describeTasks(
    cluster: string,
    taskArns: readonly string[],
  ): Promise<{ tasks: TaskView[]; missing: string[] }> {
    const tasks: TaskView[] = [];
    const missing: string[] = [];
    for (const batch of batches([...new Set(taskArns)])) {
      const answer = await callAws('DescribeTasks', () =>
        this.#ecs.send(new DescribeTasksCommand({ cluster, tasks: batch, include: ['TAGS'] })),
      );
      for (const t of answer.tasks ?? []) {
        const view = taskViewOf(t);
        if (view) tasks.push(view);
      }
      for (const f of answer.failures ?? []) if (f.arn) missing.push(f.arn);
    }
    return { tasks, missing };
  }

  async describeContainerInstances(
    cluster: string,
    arns: readonly string[],
  ): Promise<ContainerInstanceRef[]> {
    const out: ContainerInstanceRef[] = [];
    for (const batch of batches([...new Set(arns)])) {
      const answer = await callAws('DescribeContainerInstances', () =>
        this.#ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: batch })),
      );
      for (const ci of answer.containerInstances ?? []) {
        if (ci.containerInstanceArn) {
          out.push({ containerInstanceArn: ci.containerInstanceArn, ec2InstanceId: ci.ec2InstanceId });
        }
      }
    }
    return out;
  }
}
