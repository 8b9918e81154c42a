import { Command } from 'commander';
import { type Flags, type Io, run, verboseLog, withCommon } from '../command-base.js';
import { withContext } from '../context.js';
import { formatTable } from '../table.js';

export function cleanupCommand(io: Io): Command {
  return withCommon(new Command('cleanup'))
    .description('delete every session of this owner (the owner tag), nothing else')
    .option('--dry-run', 'list them without deleting')
    .option('--json', 'print the result as one JSON object')
    .action(async (flags: Flags & { dryRun?: boolean; json?: boolean }) =>
      run(io, 'cleanup', async () => {
        return withContext(flags, verboseLog(io, flags), async (ctx) => {
          const dryRun = flags.dryRun === true;
          const { actions, results } = await ctx.reconciler.cleanup({ dryRun });
          const sessions = actions.map((a, i) => {
            const r = results[i];
            return {
              eniId: a.eniId,
              sessionId: a.kind === 'delete' ? a.sessionId : undefined,
              result: dryRun ? 'would-delete' : (r?.result ?? 'not-run'),
              errorCode: r?.errorCode,
              message: r?.message,
            };
          });
          const failed = results.some((r) => r.result === 'failed');
          if (flags.json) {
            io.out.write(`${JSON.stringify({ owner: ctx.config.owner, dryRun, sessions })}\n`);
            return failed ? 1 : 0;
          }
          const rows = sessions.map((s) => [
            s.eniId,
            s.sessionId ?? '-',
            dryRun ? 'would delete' : s.result,
            s.errorCode ?? '',
          ]);
          if (rows.length > 0) io.out.write(`${formatTable(['ENI', 'SESSION', 'RESULT', 'ERROR'], rows)}\n`);
          io.out.write(
            `${actions.length} session(s) of owner ${ctx.config.owner}${dryRun ? ' (dry run)' : ''}\n`,
          );
          return failed ? 1 : 0;
        });
      }),
    );
}
