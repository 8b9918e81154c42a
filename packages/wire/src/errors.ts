/**
 * Errors of the wire package. Decoding never throws (it returns a DecodeStatus the caller counts);
 * these are for capture files and API misuse. The codes are listed in README.md.
 */
export const WIRE_ERROR_CODES = [
  'CAPTURE_NOT_A_CAPTURE',
  'CAPTURE_READ_FAILED',
  'CAPTURE_WRITE_FAILED',
] as const;
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

// Shared by every fargate-mirror package (a registry-wide symbol): a brand check works across two
// installed copies of a package, where `instanceof` does not.
const BRAND = Symbol.for('fargate-mirror.error');

/** Base of every error the package throws on purpose; `code` is stable, `message` is for people. */
export class WireError extends Error {
  readonly code: WireErrorCode;
  readonly [BRAND] = 'wire';

  constructor(code: WireErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WireError';
    this.code = code;
  }
}

export function isWireError(error: unknown): error is WireError {
  return error instanceof Error && (error as { [BRAND]?: unknown })[BRAND] === 'wire';
}
