import { createStderrLogger as createLogger, LOG_FORMATS, type LogFormat } from '@fargate-mirror/log';
import type { Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export { LOG_FORMATS, type LogFormat };

/**
 * The receive command's logger on stderr (@fargate-mirror/log's, as the forwarder's). Its main
 * thread and its worker threads make theirs with this, so one run never mixes formats; pino-pretty
 * is loaded up front since a worker makes its logger synchronously at start.
 */
export function createStderrLogger(level: string, format: LogFormat, base?: Record<string, unknown>): Logger {
  return createLogger(level, format, { pretty: PinoPretty, base });
}
