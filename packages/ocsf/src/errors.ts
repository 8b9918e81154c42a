export const OCSF_ERROR_CODES = [
  'OCSF_SCHEMA_UNREADABLE',
  'OCSF_RECORD_UNMAPPABLE',
  'PARQUET_WRITE_FAILED',
  'PARQUET_ENCODE_FAILED',
  'PARQUET_OPTION_INVALID',
  'PARQUET_READ_FAILED',
] as const;
export type OcsfErrorCode = (typeof OCSF_ERROR_CODES)[number];

const BRAND = Symbol.for('fargate-mirror.error');

/** Base of every error the package throws on purpose. */
export class OcsfError extends Error {
  readonly code: OcsfErrorCode;
  readonly [BRAND] = 'ocsf';
  constructor(code: OcsfErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OcsfError';
    this.code = code;
  }
}

export function isOcsfError(error: unknown): error is OcsfError {
  return error instanceof Error && (error as { [BRAND]?: unknown })[BRAND] === 'ocsf';
}
