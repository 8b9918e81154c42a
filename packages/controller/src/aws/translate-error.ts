import { AwsCallError, type ControllerErrorCode } from '../errors.js';

const THROTTLING = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'EC2ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);
const UNAVAILABLE = new Set([
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
  'ServerException',
  'TimeoutError',
  'RequestTimeout',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);
const BY_CODE: Readonly<Record<string, ControllerErrorCode>> = {
  UnauthorizedOperation: 'AWS_ACCESS_DENIED',
  AccessDenied: 'AWS_ACCESS_DENIED',
  AccessDeniedException: 'AWS_ACCESS_DENIED',
  AuthFailure: 'AWS_ACCESS_DENIED',
  NetworkInterfaceNotSupported: 'SOURCE_NOT_SUPPORTED',
  'InvalidNetworkInterface.NotSupported': 'SOURCE_NOT_SUPPORTED',
  TrafficMirrorSessionsPerInterfaceLimitExceeded: 'ENI_SESSION_LIMIT',
  TrafficMirrorSessionLimitExceeded: 'ACCOUNT_SESSION_LIMIT',
  // A full target is not a full account: the remedy differs (another target, not a quota raise).
  TrafficMirrorSessionsPerTargetLimitExceeded: 'TARGET_LIMIT',
  TrafficMirrorSourcesPerTargetLimitExceeded: 'TARGET_LIMIT',
  'InvalidNetworkInterfaceID.NotFound': 'ENI_NOT_FOUND',
  'InvalidNetworkInterfaceId.NotFound': 'ENI_NOT_FOUND',
  'InvalidTrafficMirrorTargetId.NotFound': 'TARGET_NOT_FOUND',
  'InvalidTrafficMirrorFilterId.NotFound': 'FILTER_NOT_FOUND',
  IdempotentParameterMismatch: 'IDEMPOTENCY_MISMATCH',
  ClusterNotFoundException: 'CLUSTER_NOT_FOUND',
};

/** The AWS error code of an SDK v3 error (`name`, or `Code` for some query-protocol errors). */
export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { name?: unknown; Code?: unknown; code?: unknown };
  if (typeof e.Code === 'string') return e.Code;
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  if (typeof e.name === 'string') return e.name;
  return undefined;
}

function httpStatus(error: unknown): number | undefined {
  const meta = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata;
  return typeof meta?.httpStatusCode === 'number' ? meta.httpStatusCode : undefined;
}

/**
 * Our classification of an AWS SDK error: retryable ones (throttling, 5xx, network) versus terminal
 * ones with their own code. `operation` names the call in the message. Only this edge imports the
 * SDK's error shapes; above it everything is a ControllerError.
 */
export function translateAwsError(operation: string, error: unknown): AwsCallError {
  if (error instanceof AwsCallError) return error;
  const awsCode = awsErrorCode(error);
  const status = httpStatus(error);
  const message = error instanceof Error ? error.message : String(error);
  let code: ControllerErrorCode = 'AWS_REQUEST_FAILED';
  if (awsCode !== undefined && THROTTLING.has(awsCode)) code = 'AWS_THROTTLED';
  else if (awsCode !== undefined && BY_CODE[awsCode] !== undefined) code = BY_CODE[awsCode];
  else if (
    awsCode === 'InvalidParameterValue' &&
    /session ?number/i.test(message) &&
    /used|taken|exists/i.test(message)
  ) {
    // Another writer (a concurrent reconcile) took the number first: re-read and re-plan.
    code = 'SESSION_NUMBER_TAKEN';
  } else if ((awsCode !== undefined && UNAVAILABLE.has(awsCode)) || (status !== undefined && status >= 500)) {
    code = 'AWS_UNAVAILABLE';
  } else if (status === 429) code = 'AWS_THROTTLED';
  return new AwsCallError(code, operation, `${awsCode ?? 'Error'}: ${message}`, { cause: error, awsCode });
}

/** Awaits an SDK call and translates whatever it throws. */
export async function callAws<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translateAwsError(operation, error);
  }
}
