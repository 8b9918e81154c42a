/**
 * Errors of the analysis package. Decoding and analysis never throw on traffic (bad packets are
 * counted); these are for options a caller got wrong. Codes are listed in README.md.
 */
export const ANALYSIS_ERROR_CODES = [
  'DEDUP_CONFIG_INVALID',
  'SUMMARY_OPTIONS_INVALID',
  /** `read` with workers asked for something only one pipeline can do, or a bad worker count. */
  'READ_WORKERS_UNSUPPORTED',
] as const;
export type AnalysisErrorCode = (typeof ANALYSIS_ERROR_CODES)[number];

const BRAND = Symbol.for('fargate-mirror.error');

/** Base of every error the package throws on purpose. */
export class AnalysisError extends Error {
  readonly code: AnalysisErrorCode;
  readonly [BRAND] = 'analysis';

  constructor(code: AnalysisErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AnalysisError';
    this.code = code;
  }
}

export function isAnalysisError(error: unknown): error is AnalysisError {
  return error instanceof Error && (error as { [BRAND]?: unknown })[BRAND] === 'analysis';
}
