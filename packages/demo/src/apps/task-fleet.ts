import type { IdentityResolver } from '@fargate-mirror/receiver';
import type { SessionWatcher } from '../aws/session-watcher.js';
import type { DemoTask } from '../aws/task-watcher.js';
import type { LoopbackPool } from '../mirror/loopback-pool.js';
import type { MirrorTap } from '../mirror/mirror-tap.js';
import type { DemoMode } from '../options.js';
import type { LoopbackIdentitySource } from '../receiver/loopback-identity-source.js';
import { TaskApp } from './task-app.js';
import type { TaskDirectory } from './task-directory.js';

/** What the demo knew of a task: written to tasks.json, so records can be checked against it. */
export interface TaskLogEntry extends Pick<DemoTask, 'taskArn' | 'service' | 'cluster' | 'eniId' | 'eniIp'> {
  /** The loopback address its mirror traffic came from. */
  readonly loopback: string;
  readonly vnis: number[];
  readonly mirrorSessionIds: string[];
  readonly runningAt: string;
  stoppingAt: string | null;
}

/** Who calls whom: `web` calls `api` often, `api` checks on `web` now and then. */
const CALLS: Record<string, { service: string; port: number; everyMs: number }> = {
  web: { service: 'api', port: 8080, everyMs: 400 },
  api: { service: 'web', port: 80, everyMs: 900 },
};
const PORTS: Record<string, number> = { web: 80, api: 8080 };

export interface TaskFleetOptions {
  readonly mode: DemoMode;
  readonly zone: string;
  readonly dns: { readonly address: string; readonly port: number };
  readonly pool: LoopbackPool;
  readonly directory: TaskDirectory;
  readonly tap: MirrorTap;
  readonly sessions: SessionWatcher;
  readonly identity: LoopbackIdentitySource;
  readonly resolver: IdentityResolver;
  readonly say: (line: string) => void;
  readonly onError: (error: unknown, what: string) => void;
}

/**
 * The simulated tasks' stand-ins: when ECS runs a task, its app starts on a fresh loopback address
 * (server, tap proxy, client, mirror point); when ECS stops it, the app finishes its exchanges and
 * its mirror point goes quiet.
 */
export class TaskFleet {
  readonly log = new Map<string, TaskLogEntry>();
  readonly counters = { requests: 0, failures: 0 };
  private readonly apps = new Map<string, Promise<TaskApp | undefined>>();

  constructor(private readonly options: TaskFleetOptions) {}

  get runningCount(): Map<string, number> {
    const out = new Map<string, number>();
    for (const entry of this.log.values()) {
      if (entry.stoppingAt === null) out.set(entry.service, (out.get(entry.service) ?? 0) + 1);
    }
    return out;
  }

  readonly onRunning = (task: DemoTask): void => {
    this.apps.set(task.taskArn, this.start(task));
  };

  readonly onStopping = (task: DemoTask): void => {
    const entry = this.log.get(task.taskArn);
    if (entry !== undefined) entry.stoppingAt = new Date().toISOString();
    const app = this.apps.get(task.taskArn);
    this.apps.delete(task.taskArn);
    this.options.say(`task stopping: ${task.service} ${shortArn(task.taskArn)} (${task.eniIp})`);
    void app
      ?.then((a) => a?.stop())
      .catch((error: unknown) => this.options.onError(error, 'stopping a task app'))
      .finally(() => this.options.tap.detach(task));
  };

  /** Notes the sessions (native) or VNIs (forwarder) each running task is mirrored with now. */
  noteMirroring(): void {
    const { tap, sessions } = this.options;
    for (const entry of this.log.values()) {
      if (entry.stoppingAt !== null) continue;
      const session = sessions.sessionOf(entry.eniId);
      if (session !== undefined && !entry.mirrorSessionIds.includes(session.sessionId)) {
        entry.mirrorSessionIds.push(session.sessionId);
        this.options.say(
          `mirror session ${session.sessionId} on ${entry.eniId} (${entry.service} ${shortArn(entry.taskArn)}), VNI ${session.vni}`,
        );
      }
      const vni = tap.vniOf({ ...entry, mac: '' });
      if (vni !== undefined && !entry.vnis.includes(vni)) entry.vnis.push(vni);
    }
  }

  /** Stops every app (their connections end with FINs, mirrored) and detaches the mirror points. */
  async stopAll(): Promise<void> {
    const apps = [...this.apps.values()];
    this.apps.clear();
    await Promise.all(apps.map((p) => p.then((a) => a?.stop()).catch(() => undefined)));
    for (const entry of this.log.values())
      if (entry.stoppingAt === null) entry.stoppingAt = new Date().toISOString();
  }

  private async start(task: DemoTask): Promise<TaskApp | undefined> {
    const o = this.options;
    const loopback = o.pool.allocate();
    this.log.set(task.taskArn, {
      taskArn: task.taskArn,
      service: task.service,
      cluster: task.cluster,
      eniId: task.eniId,
      eniIp: task.eniIp,
      loopback,
      vnis: [],
      mirrorSessionIds: [],
      runningAt: new Date().toISOString(),
      stoppingAt: null,
    });
    const calls = CALLS[task.service];
    const servicePort = PORTS[task.service];
    if (calls === undefined || servicePort === undefined) return undefined;
    try {
      o.directory.addLoopback(task, loopback);
      o.identity.alias(loopback, task.eniIp);
      await o.tap.attach(task, loopback);
      // The receiver learns the new task before its first packet (the next scheduled refresh would
      // find it too, a few seconds later).
      await o.resolver.refresh();
      if (o.mode === 'forwarder') {
        const vni = o.tap.vniOf(task);
        if (vni !== undefined) o.resolver.mirrorPoint(vni, loopback);
        await o.resolver.idle();
      }
      const app = new TaskApp({
        task,
        loopback,
        servicePort,
        calls,
        zone: o.zone,
        dns: o.dns,
        directory: o.directory,
        tap: o.tap,
        counters: this.counters,
      });
      await app.start();
      o.say(
        `task running: ${task.service} ${shortArn(task.taskArn)} ENI ${task.eniId} ${task.eniIp} (mirror traffic from ${loopback})`,
      );
      this.noteMirroring();
      return app;
    } catch (error) {
      o.onError(error, `starting the app of ${task.taskArn}`);
      return undefined;
    }
  }
}

export function shortArn(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1, taskArn.lastIndexOf('/') + 9);
}
