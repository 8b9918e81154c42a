import { DescribeTasksCommand, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import type { DemoClients } from './clients.js';

/** A demo task as ECS describes it, once its ENI is attached. */
export interface DemoTask {
  readonly taskArn: string;
  readonly service: string;
  readonly cluster: string;
  readonly eniId: string;
  readonly eniIp: string;
  readonly mac: string;
}

export interface TaskWatcherEvents {
  /** A task reached RUNNING with its ENI attached. */
  readonly onRunning: (task: DemoTask) => void;
  /** A running task is being stopped (ECS set desired STOPPED, or it left RUNNING). */
  readonly onStopping: (task: DemoTask) => void;
  readonly onError: (error: unknown) => void;
}

/**
 * Follows the demo cluster's tasks through the ECS API (ListTasks + DescribeTasks), the way a person
 * watching `aws ecs describe-tasks` would: the traffic apps start when a task runs and stop when ECS
 * stops it. `poke()` asks for a read now (after a task event) instead of at the next tick.
 */
export class TaskWatcher {
  private readonly running = new Map<string, DemoTask>();
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly clients: DemoClients,
    private readonly cluster: string,
    private readonly events: TaskWatcherEvents,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.poke(), this.intervalMs);
    this.poke();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  get runningTasks(): DemoTask[] {
    return [...this.running.values()];
  }

  /** Reads now; a poke during a read makes one more read after it. */
  poke(): Promise<void> {
    if (this.reading !== undefined) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.again = false;
        try {
          await this.read();
        } catch (error) {
          this.events.onError(error);
        }
      } while (this.again);
    })().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(): Promise<void> {
    const { ecs } = this.clients;
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await ecs.send(new ListTasksCommand({ cluster: this.cluster, nextToken }));
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    // Running ones may have left the list (desired STOPPED): describe them too, to see why.
    for (const arn of this.running.keys()) if (!arns.includes(arn)) arns.push(arn);
    const tasks: Task[] = [];
    for (let i = 0; i < arns.length; i += 100) {
      const page = await ecs.send(
        new DescribeTasksCommand({ cluster: this.cluster, tasks: arns.slice(i, i + 100) }),
      );
      tasks.push(...(page.tasks ?? []));
    }
    const seen = new Set<string>();
    for (const task of tasks) {
      const view = demoTaskOf(task);
      if (view === undefined) continue;
      seen.add(view.taskArn);
      const live = task.lastStatus === 'RUNNING' && task.desiredStatus === 'RUNNING';
      const known = this.running.get(view.taskArn);
      if (live && known === undefined) {
        this.running.set(view.taskArn, view);
        this.events.onRunning(view);
      } else if (!live && known !== undefined) {
        this.running.delete(view.taskArn);
        this.events.onStopping(known);
      }
    }
    // ECS forgot a task entirely: it is gone as well.
    for (const [arn, known] of this.running) {
      if (!seen.has(arn)) {
        this.running.delete(arn);
        this.events.onStopping(known);
      }
    }
  }
}

function demoTaskOf(task: Task): DemoTask | undefined {
  const attachment = task.attachments?.find((a) => a.type === 'ElasticNetworkInterface');
  const detail = (name: string) => attachment?.details?.find((d) => d.name === name)?.value;
  const eniId = detail('networkInterfaceId');
  const eniIp = detail('privateIPv4Address');
  const mac = detail('macAddress');
  if (task.taskArn === undefined || eniId === undefined || eniIp === undefined || mac === undefined) {
    return undefined;
  }
  const group = task.group ?? '';
  return {
    taskArn: task.taskArn,
    service: group.startsWith('service:') ? group.slice('service:'.length) : group,
    cluster: (task.clusterArn ?? '').split('/').pop() ?? '',
    eniId,
    eniIp,
    mac,
  };
}
