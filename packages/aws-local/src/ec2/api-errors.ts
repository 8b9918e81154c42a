import { ApiError } from '../errors.js';

/** Shorthands for the EC2 errors many handlers share. */
export function invalidParameterValue(message: string): ApiError {
  return new ApiError('InvalidParameterValue', message);
}

export function missingParameter(name: string): ApiError {
  return new ApiError('MissingParameter', `The request must contain the parameter ${name}`);
}
