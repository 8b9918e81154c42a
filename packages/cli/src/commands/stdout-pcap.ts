import { fstatSync } from 'node:fs';
import { isatty } from 'node:tty';
import { UsageError } from '../errors.js';

/**
 * `--pcap-out -`: the pcap on standard output, for `| tshark -r -`. The pipeline opens a path (it
 * takes no descriptor), and on Linux /dev/stdout reopens descriptor 1 when it is a pipe or a file; a
 * socket cannot be reopened that way (ENXIO), so that case is refused up front with the way around.
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
  if (fstatSync(1).isSocket()) {
    throw new UsageError(
      'OUTPUT_UNUSABLE',
      '--pcap-out -: standard output is a socket, which cannot carry the pcap; pipe it through a shell pipe (| cat) or give a file',
    );
  }
  return '/dev/stdout';
}
