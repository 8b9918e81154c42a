import { isatty } from 'node:tty';
import { UsageError } from '../errors.js';

/**
 * `--pcap-out -`: the pcap on standard output (a pipe, a file or a socket), for `| tshark -r -`.
 * Refused where it cannot work: a terminal, or records on the same stream.
 */
export function pcapOutPath(value: string | undefined, recordsToStdout: boolean): string | undefined {
  if (value !== '-') return value;
  if (recordsToStdout) {
    throw new UsageError(
      'USAGE_INVALID',
      '--pcap-out - and --records - would mix on one stream: write one of them to a file',
    );
  }
  // isatty(1), not process.stdout.isTTY: creating process.stdout makes descriptor 1 non-blocking.
  if (isatty(1)) {
    throw new UsageError(
      'OUTPUT_UNUSABLE',
      '--pcap-out -: standard output is a terminal; pipe it (e.g. | tshark -r -) or give a file',
    );
  }
  return '-';
}
