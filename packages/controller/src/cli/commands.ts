import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import type { Action } from '../core/plan.js';
import { coverageOf } from '../coverage.js';
import { isControllerError } from '../errors.js';
import { createTaskEventHandler } from '../lambda/task-event-handler.js';
import { MemoryMetrics } from '../lambda/telemetry.js';
import { silentLog } from '../log.js';
import { type CommonOptions, openContext, stderrLog } from './context.js';
import { Progress } from './progress.js';
import { formatTable, shortArn } from './table.js';

export interface ControllerCommandsIo {
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin?: NodeJS.ReadableStream;
}

interface Io {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
}

type Flags = CommonOptions & { verbose?: boolean };

function withCommon(cmd: Command): Command {
  return cmd
    .requiredOption('--config <file>', 'controller configuration (JSON or YAML)')
    .option('--endpoint-url <url>', 'EC2/ECS endpoint, e.g. aws-local (default: AWS_ENDPOINT_URL, else AWS)')
    .option('--region <region>', 'AWS region (default: the SDK default configuration)')
    .option('--verbose', 'log every write as JSON lines on stderr');
}

function actionRow(a: Action, taskOf: (eniId: string) => string): string[] {
  if (a.kind === 'create') {
    return [
      a.eniId,
      taskOf(a.eniId),
      'create',
      `#${a.spec.sessionNumber}${a.spec.vni ? ` vni ${a.spec.vni}` : ''}`,
      'selected task has no session',
    ];
  }
  return [a.eniId, taskOf(a.eniId), 'delete', a.sessionId, a.reason];
}

/** Runs a command body: errors become one clear line on stderr and exit code 1 (2 for bad config). */
async function run(io: Io, body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (error) {
    const code = isControllerError(error) ? error.code : 'UNEXPECTED';
    io.err.write(`fargate-mirror: ${code}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = code.startsWith('CONFIG_') ? 2 : 1;
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function reconcileCommand(io: Io): Command {
  return withCommon(new Command('reconcile'))
    .description(
      'full resync in this process: one session of ours on every selected task ENI, none elsewhere',
    )
    .option('--dry-run', 'print the actions without making them')
    .addOption(
      new Option('--concurrency <n>', 'ENIs worked at once')
        .default(4)
        .argParser((v) => Number.parseInt(v, 10)),
    )
    .option('--json', 'print the report as JSON')
    .action(async (flags: Flags & { dryRun?: boolean; concurrency: number; json?: boolean }) =>
      run(io, async () => {
        const ctx = await openContext(flags, flags.verbose ? stderrLog(io.err) : undefined);
        try {
          const progress = new Progress(io.err);
          const planned = await ctx.reconciler.plan((p, d, t) => progress.update(p, d, t));
          const taskOf = (eniId: string) => {
            const p = planned.plans.find((x) => x.eniId === eniId);
            return p?.source ? shortArn(p.source.containerInstanceArn ?? p.source.taskArns[0]) : '(leftover)';
          };
          const actions = planned.plans.flatMap((p) => p.actions);
          if (!flags.json) {
            io.out.write(
              actions.length === 0
                ? 'nothing to do: every selected task has its session\n'
                : `${formatTable(
                    ['ENI', 'TASK', 'ACTION', 'SESSION', 'REASON'],
                    actions.map((a) => actionRow(a, taskOf)),
                  )}\n`,
            );
          }
          if (flags.dryRun) {
            if (flags.json) io.out.write(`${JSON.stringify({ dryRun: true, actions }, null, 2)}\n`);
            return 0;
          }
          const report = await ctx.reconciler.resync({
            concurrency: flags.concurrency,
            progress: (p, d, t) => progress.update(p, d, t),
          });
          progress.end();
          const failed = report.results.filter((r) => r.outcome === 'failed');
          if (flags.json) {
            io.out.write(`${JSON.stringify({ tally: report.tally, results: report.results }, null, 2)}\n`);
          } else {
            if (report.results.length > 0) {
              const rows = report.results.map((r) => [
                r.eniId,
                taskOf(r.eniId),
                r.outcome,
                r.sessionId ?? '-',
                r.error
                  ? `${r.error.code}: ${r.error.message}`
                  : (r.unmirrorable?.reason ??
                    (r.hiddenBy.length ? `hidden by ${r.hiddenBy.join(', ')}` : '')),
              ]);
              io.out.write(`${formatTable(['ENI', 'TASK', 'OUTCOME', 'SESSION', 'NOTE'], rows)}\n`);
            }
            const t = report.tally;
            io.out.write(
              `created ${t.created}, deleted ${t.deleted}, unchanged ${t.unchanged}, unmirrorable ${t.unmirrorable}, hidden ${t.hidden}, failed ${t.failed}\n`,
            );
          }
          return failed.length > 0 ? 1 : 0;
        } finally {
          ctx.close();
        }
      }),
    );
}

function handleEventCommand(io: Io): Command {
  return withCommon(new Command('handle-event'))
    .description('run the task-state-change handler on an event (a local invoke): FILE, or - for stdin')
    .argument('<file>', 'event JSON (one event or an array of events); - reads stdin')
    .action(async (file: string, flags: Flags) =>
      run(io, async () => {
        const text = file === '-' ? await readAll(io.stdin) : await readFile(file, 'utf8');
        let events: unknown;
        try {
          events = JSON.parse(text);
        } catch (error) {
          io.err.write(`fargate-mirror: EVENT_MALFORMED: ${file}: not JSON: ${(error as Error).message}\n`);
          return 1;
        }
        const ctx = await openContext(flags, flags.verbose ? stderrLog(io.err) : undefined);
        try {
          const metrics = new MemoryMetrics();
          const handle = createTaskEventHandler({
            reconciler: ctx.reconciler,
            metrics,
            log: flags.verbose ? stderrLog(io.err) : silentLog,
          });
          let worst = 0;
          for (const event of Array.isArray(events) ? events : [events]) {
            const report = await handle(event);
            io.out.write(`${JSON.stringify(report)}\n`);
            if (report.status === 'malformed' || report.status === 'failed') worst = 1;
          }
          return worst;
        } finally {
          ctx.close();
        }
      }),
    );
}

function statusCommand(io: Io): Command {
  return withCommon(new Command('status'))
    .description('coverage: every selected task, its ENI, session and VNI, or why it has none')
    .option('--json', 'print JSON')
    .option('--all', 'include tasks outside the selection')
    .action(async (flags: Flags & { json?: boolean; all?: boolean }) =>
      run(io, async () => {
        const ctx = await openContext(flags);
        try {
          const planned = await ctx.reconciler.plan(undefined, { explain: flags.all === true });
          const coverage = coverageOf(planned, ctx.config.owner);
          const rows = flags.all ? coverage.rows : coverage.rows.filter((r) => r.selected);
          if (flags.json) {
            io.out.write(`${JSON.stringify({ ...coverage, rows }, null, 2)}\n`);
            return 0;
          }
          const table = rows.map((r) => [
            shortArn(r.taskArn),
            r.cluster,
            r.workload,
            r.eniId ?? '-',
            r.sessionId ?? '-',
            r.vni === undefined ? '-' : String(r.vni),
            r.state,
            r.state === 'mirrored' && r.hiddenBy.length === 0 ? '' : r.note,
          ]);
          io.out.write(
            `${formatTable(['TASK', 'CLUSTER', 'SERVICE', 'ENI', 'SESSION', 'VNI', 'STATE', 'WHY'], table)}\n`,
          );
          for (const l of coverage.leftovers)
            io.out.write(`leftover on ${l.eniId}: ${l.sessionIds.join(', ')} (${l.note})\n`);
          const s = coverage.summary;
          io.out.write(
            `${s.selected} selected task(s): ${s.mirrored} mirrored, ${s.missing} missing, ${s.unmirrorable} unmirrorable, ${s.pending} pending, ${s.hidden} hidden; ${s.leftoverSessions} leftover session(s)\n`,
          );
          return 0;
        } finally {
          ctx.close();
        }
      }),
    );
}

function planCommand(io: Io): Command {
  return withCommon(new Command('plan'))
    .description('what reconcile would do, and why each task is or is not selected (reads every cluster)')
    .option('--json', 'print JSON')
    .action(async (flags: Flags & { json?: boolean }) =>
      run(io, async () => {
        const ctx = await openContext(flags);
        try {
          const planned = await ctx.reconciler.plan(undefined, { explain: true });
          const coverage = coverageOf(planned, ctx.config.owner);
          const actions = planned.plans.flatMap((p) => p.actions);
          if (flags.json) {
            const tasks = planned.desired.tasks.map((d) => ({
              taskArn: d.task.taskArn,
              selected: d.decision.selected,
              why: d.decision.reason,
              state: d.state,
              detail: d.detail,
              eniId: d.eniId,
            }));
            io.out.write(`${JSON.stringify({ tasks, actions, workItems: planned.workItems }, null, 2)}\n`);
            return 0;
          }
          const rows = planned.desired.tasks.map((d) => [
            shortArn(d.task.taskArn),
            d.task.serviceName ?? `family:${d.task.family}`,
            d.decision.selected ? 'yes' : 'no',
            d.decision.selected ? d.detail : d.decision.reason,
          ]);
          io.out.write(`${formatTable(['TASK', 'SERVICE', 'SELECTED', 'WHY'], rows)}\n\n`);
          const taskOf = (eniId: string) => {
            const p = planned.plans.find((x) => x.eniId === eniId);
            return p?.source ? shortArn(p.source.containerInstanceArn ?? p.source.taskArns[0]) : '(leftover)';
          };
          io.out.write(
            actions.length === 0
              ? 'reconcile would change nothing\n'
              : `${formatTable(
                  ['ENI', 'TASK', 'ACTION', 'SESSION', 'REASON'],
                  actions.map((a) => actionRow(a, taskOf)),
                )}\n`,
          );
          for (const r of coverage.rows.filter((x) => x.state === 'unmirrorable')) {
            io.out.write(`not mirrorable: ${shortArn(r.taskArn)} ${r.note}\n`);
          }
          return 0;
        } finally {
          ctx.close();
        }
      }),
    );
}

function cleanupCommand(io: Io): Command {
  return withCommon(new Command('cleanup'))
    .description('delete every session of this owner (the owner tag), nothing else')
    .option('--dry-run', 'list them without deleting')
    .action(async (flags: Flags & { dryRun?: boolean }) =>
      run(io, async () => {
        const ctx = await openContext(flags, flags.verbose ? stderrLog(io.err) : undefined);
        try {
          const { actions, results } = await ctx.reconciler.cleanup({ dryRun: flags.dryRun });
          const rows = actions.map((a, i) => {
            const r = results[i];
            return [
              a.eniId,
              a.kind === 'delete' ? a.sessionId : '-',
              flags.dryRun ? 'would delete' : (r?.result ?? '-'),
              r?.errorCode ?? '',
            ];
          });
          if (rows.length > 0) io.out.write(`${formatTable(['ENI', 'SESSION', 'RESULT', 'ERROR'], rows)}\n`);
          io.out.write(
            `${actions.length} session(s) of owner ${ctx.config.owner}${flags.dryRun ? ' (dry run)' : ''}\n`,
          );
          return results.some((r) => r.result === 'failed') ? 1 : 0;
        } finally {
          ctx.close();
        }
      }),
    );
}

/**
 * The controller's commands for the `fargate-mirror` binary: `reconcile`, `handle-event`, `status`,
 * `plan`, `cleanup`. Each takes `--config FILE`, `--endpoint-url URL` and `--region`.
 */
export function createControllerCommands(streams: ControllerCommandsIo = {}): Command[] {
  const io: Io = {
    out: streams.stdout ?? process.stdout,
    err: streams.stderr ?? process.stderr,
    stdin: streams.stdin ?? process.stdin,
  };
  return [
    reconcileCommand(io),
    handleEventCommand(io),
    statusCommand(io),
    planCommand(io),
    cleanupCommand(io),
  ];
}
