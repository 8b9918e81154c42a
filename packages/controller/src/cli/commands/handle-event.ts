import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { createTaskEventHandler } from '../../lambda/task-event-handler.js';
import { MemoryMetrics } from '../../lambda/telemetry.js';
import { silentLog } from '../../log.js';
import { type Flags, type Io, readAll, run, verboseLog, withCommon } from '../command-base.js';
import { stderrLog, withContext } from '../context.js';

export function handleEventCommand(io: Io): Command {
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
        return withContext(flags, verboseLog(io, flags), async (ctx) => {
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
        });
      }),
    );
}
