/**
 * Errors of the ui package: options a caller got wrong, and a port that cannot be served. A request
 * the page cannot answer is an HTTP status, never a thrown error. Codes are listed in README.md.
 */
export const UI_ERROR_CODES = ['UI_OPTIONS_INVALID', 'UI_BIND_FAILED', 'UI_PORT_IN_USE'] as const;
export type UiErrorCode = (typeof UI_ERROR_CODES)[number];

const BRAND = Symbol.for('fargate-mirror.error');

/** Base of every error the package throws on purpose. */
export class UiError extends Error {
  readonly code: UiErrorCode;
  readonly [BRAND] = 'ui';

  constructor(code: UiErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UiError';
    this.code = code;
  }
}

export function isUiError(error: unknown): error is UiError {
  return error instanceof Error && (error as { [BRAND]?: unknown })[BRAND] === 'ui';
}
