/**
 * Errors of the aws-local package. Every error carries a stable string `code`.
 *
 * `ApiError` is the one thrown inside request handlers: it carries the AWS wire error code
 * (`InvalidParameterValue`, `ClusterNotFoundException`, ...) and the HTTP status AWS uses, and
 * the protocol layer renders it as an EC2 XML or ECS JSON error body.
 */
export class AwsLocalError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AwsLocalError';
    this.code = code;
  }
}

/** An error answered to an API client, in AWS's own vocabulary. */
export class ApiError extends AwsLocalError {
  readonly httpStatus: number;
  constructor(code: string, message: string, httpStatus = 400, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'ApiError';
    this.httpStatus = httpStatus;
  }
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

/** Shorthands for the EC2 errors many handlers share. */
export function invalidParameterValue(message: string): ApiError {
  return new ApiError('InvalidParameterValue', message);
}

export function missingParameter(name: string): ApiError {
  return new ApiError('MissingParameter', `The request must contain the parameter ${name}`);
}
