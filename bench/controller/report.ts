// Tables for the storm and the resync, side by side, plus "where the time goes".
import { type Audit, percentile } from './audit.ts';
import type { ResyncRun } from './controller-deployment.ts';
import type { IdleCapacity } from './idle-capacity.ts';
import type { LambdaStats } from './lambda-model.ts';
import type { NaiveStats } from './naive-handler.ts';
import type { QueueLambdaStats } from './queue-model.ts';
import type { ResyncResult } from './resync-phase.ts';
import type { Meter } from './sdk-meter.ts';

export interface StormResult {
  readonly tasks: number;
  readonly windowS: number;
  readonly speed: number;
  readonly faults: { eventLossRate: number; eventDuplicateRate: number; eventReorderRate: number };
  /** Emulated ms from the first RunTask until every task ran and both designs were idle. */
  readonly quietAfterMs: number;
  readonly eventConcurrency: number;
  readonly eventPath: 'queue' | 'direct';
  readonly queueStats: QueueLambdaStats | undefined;
  /** Share of real time each thread was busy during the storm (near 1: CPU-bound, times distorted). */
  readonly eventLoopBusy: { bench: number; controllerEmulator: number; naiveEmulator: number };
  /** Load average (1 min) before and after the storm; the benchmark thread's timer lag (real ms). */
  readonly machine: {
    loadBefore: number;
    loadAfter: number;
    lagP50Ms: number;
    lagP99Ms: number;
    lagMaxMs: number;
  };
  /** EC2's create bucket replayed over the controller's creates (idle-capacity.ts). */
  readonly idle: IdleCapacity;
  readonly controller: {
    readonly afterEvents: Audit;
    readonly afterResync: Audit;
    readonly resync: ResyncRun;
    readonly latency: readonly number[];
    /** The token-bucket bound of the same latencies (storm.ts bucketBound). */
    readonly bound: readonly number[];
    readonly requestsAfterEvents: Record<string, number>;
    readonly errorsAfterEvents: Record<string, number>;
    readonly requests: Record<string, number>;
    readonly errors: Record<string, number>;
    readonly eventsDelivered: number;
    readonly lambda: LambdaStats;
    readonly statuses: Record<string, number>;
    readonly meter: Meter;
    readonly waits: { backoffMs: number; backoffs: number; rateLimiterMs: number; rateLimiterWaits: number };
  };
  readonly naive: {
    readonly end: Audit;
    readonly latency: readonly number[];
    readonly requests: Record<string, number>;
    readonly errors: Record<string, number>;
    readonly eventsDelivered: number;
    readonly stats: NaiveStats;
  };
}

/** EC2 and ECS APIs either design calls (the benchmark's own RunTask calls are not counted). */
const APIS = [
  'CreateTrafficMirrorSession',
  'DescribeTrafficMirrorSessions',
  'DeleteTrafficMirrorSession',
  'ecs:DescribeTasks',
  'ecs:ListTasks',
  'ecs:ListClusters',
];

const THROTTLED = 'RequestLimitExceeded';

function seconds(ms: number): string {
  if (ms === Number.POSITIVE_INFINITY) return 'never';
  if (Number.isNaN(ms)) return '-';
  return `${(ms / 1000).toFixed(1)} s`;
}

function ratio(value: number, bound: number): string {
  if (value === Number.POSITIVE_INFINITY) return 'never';
  if (!(bound > 0)) return '- (bound <= 0)';
  return `${(value / bound).toFixed(2)}x`;
}

function total(requests: Record<string, number>): number {
  return APIS.reduce((sum, api) => sum + (requests[api] ?? 0), 0);
}

function perTask(n: number, tasks: number): string {
  return `${n} (${(n / tasks).toFixed(2)}/task)`;
}

function table(rows: readonly (readonly string[])[]): void {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const [n, row] of rows.entries()) {
    console.log(`| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`);
    if (n === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  }
}

function codes(record: Record<string, number>): string {
  const entries = Object.entries(record).filter(([, n]) => n > 0);
  return entries.length === 0 ? 'none' : entries.map(([c, n]) => `${c} ${n}`).join(', ');
}

function arrow(before: number, after: number): string {
  return before === after ? String(after) : `${before} -> ${after}`;
}

export function printStorm(r: StormResult): void {
  const c = r.controller;
  const n = r.naive;
  const t = r.tasks;
  const early = (l: readonly number[]) => l.filter((x) => x <= 0).length;
  console.log('');
  console.log(
    r.eventPath === 'queue'
      ? `## Deploy storm: ${t} tasks started within ${r.windowS} s; every time is emulated (AWS) time, run at ${r.speed}x; task events through the task-event queue (no reserved concurrency)`
      : `## Deploy storm: ${t} tasks started within ${r.windowS} s; every time is emulated (AWS) time, run at ${r.speed}x; task-event function concurrency ${r.eventConcurrency === 1000 ? 'unreserved (1,000)' : r.eventConcurrency}`,
  );
  console.log(
    `controller column: after the events -> after the next scheduled resync (${seconds(c.resync.planMs + c.resync.drainMs)}, ${c.resync.workItems} work items)`,
  );
  console.log('');
  table([
    ['', 'fargate-mirror controller', 'naive (aws-samples model)'],
    ['tasks running at the end', String(c.afterResync.runningTasks), String(n.end.runningTasks)],
    ['events delivered (after loss/duplication)', String(c.eventsDelivered), String(n.eventsDelivered)],
    ['sessions correct', arrow(c.afterEvents.correct, c.afterResync.correct), String(n.end.correct)],
    ['missing', arrow(c.afterEvents.missing, c.afterResync.missing), String(n.end.missing)],
    [
      'duplicate sessions',
      arrow(c.afterEvents.duplicates, c.afterResync.duplicates),
      String(n.end.duplicates),
    ],
    ['orphan sessions', arrow(c.afterEvents.orphans, c.afterResync.orphans), String(n.end.orphans)],
    ['RUNNING -> session, p50', seconds(percentile(c.latency, 0.5)), seconds(percentile(n.latency, 0.5))],
    ['RUNNING -> session, p99', seconds(percentile(c.latency, 0.99)), seconds(percentile(n.latency, 0.99))],
    ['RUNNING -> session, max', seconds(percentile(c.latency, 1)), seconds(percentile(n.latency, 1))],
    ['session in place by RUNNING', String(early(c.latency)), String(early(n.latency))],
    [
      'token-bucket bound p50 / p99 / max',
      `${seconds(percentile(c.bound, 0.5))} / ${seconds(percentile(c.bound, 0.99))} / ${seconds(percentile(c.bound, 1))}`,
      'same',
    ],
    [
      'p99 / bound p99 (goal <= 1.2)',
      ratio(percentile(c.latency, 0.99), percentile(c.bound, 0.99)),
      ratio(percentile(n.latency, 0.99), percentile(c.bound, 0.99)),
    ],
    [
      'throttling errors (RequestLimitExceeded answers)',
      arrow(c.errorsAfterEvents[THROTTLED] ?? 0, c.errors[THROTTLED] ?? 0),
      String(n.errors[THROTTLED] ?? 0),
    ],
    [
      'failures',
      `${c.lambda.failedInvocations} failed invocations (${c.lambda.retries} retried by Lambda, ${c.lambda.deadLettered} dead-lettered, ${c.lambda.timeouts} timeouts); ${c.statuses['failed'] ?? 0} terminal`,
      `${Object.values(n.stats.swallowed).reduce((a, b) => a + b, 0)} errors swallowed (${codes(n.stats.swallowed)})`,
    ],
    [
      'API calls (EC2 + ECS attempts)',
      `${perTask(total(c.requestsAfterEvents), t)} + ${total(c.requests) - total(c.requestsAfterEvents)} resync`,
      perTask(total(n.requests), t),
    ],
    ...APIS.filter((api) => (c.requests[api] ?? 0) + (n.requests[api] ?? 0) > 0).map((api) => [
      `  ${api}`,
      `${perTask(c.requestsAfterEvents[api] ?? 0, t)} + ${(c.requests[api] ?? 0) - (c.requestsAfterEvents[api] ?? 0)} resync`,
      perTask(n.requests[api] ?? 0, t),
    ]),
  ]);
  console.log('');
  console.log(`handler answers: ${codes(c.statuses)}`);
  if (r.queueStats) {
    const q = r.queueStats;
    console.log(
      `task-event queue (controller): ${q.messagesSent} messages (${q.messagesSent - c.eventsDelivered} re-queued after throttling), ${q.invocations} worker invocations, largest batch ${q.largestBatch}, ${q.containers} containers, ${q.failedMessages} messages returned (${q.redelivered} redelivered, ${q.deadLettered} dead-lettered), ${q.timeouts} timeouts`,
    );
  } else {
    console.log(
      `Lambda (controller): ${c.lambda.invocations} invocations, ${c.lambda.containers} containers, peak concurrency ${c.lambda.peakConcurrency}`,
    );
  }
  console.log(`other error answers: controller ${codes(c.errors)}; naive ${codes(n.errors)}`);
  console.log('');
  console.log('### Where the time goes (storm)');
  const b = r.eventLoopBusy;
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  console.log(
    `- this machine (2 cores): busy ${pct(b.bench)} in the benchmark thread (both designs' SDK clients and handlers), ${pct(b.controllerEmulator)} and ${pct(b.naiveEmulator)} in the two emulator threads${Math.max(b.bench, b.controllerEmulator, b.naiveEmulator) > 0.8 ? ': CPU-bound, so part of the times above is this machine, not AWS; lower --speed' : ''}.`,
  );
  const m = r.machine;
  console.log(
    `- load average ${m.loadBefore.toFixed(1)} before, ${m.loadAfter.toFixed(1)} after; the benchmark thread's timers fired late by p50 ${m.lagP50Ms.toFixed(0)} ms, p99 ${m.lagP99Ms.toFixed(0)} ms, max ${m.lagMaxMs.toFixed(0)} ms (real; x${r.speed} in AWS time).`,
  );
  console.log(
    `- EC2's create bucket replayed over the controller's creates: tasks waited for a session during ${seconds(r.idle.waitingMs)}, and during ${seconds(r.idle.unusedWhileWaitingMs)} of it the bucket held a token nobody used (time lost by the controller or this machine; 0 means every wait was EC2's bucket).`,
  );
  const creates = c.requestsAfterEvents['CreateTrafficMirrorSession'] ?? 0;
  const describes = c.requestsAfterEvents['DescribeTrafficMirrorSessions'] ?? 0;
  const ok = (api: string) => {
    const s = c.meter.get(api);
    return s ? s.calls - Object.values(s.errors).reduce((a, b) => a + b, 0) : 0;
  };
  console.log(
    `- EC2's buckets set the pace: CreateTrafficMirrorSession 50 burst + 5/s, so ${ok('CreateTrafficMirrorSession')} creates need >= ${seconds(Math.max(0, ok('CreateTrafficMirrorSession') - 50) * 200)}; DescribeTrafficMirrorSessions 100 + 20/s, so ${ok('DescribeTrafficMirrorSessions')} reads need >= ${seconds(Math.max(0, ok('DescribeTrafficMirrorSessions') - 100) * 50)}. The storm itself lasts ${r.windowS} s; everything was quiet ${seconds(r.quietAfterMs)} after the first start.`,
  );
  console.log(
    `- controller: ${creates} create and ${describes} describe attempts reached EC2 during the events; its SDK clients slept ${seconds(c.waits.backoffMs)} of back-off (${c.waits.backoffs} retries) and ${seconds(c.waits.rateLimiterMs)} in the adaptive rate limiter (${c.waits.rateLimiterWaits} waits), summed over concurrent calls.`,
  );
  console.log(
    '- controller calls, client side (mean emulated time per call, throttled retries and waits included):',
  );
  for (const [op, s] of [...c.meter].sort((a, b) => b[1].elapsedMs - a[1].elapsedMs)) {
    console.log(
      `    ${op.padEnd(32)} ${String(s.calls).padStart(6)} calls ${String(s.attempts).padStart(6)} attempts  mean ${seconds(s.elapsedMs / s.calls).padStart(8)}  errors: ${codes(s.errors)}`,
    );
  }
  console.log(
    `- naive: ${n.stats.invocations} invocations, ${n.stats.creates} sessions created, ${n.stats.throttledAttempts} throttled attempts; boto3's legacy retries give up after 5 attempts (at most ~15 s of back-off), and the handler swallows the error, so each give-up is a task without a session for good.`,
  );
}

export function printResync(r: ResyncResult): void {
  console.log('');
  console.log(
    `## Resync of ${r.tasks} running tasks (${r.speed}x; emulated time); the naive design has none`,
  );
  console.log('');
  const rows: string[][] = [
    ['', 'first pass (no sessions yet)', 'second pass (all in place)'],
    ['time to read and plan', seconds(r.first.run.planMs), seconds(r.second.run.planMs)],
    ['time to drain the work queue', seconds(r.first.run.drainMs), seconds(r.second.run.drainMs)],
    ['work items queued', String(r.first.run.workItems), String(r.second.run.workItems)],
    [
      'redelivered / dead-lettered',
      `${r.first.run.redelivered} / ${r.first.run.deadLettered}`,
      `${r.second.run.redelivered} / ${r.second.run.deadLettered}`,
    ],
    [
      'sessions correct / missing / duplicate / orphan',
      `${r.first.audit.correct} / ${r.first.audit.missing} / ${r.first.audit.duplicates} / ${r.first.audit.orphans}`,
      `${r.second.audit.correct} / ${r.second.audit.missing} / ${r.second.audit.duplicates} / ${r.second.audit.orphans}`,
    ],
    [
      'API calls (attempts)',
      perTask(total(r.first.requests), r.tasks),
      perTask(total(r.second.requests), r.tasks),
    ],
    ...APIS.filter((api) => (r.first.requests[api] ?? 0) + (r.second.requests[api] ?? 0) > 0).map((api) => [
      `  ${api}`,
      perTask(r.first.requests[api] ?? 0, r.tasks),
      perTask(r.second.requests[api] ?? 0, r.tasks),
    ]),
    ['throttling errors', String(r.first.errors[THROTTLED] ?? 0), String(r.second.errors[THROTTLED] ?? 0)],
    [
      'SDK back-off / rate-limiter sleep (call-time)',
      `${seconds(r.first.waits.backoffMs)} / ${seconds(r.first.waits.rateLimiterMs)}`,
      `${seconds(r.second.waits.backoffMs)} / ${seconds(r.second.waits.rateLimiterMs)}`,
    ],
  ];
  table(rows);
  console.log('');
  console.log('### Where the time goes (resync)');
  const creates = r.first.requests['CreateTrafficMirrorSession'] ?? 0;
  const made = r.first.audit.correct;
  const bound = Math.max(0, made - 50) * 200;
  console.log(
    `- creates: ${made} sessions through EC2's 5/s mutating bucket is >= ${seconds(bound)}; the first pass drained in ${seconds(r.first.run.drainMs)} (${creates} create attempts, ${r.first.errors[THROTTLED] ?? 0} throttled answers).`,
  );
  if (r.first.run.drainMs > 1.2 * bound) {
    console.log(
      `- slower than EC2's bucket allows${(r.first.errors[THROTTLED] ?? 0) === 0 ? ', with no throttling at all' : ''}: the emulator's per-call time on this machine, times ${r.speed}, is the bottleneck here, not AWS; a lower --resync-speed gets closer to the bucket.`,
    );
  }
  console.log(
    `- reads: one full read costs ListTasks/DescribeTasks by 100 and DescribeTrafficMirrorSessions by 1,000 per page: ${perTask(total(r.second.requests), r.tasks)} when nothing differs.`,
  );
}
