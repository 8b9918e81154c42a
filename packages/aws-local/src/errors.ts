import type { AwsApiErrorCode } from './aws-error-codes.js';

/** The package's own stable codes: callers and tests match on these, never on messages. */
export const AWS_LOCAL_ERROR_CODES = [
  /** Bad options given to `startAwsLocal`, the command line or POST /_admin/faults. */
  'AWS_LOCAL_CONFIG_INVALID',
  /** The `--state` file exists but cannot be read back. */
  'AWS_LOCAL_STATE_INVALID',
  /** `advance()` (or POST /_admin/advance) without the manual clock. */
  'AWS_LOCAL_CLOCK_NOT_MANUAL',
  /** `waitForTask()` gave up: the task did not reach the status in time. */
  'AWS_LOCAL_WAIT_TIMEOUT',
  /** `createRequesterManagedNetworkInterface()` names a subnet the region does not have. */
  'AWS_LOCAL_NO_SUBNET',
  /** An EC2/ECS request was refused; `ApiError.awsCode` has AWS's own code for it. */
  'AWS_LOCAL_API_ERROR',
  /** A request body over 10 MiB: reading stops and the request is cut off (413). */
  'AWS_LOCAL_BODY_TOO_LARGE',
  /** An admin request body that is not JSON. */
  'AWS_LOCAL_ADMIN_BAD_JSON',
  /** An admin request body of the wrong shape. */
  'AWS_LOCAL_ADMIN_BAD_REQUEST',
  /** No admin route for that method and path. */
  'AWS_LOCAL_ADMIN_NOT_FOUND',
  /** Printed by the aws-local binary for an error that is not aws-local's own (Node's ENOENT...). */
  'AWS_LOCAL_FAILED',
] as const;
export type AwsLocalErrorCode = (typeof AWS_LOCAL_ERROR_CODES)[number];

// Shared by every fargate-mirror package (CONTRIBUTING.md): recognised across two copies of a package.
const BRAND = Symbol.for('fargate-mirror.error');

/** Base of every error aws-local throws on purpose. */
export class AwsLocalError extends Error {
  readonly code: AwsLocalErrorCode;
  readonly [BRAND] = 'aws-local';
  constructor(code: AwsLocalErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AwsLocalError';
    this.code = code;
  }
}

/** A brand check rather than `instanceof`, so a bundled copy and `node_modules` agree. */
export function isAwsLocalError(error: unknown): error is AwsLocalError {
  return error instanceof Error && (error as { [BRAND]?: unknown })[BRAND] === 'aws-local';
}

/**
 * An error answered to an API client, in AWS's own vocabulary: thrown inside request handlers and
 * rendered by the protocol layer as an EC2 XML or ECS JSON error body with `awsCode` and `httpStatus`.
 */
export class ApiError extends AwsLocalError {
  readonly awsCode: AwsApiErrorCode;
  readonly httpStatus: number;
  constructor(awsCode: AwsApiErrorCode, message: string, httpStatus = 400, options?: ErrorOptions) {
    super('AWS_LOCAL_API_ERROR', message, options);
    this.name = 'ApiError';
    this.awsCode = awsCode;
    this.httpStatus = httpStatus;
  }
}

export function isApiError(error: unknown): error is ApiError {
  return isAwsLocalError(error) && error.code === 'AWS_LOCAL_API_ERROR';
}

/** Bad options given to `startAwsLocal` or the command line. */
export class AwsLocalConfigError extends AwsLocalError {
  constructor(message: string, options?: ErrorOptions) {
    super('AWS_LOCAL_CONFIG_INVALID', message, options);
    this.name = 'AwsLocalConfigError';
  }
}

/** The `--state` file exists but cannot be read back. */
export class AwsLocalStateError extends AwsLocalError {
  constructor(message: string, options?: ErrorOptions) {
    super('AWS_LOCAL_STATE_INVALID', message, options);
    this.name = 'AwsLocalStateError';
  }
}
