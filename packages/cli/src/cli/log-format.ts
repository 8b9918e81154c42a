import { isatty } from 'node:tty';
import { InvalidArgumentError } from 'commander';
import pino, { type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Human text on a terminal, JSON Lines for machines (a pipe, a file, journald, CloudWatch). */
export function defaultLogFormat(): LogFormat {
  return isatty(2) ? 'text' : 'json';
}

export function parseLogFormat(value: string): LogFormat {
  if (!(LOG_FORMATS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected text or json, got '${value}'`);
  }
  return value as LogFormat;
}

/**
 * A pino logger on stderr in the chosen format. Synchronous in both, as the receiver's own default
 * is, so that the last lines before an exit are never lost.
 */
export function createLogger(level: string, format: LogFormat): Logger {
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
  return pino({ level }, destination);
}
