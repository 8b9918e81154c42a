import { createStderrLogger, defaultLogFormat, LOG_FORMATS, type LogFormat } from '@fargate-mirror/log';
import type { Logger } from 'pino';

export const FORWARD_LOG_FORMATS = LOG_FORMATS;
export type ForwardLogFormat = LogFormat;
export { defaultLogFormat };

/**
 * The forwarder's logger on stderr: @fargate-mirror/log's, as `receive`'s, so that the commands of
 * one CLI log alike. pino-pretty loads only for text: a container logs JSON, and the sidecar's
 * memory is what it loads (scripts/bundle-forwarder.mjs puts it in a chunk of its own).
 */
export async function createForwarderLogger(level: string, format: ForwardLogFormat): Promise<Logger> {
  const pretty = format === 'text' ? (await import('pino-pretty')).PinoPretty : undefined;
  return createStderrLogger(level, format, { pretty, base: { component: 'forwarder' } });
}
