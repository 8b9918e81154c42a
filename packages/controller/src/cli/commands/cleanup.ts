import { Command } from 'commander';
import { type Flags, type Io, run, verboseLog, withCommon } from '../command-base.js';
import { withContext } from '../context.js';
import { formatTable } from '../table.js';

export function cleanupCommand(io: Io): Command {
  return withCommon(new Command('cleanup'))
    .description('delete every session of this owner (the owner tag), nothing else')
    .option('--dry-run', 'list them without deleting')
    .action(async (flags: Flags & { dryRun?: boolean }) =>
      run(io, async () => {
        return withContext(flags, verboseLog(io, flags), async (ctx) => {
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
        });
      }),
    );
}
