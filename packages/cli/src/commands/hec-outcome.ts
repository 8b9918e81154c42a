import type { HecSink } from '@fargate-mirror/receiver';
import { CliRuntimeError } from '../errors.js';

/** The delivery counters of a closed HEC sink, one line for the summary. */
export function hecStatsLine(hec: HecSink): string {
  const h = hec.stats;
  return `  hec: ${h.eventsDelivered} events delivered, ${hec.backlogEvents} still spooled, ${h.eventsDropped} dropped, ${h.eventsRejected} rejected, ${h.retries} retries, ${h.permanentErrors} configuration errors\n`;
}

/** Why not every record reached HEC (refused, unreachable, dropped), or undefined when all did. */
export function hecFailure(hec: HecSink, url: string): CliRuntimeError | undefined {
  const h = hec.stats;
  const spooled = hec.backlogEvents;
  if (spooled === 0 && h.eventsDropped === 0 && h.eventsRejected === 0 && h.permanentErrors === 0) {
    return undefined;
  }
  const why =
    h.permanentErrors > 0
      ? 'HEC refused them (check the token and the index)'
      : h.eventsRejected > 0
        ? 'HEC rejected some batches as malformed'
        : 'HEC did not accept them in time (unreachable or busy)';
  return new CliRuntimeError(
    'OUTPUT_FAILED',
    `Splunk HEC ${url}: ${h.eventsDelivered} of ${h.eventsIn} events delivered, ${spooled} still spooled (sent by the next run with the same --hec-spool-dir), ${h.eventsDropped} dropped, ${h.eventsRejected} rejected: ${why}`,
  );
}
