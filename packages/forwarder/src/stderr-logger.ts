import { isatty } from 'node:tty';
import pino, { type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export const FORWARD_LOG_FORMATS = ['text', 'json'] as const;
export type ForwardLogFormat = (typeof FORWARD_LOG_FORMATS)[number];

/** Text for a person at a terminal, JSON Lines for a log driver (awslogs, FireLens): stderr decides. */
export function defaultLogFormat(): ForwardLogFormat {
  return isatty(2) ? 'text' : 'json';
}

/**
 * The forwarder's pino logger on stderr, synchronous so that the last lines before an exit are kept.
 * The same shape as `receive`'s (one line per entry, local time, no pid/hostname) so that the
 * commands of one CLI log alike.
 */
export function createForwarderLogger(level: string, format: ForwardLogFormat): Logger {
  const base = { component: 'forwarder' };
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
  return pino({ level, base }, destination);
}
