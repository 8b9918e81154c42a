/** The command-line contract, the same for every command. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

// Codes of our packages that mean the input was wrong (fix the command line, the file or the
// configuration) rather than that the run failed. Named explicitly where the name does not say it.
const INPUT_CODES: ReadonlySet<string> = new Set([
  'OUTPUT_UNUSABLE',
  'CAPTURE_NOT_A_CAPTURE',
  'CAPTURE_READ_FAILED',
  'HEC_TOKEN_MISSING',
  'DEMO_OUTPUT_FAILED',
  'REPLAY_BAD_TARGET',
  'FORWARDER_NO_INTERFACE',
]);

// Codes added later by other packages still land on the right side when their names say it.
const INPUT_PATTERN = /(^|_)(INVALID|MALFORMED|UNREADABLE|MISSING|CONFLICT|BAD|UNKNOWN|USAGE)(_|$)/;

/** 2 for an error of ours that the user can fix in their input, 1 for one that happened while running. */
export function exitCodeOf(code: string): number {
  if (code === 'FORWARDER_NET_RAW_MISSING') return EXIT_FAILURE;
  return INPUT_CODES.has(code) || INPUT_PATTERN.test(code) ? EXIT_USAGE : EXIT_FAILURE;
}
