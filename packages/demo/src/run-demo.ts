import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AwsLocal, startAwsLocal } from '@fargate-mirror/aws-local';
import { AwsIdentitySource, createRecordEnricher, IdentityResolver } from '@fargate-mirror/receiver';
import { DnsResponder } from './apps/dns-responder.js';
import { TaskDirectory } from './apps/task-directory.js';
import { shortArn, TaskFleet, type TaskLogEntry } from './apps/task-fleet.js';
import { createDemoClients } from './aws/clients.js';
import {
  createCluster,
  createMirrorResources,
  createServices,
  DEMO_CLUSTER,
  DEMO_SERVICES,
  scaleService,
} from './aws/demo-cloud.js';
import { SessionWatcher } from './aws/session-watcher.js';
import { TaskWatcher } from './aws/task-watcher.js';
import { ControllerRunner, type RefusedSource } from './control/controller-runner.js';
import { DemoError } from './errors.js';
import { LoopbackPool } from './mirror/loopback-pool.js';
import { MirrorTap } from './mirror/mirror-tap.js';
import { type DemoMode, type DemoOptions, resolveDemoOptions } from './options.js';
import { DemoReceiver } from './receiver/demo-receiver.js';
import { LoopbackIdentitySource } from './receiver/loopback-identity-source.js';
import { createRunDir } from './run-dir.js';
import { RecordTally } from './summary/record-tally.js';
import { summaryLine } from './summary/summary-lines.js';
import { startDemoUi } from './ui/demo-ui.js';

/** What a finished run produced. */
export interface DemoResult {
  readonly mode: DemoMode;
  /** The run's own directory (records.jsonl, pcap/, tasks.json, summary.json). */
  readonly dir: string;
  readonly recordsPath: string;
  readonly pcapDir: string;
  readonly tasksPath: string;
  readonly tasks: readonly TaskLogEntry[];
  readonly records: number;
  readonly refusals: readonly RefusedSource[];
}

const ZONE = 'demo.internal';
const STARTUP_TIMEOUT_MS = 60_000;
const MODE_TEXT: Record<DemoMode, string> = {
  native:
    'NATIVE: VPC Traffic Mirroring sessions on the task ENIs (aws-local set to accept task ENIs as mirror sources)',
  forwarder:
    'FORWARDER: the fargate-mirror sidecar in every task sends the mirror format itself (aws-local refuses task ENIs as mirror sources, as AWS documents today)',
};

/**
 * The whole system on one machine, without AWS or root: aws-local, the controller (event handler and
 * resync), the receiver, and two services whose tasks exchange real HTTP and DNS on loopback, turned
 * into mirrored VXLAN from a loopback address per task ENI. Scales `api` up and `web` down midway.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const o = resolveDemoOptions(options);
  const say = (line: string) => o.output.write(`${line}\n`);
  const dir = createRunDir(o.outDir);
  let errorsShown = 0;
  const onError = (error: unknown, what: string) => {
    if (errorsShown++ < 5) say(`warning: ${what}: ${error instanceof Error ? error.message : String(error)}`);
  };
  say(`fargate-mirror demo: mode ${MODE_TEXT[o.mode]}`);
  say(`outputs: ${dir}`);

  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        onError(error, 'shutting down');
      }
    }
    cleanups.length = 0;
  };
  try {
    const aws: AwsLocal = await startAwsLocal({
      port: 0,
      speed: o.speed,
      taskEniSources: o.mode === 'native' ? 'accept' : 'reject',
    });
    cleanups.push(() => aws.close());
    const clients = createDemoClients(aws.url);
    cleanups.push(() => clients.destroy());
    say(
      `aws-local: ${aws.url} (EC2 and ECS APIs; task ENIs as mirror sources: ${o.mode === 'native' ? 'accepted' : 'refused'})`,
    );

    const cloud = await createMirrorResources(clients);
    await createCluster(clients);
    say(
      `mirror target ${cloud.targetId} (receiver ENI ${cloud.receiverEniId}), filter ${cloud.filterId} (accept all)`,
    );

    // The receiver resolves identity from EC2 and ECS like in AWS; only the loopback stand-ins are the demo's.
    const identity = new LoopbackIdentitySource(
      new AwsIdentitySource({
        clusters: [DEMO_CLUSTER],
        ec2: clients.ec2,
        ecs: clients.ecs,
        minTaskSweepMs: 500,
      }),
    );
    const resolver = new IdentityResolver({
      source: identity,
      refreshMs: 2000,
      negativeTtlMs: 1000,
      onError: (error, what) => onError(error, what),
    });
    await resolver.start();
    cleanups.push(async () => {
      resolver.stop();
      // Look-ups the last records queued finish while aws-local still answers.
      await resolver.idle();
    });
    const tally = new RecordTally();
    let onUiRecord: ((record: unknown) => void) | undefined;
    const receiver = new DemoReceiver({
      dir,
      enrich: createRecordEnricher(resolver),
      onRecord: (record) => {
        tally.add(record);
        onUiRecord?.(record);
      },
    });
    const receiverPort = await receiver.start();
    cleanups.push(() => receiver.close());
    say(`receiver: VXLAN on udp 127.0.0.1:${receiverPort}`);
    if (o.uiPort !== false) {
      const ui = await startDemoUi(o.uiPort, receiver);
      onUiRecord = (record) => ui.view.add(record);
      cleanups.push(() => ui.close());
      say(`live page: ${ui.url}`);
    }

    const sessions = new SessionWatcher(
      clients,
      cloud.targetId,
      (e) => onError(e, 'reading mirror sessions'),
      () => {
        void resolver.refresh();
        fleet.noteMirroring();
      },
    );
    const tap = new MirrorTap({
      mode: o.mode,
      sessions,
      receiverHost: '127.0.0.1',
      receiverPort,
      onError: (e) => onError(e, 'sending mirror traffic'),
    });
    cleanups.push(() => tap.close());
    const pool = new LoopbackPool();
    const directory = new TaskDirectory();
    const dnsServer = new DnsResponder({
      loopback: pool.resolverAddress,
      resolverIp: cloud.resolverIp,
      zone: ZONE,
      directory,
      tap,
    });
    const dns = await dnsServer.listen();
    cleanups.push(() => dnsServer.close());
    const fleet = new TaskFleet({
      mode: o.mode,
      zone: ZONE,
      dns,
      pool,
      directory,
      tap,
      sessions,
      identity,
      resolver,
      say,
      onError,
    });
    cleanups.push(() => fleet.stopAll());

    const controller = new ControllerRunner({
      aws,
      clients,
      cluster: DEMO_CLUSTER,
      targetId: cloud.targetId,
      filterId: cloud.filterId,
      onError,
    });
    controller.start();
    cleanups.push(() => controller.stop());
    sessions.start();
    cleanups.push(() => sessions.stop());
    const watcher = new TaskWatcher(clients, DEMO_CLUSTER, {
      onRunning: fleet.onRunning,
      onStopping: fleet.onStopping,
      onError: (e) => onError(e, 'reading tasks'),
    });
    const unsubscribe = aws.onEvent(() => void watcher.poke());
    watcher.start();
    cleanups.push(() => {
      unsubscribe();
      watcher.stop();
    });

    await createServices(clients, cloud, o.mode);
    say(
      `cluster ${DEMO_CLUSTER}: services ${DEMO_SERVICES.map((s) => `${s.name} (${s.desiredCount} tasks)`).join(', ')}`,
    );
    const expected = DEMO_SERVICES.reduce((n, s) => n + s.desiredCount, 0);
    await waitFor(
      () => fleet.log.size >= expected,
      STARTUP_TIMEOUT_MS,
      o.signal,
      `${expected} running tasks`,
    );
    if (o.mode === 'native') {
      await waitFor(() => sessions.count >= expected, 15_000, o.signal, 'mirror sessions').catch(
        () => undefined,
      );
    } else {
      await controller.resync();
    }
    const shown = new Set<string>();
    reportRefusals(controller, fleet, say, shown);

    say(`traffic for ${o.durationMs / 1000} s: web -> api (DNS + HTTP), api -> web (DNS + HTTP)`);
    const started = Date.now();
    const scaleUpAt = started + o.durationMs * 0.35;
    const scaleDownAt = started + o.durationMs * 0.65;
    let scaledUp = false;
    let scaledDown = false;
    let nextSummary = started + o.summaryEveryMs;
    const parts = { mode: o.mode, fleet, sessions, controller, tap, receiver, tally };
    while (Date.now() < started + o.durationMs && !o.signal?.aborted) {
      await sleep(100, o.signal);
      const now = Date.now();
      if (!scaledUp && now >= scaleUpAt) {
        scaledUp = true;
        say('scaling api to 3 tasks');
        await scaleService(clients, 'api', 3).catch((e: unknown) => onError(e, 'scaling api'));
      }
      if (!scaledDown && now >= scaleDownAt) {
        scaledDown = true;
        say('scaling web to 1 task');
        await scaleService(clients, 'web', 1).catch((e: unknown) => onError(e, 'scaling web'));
      }
      reportRefusals(controller, fleet, say, shown);
      if (now >= nextSummary) {
        nextSummary += o.summaryEveryMs;
        fleet.noteMirroring();
        say(summaryLine(now - started, parts));
      }
    }

    say('stopping: traffic ends, open connections close, the receiver ends its flows');
    watcher.stop();
    fleet.noteMirroring();
    await fleet.stopAll();
    // Let the last mirrored datagrams reach the receiver's socket before it stops reading.
    await sleep(300);
    await controller.stop();
    await receiver.close();
    say(summaryLine(Date.now() - started, parts).replace(/^\[ *\d+s\]/, '[end]'));

    const tasks = [...fleet.log.values()];
    const tasksPath = join(dir, 'tasks.json');
    writeFileSync(tasksPath, `${JSON.stringify(tasks, null, 2)}\n`, { mode: 0o600 });
    const refusals = [...controller.refused.values()];
    const result: DemoResult = {
      mode: o.mode,
      dir,
      recordsPath: receiver.recordsPath,
      pcapDir: receiver.pcapDir,
      tasksPath,
      tasks,
      records: tally.total,
      refusals,
    };
    writeFileSync(
      join(dir, 'summary.json'),
      `${JSON.stringify(
        {
          mode: o.mode,
          tasks: tasks.length,
          sessionsCreated: sessions.everSeen.size,
          refusals: refusals.length,
          packets: tap.stats.packets,
          mirroredDatagrams: receiver.pipeline.stats.mirrored,
          duplicatesRemoved: receiver.pipeline.dedup?.stats.duplicates ?? 0,
          records: Object.fromEntries(tally.byType),
          recordsNamingAWorkload: tally.withWorkload,
          httpByService: Object.fromEntries(tally.httpByService),
          httpRequestsMade: fleet.counters.requests,
        },
        null,
        2,
      )}\n`,
      { mode: 0o600 },
    );
    say(
      `done: ${tasks.length} tasks, ${o.mode === 'native' ? `${sessions.everSeen.size} mirror sessions` : `${refusals.length} refused sources mirrored by the forwarder`}, ` +
        `${tally.total} records (${tally.withWorkload} name an ECS workload)`,
    );
    say(`records: ${receiver.recordsPath}`);
    say(`pcap:    ${receiver.pcapDir}/ (decapsulated inner frames; raw payload, owner-only)`);
    say(`tasks:   ${tasksPath}`);
    return result;
  } finally {
    await cleanup();
  }
}

/** Each refused ENI once; AWS's full answer and the controller's remedy only the first time. */
function reportRefusals(
  controller: ControllerRunner,
  fleet: TaskFleet,
  say: (line: string) => void,
  shown: Set<string>,
): void {
  for (const r of controller.refused.values()) {
    if (shown.has(r.eniId)) continue;
    const task = [...fleet.log.values()].find((t) => t.eniId === r.eniId);
    const who = task === undefined ? r.eniId : `${r.eniId} (${task.service} ${shortArn(task.taskArn)})`;
    say(
      shown.size === 0 ? `refused: ${who}: ${r.reason}\n  remedy: ${r.remedy}` : `refused: ${who}: ${r.code}`,
    );
    shown.add(r.eniId);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

async function waitFor(
  condition: () => boolean,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (signal?.aborted) return;
    if (Date.now() > deadline) {
      throw new DemoError('DEMO_SETUP_FAILED', `timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    }
    await sleep(100);
  }
}
