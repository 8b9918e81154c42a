import pino from 'pino';
import type { LogFormat } from './log-format.js';

/**
 * The lines a long-running command always prints (ready, draining, stopped), in the same format as
 * its logs: a text line for people, or a JSON object beside the JSON log lines, so that one parser
 * reads all of stderr. At level info whatever --log-level is: they are the command's output. The JSON
 * form keeps the sentence as its `msg` (what scripts have been matching) and adds `event` and the
 * structured fields.
 */
export type Announce = (event: string, fields: Record<string, unknown>, text: string) => void;

export function createAnnouncer(command: string, format: LogFormat): Announce {
  const line = (text: string) => `fargate-mirror ${command}: ${text}`;
  if (format === 'text') return (_event, _fields, text) => process.stderr.write(`${line(text)}\n`);
  const log = pino({ level: 'info' }, pino.destination({ fd: 2, sync: true }));
  return (event, fields, text) => log.info({ event, ...fields }, line(text));
}
