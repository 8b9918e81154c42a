import type { AwsApiErrorCode } from '../aws-error-codes.js';
import { ApiError, isApiError } from '../errors.js';

/**
 * What a request handler threw -> the ApiError to answer with. Anything that is not an ApiError is
 * a bug in the emulator rather than a refusal: the client gets AWS's generic 500 and the operator a
 * warning with the stack, so it is neither hidden nor mistaken for AWS behaviour.
 */
export function toApiError(error: unknown, api: 'EC2' | 'ECS', internalCode: AwsApiErrorCode): ApiError {
  if (isApiError(error)) return error;
  process.emitWarning(`aws-local: ${api} handler failed: ${(error as Error).stack}`);
  return new ApiError(internalCode, 'An internal error has occurred.', 500, { cause: error });
}
