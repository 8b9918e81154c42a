/**
 * Errors of the construct library. Each carries a stable string `code` (see README.md) so callers
 * and tests match on the code, never on the message.
 */

export const CDK_ERROR_CODES = ['PROPS_INVALID', 'SOURCE_NOT_FOUND', 'BUNDLING_FAILED'] as const;
export type CdkErrorCode = (typeof CDK_ERROR_CODES)[number];

// Shared by every fargate-mirror package: a brand check works across two installed copies of a package.
const BRAND = Symbol.for('fargate-mirror.error');

/** Base class of every error this package throws on purpose. */
export class FargateMirrorCdkError extends Error {
  readonly code: CdkErrorCode;
  readonly [BRAND] = 'cdk';

  constructor(code: CdkErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FargateMirrorCdkError';
    this.code = code;
  }
}

export function isCdkError(error: unknown): error is FargateMirrorCdkError {
  return error instanceof Error && (error as { [BRAND]?: unknown })[BRAND] === 'cdk';
}

/**
 * Props failed validation. One error lists every failed rule at once, so a user fixes all of them
 * in one pass instead of one synth per mistake.
 */
export class PropsValidationError extends FargateMirrorCdkError {
  /** The construct path the props were given to. */
  readonly constructPath: string;
  /** One message per failed rule, each naming the prop, the value received and what is allowed. */
  readonly issues: readonly string[];

  constructor(constructPath: string, issues: readonly string[], options?: ErrorOptions) {
    super(
      'PROPS_INVALID',
      `${constructPath}: ${issues.length} invalid prop${issues.length === 1 ? '' : 's'}:\n- ${issues.join('\n- ')}`,
      options,
    );
    this.name = 'PropsValidationError';
    this.constructPath = constructPath;
    this.issues = issues;
  }
}

/** A source directory or entry file the construct bundles (controller, receiver CLI) is missing. */
export class SourceNotFoundError extends FargateMirrorCdkError {
  constructor(message: string, options?: ErrorOptions) {
    super('SOURCE_NOT_FOUND', message, options);
    this.name = 'SourceNotFoundError';
  }
}

/** esbuild failed to bundle the receiver CLI at synth time. */
export class BundlingFailedError extends FargateMirrorCdkError {
  constructor(message: string, options?: ErrorOptions) {
    super('BUNDLING_FAILED', message, options);
    this.name = 'BundlingFailedError';
  }
}
