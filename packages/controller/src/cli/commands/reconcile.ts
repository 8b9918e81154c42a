import { Command, Option } from 'commander';
import { type Flags, type Io, run, verboseLog, withCommon } from '../command-base.js';
import { withContext } from '../context.js';
import { actionsText, planProblemsText, taskLabels } from '../plan-text.js';
import { Progress } from '../progress.js';
import { formatTable } from '../table.js';

export function reconcileCommand(io: Io): Command {
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
      run(io, 'reconcile', async () => {
        return withContext(flags, verboseLog(io, flags), async (ctx) => {
          const progress = new Progress(io.err);
          const planned = await ctx.reconciler.plan((p, d, t) => progress.update(p, d, t));
          const taskOf = taskLabels(planned);
          const actions = planned.plans.flatMap((p) => p.actions);
          const unmirrorable = planned.plans.filter((p) => p.unmirrorable && !p.keep).length;
          if (!flags.json) {
            io.out.write(
              actionsText(
                actions,
                taskOf,
                unmirrorable > 0
                  ? `nothing to do, but ${unmirrorable} selected source(s) cannot be mirrored (below)`
                  : 'nothing to do: every selected task has its session',
              ),
            );
            io.out.write(planProblemsText(planned));
          }
          if (flags.dryRun) {
            if (flags.json) io.out.write(`${JSON.stringify({ dryRun: true, actions }, null, 2)}\n`);
            return 0;
          }
          // The plan just printed is the one applied: planning again would read a newer world and
          // print a summary that contradicts the actions above.
          const report = await ctx.reconciler.resync({
            planned,
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
          return failed.length > 0 || planned.world.missingClusters.length > 0 ? 1 : 0;
        });
      }),
    );
}
