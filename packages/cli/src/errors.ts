/** The CLI's own error codes: the problems it finds in a command line before any package runs. */
export const CLI_ERROR_CODES = [
  /** An option or argument is malformed, out of range, or conflicts with another. */
  'USAGE_INVALID',
  /** An output named on the command line cannot be written there (a file for a directory, ...). */
  'OUTPUT_UNUSABLE',
  /** The AWS configuration a command needs is missing or malformed (region, credentials, endpoint). */
  'AWS_CONFIG_INVALID',
  /** An output the command was asked for failed while it ran (e.g. Splunk HEC refused or unreachable). */
  'OUTPUT_FAILED',
  /** `sidecar add/remove`: the cluster or service named does not exist (or is not ACTIVE). */
  'ECS_SERVICE_UNKNOWN',
  /** `sidecar add/remove`: the credentials may not call an ECS action the command needs. */
  'AWS_ACCESS_DENIED',
  /** `sidecar add/remove`: an ECS call failed for another reason (throttled, unreachable, refused). */
  'AWS_CALL_FAILED',
] as const;
export type CliErrorCode = (typeof CLI_ERROR_CODES)[number];

const BRAND = Symbol.for('fargate-mirror.error');

/** Base of every error the CLI throws on purpose: printed as one line, never with a stack. */
export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly [BRAND] = 'cli';
  constructor(code: CliErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
    this.code = code;
  }
}

/** A mistake of the user's (bad file, bad flag): exit code 2. */
export class UsageError extends CliError {
  constructor(
    code: 'USAGE_INVALID' | 'OUTPUT_UNUSABLE' | 'AWS_CONFIG_INVALID' | 'ECS_SERVICE_UNKNOWN',
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
    this.name = 'UsageError';
  }
}

/** The command ran but did not do all it was asked: exit code 1. */
export class CliRuntimeError extends CliError {
  constructor(
    code: 'OUTPUT_FAILED' | 'AWS_ACCESS_DENIED' | 'AWS_CALL_FAILED',
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
    this.name = 'CliRuntimeError';
  }
}

export function isCliError(error: unknown): error is CliError {
  return error instanceof Error && (error as { [BRAND]?: unknown })[BRAND] === 'cli';
}
