import { isatty } from 'node:tty';
import { createStderrLogger, LOG_FORMATS, type LogFormat } from '@fargate-mirror/receiver';
import { InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';

export { LOG_FORMATS, type LogFormat };

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

/** A pino logger on stderr in the chosen format: the receiver's, so its workers log alike. */
export const createLogger = (level: string, format: LogFormat): Logger => createStderrLogger(level, format);
