import { Command } from 'commander';
import { coverageOf } from '../../coverage.js';
import { type Flags, type Io, run, withCommon } from '../command-base.js';
import { withContext } from '../context.js';
import { actionsText, taskLabels } from '../plan-text.js';
import { formatTable, shortArn } from '../table.js';

export function planCommand(io: Io): Command {
  return withCommon(new Command('plan'))
    .description('what reconcile would do, and why each task is or is not selected (reads every cluster)')
    .option('--json', 'print JSON')
    .action(async (flags: Flags & { json?: boolean }) =>
      run(io, 'plan', async () => {
        return withContext(flags, undefined, async (ctx) => {
          const planned = await ctx.reconciler.plan(undefined, { explain: true });
          const coverage = coverageOf(planned, ctx.config.owner, ctx.config.accountSessionQuota);
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
          const taskOf = taskLabels(planned);
          io.out.write(actionsText(actions, taskOf, 'reconcile would change nothing'));
          for (const c of planned.world.missingClusters)
            io.out.write(`cluster not found: ${c} (skipped; the others were read)\n`);
          for (const r of coverage.rows.filter((x) => x.state === 'unmirrorable')) {
            io.out.write(`not mirrorable: ${shortArn(r.taskArn)} ${r.note}\n`);
          }
          return 0;
        });
      }),
    );
}
