import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { ControllerError, isControllerError, MalformedInputError } from '../../errors.js';
import { parseTaskEvent } from '../../lambda/task-event.js';
import { createTaskEventHandler, type TaskEventReport } from '../../lambda/task-event-handler.js';
import { MemoryMetrics } from '../../lambda/telemetry.js';
import { silentLog } from '../../log.js';
import { type Flags, type Io, readAll, run, verboseLog, withCommon } from '../command-base.js';
import { stderrLog, withContext } from '../context.js';
import { shortArn } from '../table.js';

/** The event file's text; a missing file is an input error named as every command names it. */
async function readEventText(io: Io, file: string): Promise<string> {
  if (file === '-') return readAll(io.stdin);
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ControllerError('EVENT_FILE_MISSING', `no such file: ${file}`, { cause: error });
    throw error;
  }
}

/**
 * The events of FILE, each checked to be an ECS Task State Change before anything runs: a local
 * invoke of a file that is not one is a mistake in the input (exit 2), not a `malformed` count.
 */
function parseEvents(file: string, text: string): unknown[] {
  const name = file === '-' ? 'stdin' : file;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MalformedInputError('EVENT_MALFORMED', `${name} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const events = Array.isArray(parsed) ? parsed : [parsed];
  if (events.length === 0) throw new MalformedInputError('EVENT_MALFORMED', `${name} holds no events ([])`);
  events.forEach((event, i) => {
    const where = events.length > 1 ? `${name}: event ${i + 1} of ${events.length}` : name;
    let result: ReturnType<typeof parseTaskEvent>;
    try {
      result = parseTaskEvent(event);
    } catch (error) {
      const message = isControllerError(error) ? error.message : String(error);
      throw new MalformedInputError('EVENT_MALFORMED', `${where} is not an ECS task event: ${message}`, {
        cause: error,
      });
    }
    if (result.kind === 'ignored')
      throw new MalformedInputError('EVENT_MALFORMED', `${where} is not an ECS task event: ${result.reason}`);
  });
  return events;
}

function reportLine(r: TaskEventReport): string {
  const task = r.taskArn === undefined ? '-' : shortArn(r.taskArn);
  const enis = (r.result?.enis ?? []).map((e) => {
    const note = e.error ? `${e.error.code}: ${e.error.message}` : (e.unmirrorable?.reason ?? e.sessionId);
    return `${e.eniId} ${e.outcome}${note ? ` (${note})` : ''}`;
  });
  const what = enis.length > 0 ? enis.join(', ') : (r.reason ?? r.result?.detail ?? '');
  return `${task}: ${r.status}${what ? `: ${what}` : ''}\n`;
}

export function handleEventCommand(io: Io): Command {
  return withCommon(new Command('handle-event'))
    .description('run the task-state-change handler on an event (a local invoke): FILE, or - for stdin')
    .argument('<file>', 'event JSON (one event or an array of events); - reads stdin')
    .option('--json', 'print the reports as one JSON object')
    .action(async (file: string, flags: Flags & { json?: boolean }) =>
      run(io, 'handle-event', async () => {
        const events = parseEvents(file, await readEventText(io, file));
        return withContext(flags, verboseLog(io, flags), async (ctx) => {
          const metrics = new MemoryMetrics();
          const handle = createTaskEventHandler({
            reconciler: ctx.reconciler,
            metrics,
            log: flags.verbose ? stderrLog(io.err) : silentLog,
          });
          const reports: TaskEventReport[] = [];
          for (const event of events) {
            const report = await handle(event);
            reports.push(report);
            if (!flags.json) io.out.write(reportLine(report));
          }
          if (flags.json) io.out.write(`${JSON.stringify({ reports })}\n`);
          return reports.some((r) => r.status === 'malformed' || r.status === 'failed') ? 1 : 0;
        });
      }),
    );
}
