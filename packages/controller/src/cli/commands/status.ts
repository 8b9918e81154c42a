import { Command } from 'commander';
import { coverageOf } from '../../coverage.js';
import { type Flags, type Io, run, withCommon } from '../command-base.js';
import { withContext } from '../context.js';
import { formatTable, shortArn } from '../table.js';

export function statusCommand(io: Io): Command {
  return withCommon(new Command('status'))
    .description('coverage: every selected task, its ENI, session and VNI, or why it has none')
    .option('--json', 'print JSON')
    .option('--all', 'include tasks outside the selection')
    .action(async (flags: Flags & { json?: boolean; all?: boolean }) =>
      run(io, 'status', async () => {
        return withContext(flags, undefined, async (ctx) => {
          const planned = await ctx.reconciler.plan(undefined, { explain: flags.all === true });
          const coverage = coverageOf(planned, ctx.config.owner, ctx.config.accountSessionQuota);
          const rows = flags.all ? coverage.rows : coverage.rows.filter((r) => r.selected);
          if (flags.json) {
            io.out.write(
              `${JSON.stringify({ ...coverage, rows, missingClusters: planned.world.missingClusters }, null, 2)}\n`,
            );
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
          for (const c of planned.world.missingClusters)
            io.out.write(`cluster not found: ${c} (skipped; the others were read)\n`);
          for (const l of coverage.leftovers)
            io.out.write(`leftover on ${l.eniId}: ${l.sessionIds.join(', ')} (${l.note})\n`);
          const s = coverage.summary;
          io.out.write(
            `${s.selected} selected task(s): ${s.mirrored} mirrored, ${s.missing} missing, ${s.unmirrorable} unmirrorable, ${s.pending} pending, ${s.hidden} hidden; ${s.leftoverSessions} leftover session(s)\n`,
          );
          return 0;
        });
      }),
    );
}
