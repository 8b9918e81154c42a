import { isatty } from 'node:tty';
import pino, { type Logger } from 'pino';
import type { PinoPretty } from 'pino-pretty';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Text for a person at a terminal, JSON Lines for machines (a pipe, a file, awslogs, journald): stderr decides. */
export function defaultLogFormat(): LogFormat {
  return isatty(2) ? 'text' : 'json';
}

/**
 * pino-pretty's stream factory. The caller loads it, since when differs: `receive` imports it with
 * the rest (its worker threads make their loggers synchronously), the forwarder only for text (a
 * container logs JSON, and the sidecar's memory is what it loads).
 */
export type PrettyFactory = typeof PinoPretty;

export interface StderrLoggerOptions {
  /** Required for text. */
  readonly pretty?: PrettyFactory;
  /** Fields on every line (pino's `base`); unset: pino's own (pid, hostname; text leaves them out). */
  readonly base?: Record<string, unknown>;
}

/**
 * A pino logger on stderr: human text (one line per entry, local time, no pid/hostname) or JSON
 * Lines. Every command makes its logger with this, so the commands of one CLI, and one run's
 * threads, log alike. Synchronous in both formats, so that the last lines before an exit are kept.
 */
export function createStderrLogger(
  level: string,
  format: LogFormat,
  options: StderrLoggerOptions = {},
): Logger {
  let destination: pino.DestinationStream;
  if (format === 'text') {
    if (options.pretty === undefined)
      throw new Error('createStderrLogger: text logs need pino-pretty (options.pretty)');
    destination = options.pretty({
      destination: 2,
      sync: true,
      colorize: isatty(2),
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
    });
  } else {
    destination = pino.destination({ fd: 2, sync: true });
  }
  return pino(options.base === undefined ? { level } : { level, base: options.base }, destination);
}
