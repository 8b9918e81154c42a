import {
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListClustersCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import type { TaskView } from '../core/types.js';
import { chunks } from '../util/chunks.js';
import { pages } from './pages.js';
import type { ContainerInstanceRef, EcsPort } from './ports.js';
import { taskViewOf } from './task-view.js';
import { callAws } from './translate-error.js';

/** DescribeTasks and DescribeContainerInstances accept at most 100 ARNs per call. */
const DESCRIBE_BATCH = 100;

/** ECS reads on the SDK v3: every list paginated, describes batched by 100. */
export class EcsAdapter implements EcsPort {
  readonly #ecs: ECSClient;

  constructor(ecs: ECSClient) {
    this.#ecs = ecs;
  }

  async listClusters(): Promise<string[]> {
    const out: string[] = [];
    const all = pages(
      (nextToken) =>
        callAws('ListClusters', () =>
          this.#ecs.send(new ListClustersCommand({ maxResults: 100, nextToken })),
        ),
      (page) => page.nextToken,
    );
    for await (const page of all) out.push(...(page.clusterArns ?? []));
    return out;
  }

  async listTasks(
    cluster: string,
    options: { readonly containerInstance?: string; readonly desiredStatus?: 'RUNNING' | 'STOPPED' } = {},
  ): Promise<string[]> {
    const out: string[] = [];
    const all = pages(
      (nextToken) =>
        callAws('ListTasks', () =>
          this.#ecs.send(
            new ListTasksCommand({
              cluster,
              containerInstance: options.containerInstance,
              desiredStatus: options.desiredStatus,
              maxResults: 100,
              nextToken,
            }),
          ),
        ),
      (page) => page.nextToken,
    );
    for await (const page of all) out.push(...(page.taskArns ?? []));
    return out;
  }

  async describeTasks(
    cluster: string,
    taskArns: readonly string[],
  ): Promise<{ tasks: TaskView[]; missing: string[] }> {
    const tasks: TaskView[] = [];
    const missing: string[] = [];
    for (const batch of chunks([...new Set(taskArns)], DESCRIBE_BATCH)) {
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
    for (const batch of chunks([...new Set(arns)], DESCRIBE_BATCH)) {
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
