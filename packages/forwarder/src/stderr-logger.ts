import { isatty } from 'node:tty';
import pino, { type Logger } from 'pino';

export const FORWARD_LOG_FORMATS = ['text', 'json'] as const;
export type ForwardLogFormat = (typeof FORWARD_LOG_FORMATS)[number];

/** Text for a person at a terminal, JSON Lines for a log driver (awslogs, FireLens): stderr decides. */
export function defaultLogFormat(): ForwardLogFormat {
  return isatty(2) ? 'text' : 'json';
}

/**
 * The forwarder's pino logger on stderr, synchronous so that the last lines before an exit are kept.
 * The same shape as `receive`'s (one line per entry, local time, no pid/hostname) so that the
 * commands of one CLI log alike. pino-pretty loads only for text: a container logs JSON, and the
 * sidecar's memory is what it loads.
 */
export async function createForwarderLogger(level: string, format: ForwardLogFormat): Promise<Logger> {
  const base = { component: 'forwarder' };
  const destination =
    format === 'text'
      ? (await import('pino-pretty')).PinoPretty({
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
