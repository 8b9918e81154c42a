import type { DemoTask } from '../aws/task-watcher.js';

/** Where a running task's stand-in listens: its loopback address and the port of its tap proxy. */
export interface TaskEndpoint {
  readonly task: DemoTask;
  readonly loopback: string;
  readonly port: number;
}

/**
 * Who is who among the simulated tasks: the DNS responder answers with the ENI addresses of a
 * service's running tasks, a client turns the ENI address it picked into the loopback endpoint that
 * stands for it, and a proxy or the DNS responder names the task behind a loopback peer.
 */
export class TaskDirectory {
  private readonly byEniIp = new Map<string, TaskEndpoint>();
  private readonly byLoopback = new Map<string, DemoTask>();

  /** The task's loopback address is known from the moment its app starts. */
  addLoopback(task: DemoTask, loopback: string): void {
    this.byLoopback.set(loopback, task);
  }

  /** The task serves: DNS answers include it from now on. */
  publish(endpoint: TaskEndpoint): void {
    this.byEniIp.set(endpoint.task.eniIp, endpoint);
  }

  /** The task is stopping: DNS no longer names it (its loopback stays known for late packets). */
  unpublish(task: DemoTask): void {
    const endpoint = this.byEniIp.get(task.eniIp);
    if (endpoint?.task.taskArn === task.taskArn) this.byEniIp.delete(task.eniIp);
  }

  endpointOf(eniIp: string): TaskEndpoint | undefined {
    return this.byEniIp.get(eniIp);
  }

  taskAt(loopback: string): DemoTask | undefined {
    return this.byLoopback.get(loopback);
  }

  /** ENI addresses of the service's published tasks, as a DNS answer lists them. */
  addressesOf(service: string): string[] {
    return [...this.byEniIp.values()].filter((e) => e.task.service === service).map((e) => e.task.eniIp);
  }
}
