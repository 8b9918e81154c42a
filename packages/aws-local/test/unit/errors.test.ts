// The error convention (CONTRIBUTING.md): stable typed codes, the shared brand, AWS wire codes kept
// apart from the package's own codes.
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  AWS_API_ERROR_CODES,
  AWS_LOCAL_ERROR_CODES,
  AwsLocalConfigError,
  AwsLocalStateError,
  isApiError,
  isAwsLocalError,
  startAwsLocal,
} from '../../src/index.js';

describe('aws-local errors', () => {
  it('brands its errors so that a second copy of the package recognises them', () => {
    // What another copy's class would produce: the same registered symbol, not the same class.
    const fromOtherCopy = Object.assign(new Error('x'), {
      [Symbol.for('fargate-mirror.error')]: 'aws-local',
      code: 'AWS_LOCAL_CONFIG_INVALID',
    });
    expect(isAwsLocalError(fromOtherCopy)).toBe(true);
    expect(isAwsLocalError(new AwsLocalStateError('bad'))).toBe(true);
    const brand = (new AwsLocalConfigError('bad') as unknown as Record<symbol, unknown>)[
      Symbol.for('fargate-mirror.error')
    ];
    expect(brand).toBe('aws-local');
  });

  it("does not take Node's errors or another package's for its own", () => {
    const enoent = Object.assign(new Error('no such file'), { code: 'ENOENT' });
    const otherPackage = Object.assign(new Error('x'), { [Symbol.for('fargate-mirror.error')]: 'wire' });
    expect(isAwsLocalError(enoent)).toBe(false);
    expect(isAwsLocalError(otherPackage)).toBe(false);
    expect(isAwsLocalError('AWS_LOCAL_CONFIG_INVALID')).toBe(false);
  });

  it('keeps the AWS wire code of an ApiError apart from the package code', () => {
    const error = new ApiError('ClusterNotFoundException', 'Cluster not found.');
    expect(error.code).toBe('AWS_LOCAL_API_ERROR');
    expect(error.awsCode).toBe('ClusterNotFoundException');
    expect(error.httpStatus).toBe(400);
    expect(isApiError(error)).toBe(true);
    expect(isApiError(new AwsLocalConfigError('bad'))).toBe(false);
    expect(AWS_LOCAL_ERROR_CODES).toContain(error.code);
    expect(AWS_API_ERROR_CODES).toContain(error.awsCode);
  });

  it('refuses bad options with a code from its list', async () => {
    const error = await startAwsLocal({ port: -1 }).catch((e: unknown) => e);
    expect(isAwsLocalError(error) && error.code).toBe('AWS_LOCAL_CONFIG_INVALID');
  });
});
