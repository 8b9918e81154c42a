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
    .option(
      '--fail-on-uncovered',
      'exit 1 when a selected running task is neither mirrored by a session nor covered by a forwarder sidecar',
    )
    .action(async (flags: Flags & { json?: boolean; all?: boolean; failOnUncovered?: boolean }) =>
      run(io, 'status', async () => {
        return withContext(flags, undefined, async (ctx) => {
          const planned = await ctx.reconciler.plan(undefined, { explain: flags.all === true });
          // The plan already names the ENIs AWS refuses, predicted from what EC2 says about them
          // (predictRefusals), so a new process says "unmirrorable", not "missing", for them.
          const coverage = coverageOf(planned, ctx.config.owner, ctx.config.accountSessionQuota);
          const notPredicted = planned.refusalsNotPredicted;
          const rows = flags.all ? coverage.rows : coverage.rows.filter((r) => r.selected);
          // 1 is the CLI's runtime-failure code: the command worked, the fleet is not fully covered.
          const exitCode = flags.failOnUncovered && coverage.summary.uncovered > 0 ? 1 : 0;
          if (exitCode !== 0)
            io.err.write(
              `${coverage.summary.uncovered} selected running task(s) not covered (--fail-on-uncovered)\n`,
            );
          if (flags.json) {
            io.out.write(
              `${JSON.stringify({ ...coverage, rows, missingClusters: planned.world.missingClusters, ...(notPredicted ? { notPredicted } : {}) }, null, 2)}\n`,
            );
            return exitCode;
          }
          const table = rows.map((r) => [
            shortArn(r.taskArn),
            r.cluster,
            r.workload,
            r.eniId ?? '-',
            r.sessionId ?? '-',
            r.vni === undefined ? '-' : String(r.vni),
            r.state,
            r.covered === undefined ? '-' : r.covered ? 'yes' : 'NO',
            r.state === 'mirrored' && r.hiddenBy.length === 0 ? '' : r.note,
          ]);
          io.out.write(
            `${formatTable(['TASK', 'CLUSTER', 'SERVICE', 'ENI', 'SESSION', 'VNI', 'STATE', 'COVERED', 'WHY'], table)}\n`,
          );
          for (const c of planned.world.missingClusters)
            io.out.write(`cluster not found: ${c} (skipped; the others were read)\n`);
          if (notPredicted) io.out.write(`${notPredicted}\n`);
          for (const l of coverage.leftovers)
            io.out.write(`leftover on ${l.eniId}: ${l.sessionIds.join(', ')} (${l.note})\n`);
          const s = coverage.summary;
          io.out.write(
            `${s.selected} selected task(s): ${s.mirrored} mirrored, ${s.sidecar} covered by sidecar, ${s.missing} missing, ${s.unmirrorable} unmirrorable, ${s['sidecar-stopped']} sidecar stopped, ${s.pending} pending, ${s.hidden} hidden; ${s.covered} covered, ${s.uncovered} not covered; ${s.leftoverSessions} leftover session(s)\n`,
          );
          return exitCode;
        });
      }),
    );
}
