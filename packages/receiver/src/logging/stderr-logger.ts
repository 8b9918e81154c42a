import { isatty } from 'node:tty';
import pino, { type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * A pino logger on stderr: human text (pino-pretty, one line per entry) or JSON Lines for machines.
 * The receive command's main thread and its worker threads make theirs with this, so one run never
 * mixes formats. Synchronous in both, so that the last lines before an exit are never lost.
 */
export function createStderrLogger(level: string, format: LogFormat, base?: Record<string, unknown>): Logger {
  const destination =
    format === 'text'
      ? PinoPretty({
          destination: 2,
          sync: true,
          colorize: isatty(2),
          singleLine: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
        })
      : pino.destination({ fd: 2, sync: true });
  return pino(base === undefined ? { level } : { level, base }, destination);
}
