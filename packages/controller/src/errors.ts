/**
 * Errors of the controller. Every error carries a stable string `code` (documented in README.md)
 * and says whether retrying the same work later can succeed (`retryable`): throttling and 5xx are
 * retryable and make a queue work item fail (retried, then dead-lettered); refusals, bad
 * configuration and malformed input are terminal and are recorded instead.
 */

export const CONTROLLER_ERROR_CODES = [
  'CONFIG_INVALID',
  'CONFIG_UNREADABLE',
  'EVENT_MALFORMED',
  'WORK_ITEM_MALFORMED',
  'AWS_THROTTLED',
  'AWS_UNAVAILABLE',
  'AWS_ACCESS_DENIED',
  'AWS_REQUEST_FAILED',
  'SOURCE_NOT_SUPPORTED',
  'ENI_SESSION_LIMIT',
  'ACCOUNT_SESSION_LIMIT',
  'TARGET_LIMIT',
  'ENI_NOT_FOUND',
  'CLUSTER_NOT_FOUND',
  'TARGET_NOT_FOUND',
  'FILTER_NOT_FOUND',
  'SESSION_NUMBER_TAKEN',
  'IDEMPOTENCY_MISMATCH',
  'NOT_CONVERGED',
  'AWS_REGION_MISSING',
  'AWS_CREDENTIALS_MISSING',
  'AWS_ENDPOINT_INVALID',
  'EVENT_FILE_MISSING',
] as const;
export type ControllerErrorCode = (typeof CONTROLLER_ERROR_CODES)[number];

/** The former name of `CONTROLLER_ERROR_CODES`, kept so existing importers still build. */
export const ERROR_CODES = CONTROLLER_ERROR_CODES;

/** Shared by every package of the project; its value names the package that threw. */
const BRAND = Symbol.for('fargate-mirror.error');

const RETRYABLE: ReadonlySet<ControllerErrorCode> = new Set([
  'AWS_THROTTLED',
  'AWS_UNAVAILABLE',
  'NOT_CONVERGED',
  'IDEMPOTENCY_MISMATCH',
]);

export interface ControllerErrorOptions extends ErrorOptions {
  /** The AWS error code (e.g. `NetworkInterfaceNotSupported`) when the error came from AWS. */
  readonly awsCode?: string;
}

/** Base class of every error this package throws on purpose. */
export class ControllerError extends Error {
  readonly code: ControllerErrorCode;
  readonly retryable: boolean;
  readonly awsCode: string | undefined;
  readonly [BRAND] = 'controller';

  constructor(code: ControllerErrorCode, message: string, options?: ControllerErrorOptions) {
    super(message, options);
    this.name = 'ControllerError';
    this.code = code;
    this.retryable = RETRYABLE.has(code);
    this.awsCode = options?.awsCode;
  }
}

/** The configuration file is missing, unreadable or not JSON/YAML. */
export class ConfigUnreadableError extends ControllerError {
  constructor(message: string, options?: ErrorOptions) {
    super('CONFIG_UNREADABLE', message, options);
    this.name = 'ConfigUnreadableError';
  }
}

/** The configuration parsed but does not validate; `issues` name each bad key. */
export class ConfigInvalidError extends ControllerError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[], options?: ErrorOptions) {
    super('CONFIG_INVALID', `invalid controller configuration:\n  ${issues.join('\n  ')}`, options);
    this.name = 'ConfigInvalidError';
    this.issues = issues;
  }
}

/** An EventBridge event or SQS work item that cannot be understood. Terminal: never retried. */
export class MalformedInputError extends ControllerError {
  constructor(code: 'EVENT_MALFORMED' | 'WORK_ITEM_MALFORMED', message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'MalformedInputError';
  }
}

/**
 * The AWS configuration a command needs is missing or malformed (no region, no credentials, an
 * endpoint that is not a URL): found before any call, and fixed on the command line or in the
 * environment.
 */
export class AwsConfigError extends ControllerError {
  constructor(
    code: 'AWS_REGION_MISSING' | 'AWS_CREDENTIALS_MISSING' | 'AWS_ENDPOINT_INVALID',
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
    this.name = 'AwsConfigError';
  }
}

/** An AWS call failed; `code` is our classification, `awsCode` AWS's own. */
export class AwsCallError extends ControllerError {
  readonly operation: string;
  constructor(
    code: ControllerErrorCode,
    operation: string,
    message: string,
    options?: ControllerErrorOptions,
  ) {
    super(code, `${operation}: ${message}`, options);
    this.name = 'AwsCallError';
    this.operation = operation;
  }
}

/**
 * True for any error of this package, by its brand rather than `instanceof`, so a bundled copy and
 * the `node_modules` copy of the controller recognise each other's errors.
 */
export function isControllerError(error: unknown): error is ControllerError {
  return error instanceof Error && (error as { [BRAND]?: unknown })[BRAND] === 'controller';
}

/**
 * `error` as one of ours: an unexpected throw (a bug, a Node error) becomes `AWS_REQUEST_FAILED`
 * with the original as `cause`, so a per-ENI failure record always has a code.
 */
export function asControllerError(error: unknown): ControllerError {
  return isControllerError(error)
    ? error
    : new ControllerError('AWS_REQUEST_FAILED', String(error), { cause: error });
}
