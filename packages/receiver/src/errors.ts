/** Every code the receiver package throws on purpose; the README has a table of them. */
export const RECEIVER_ERROR_CODES = [
  'RECEIVER_CONFIG_INVALID',
  'RECEIVER_NOT_STARTED',
  'RECEIVER_OUTPUT_FAILED',
  'RECEIVER_BIND_FAILED',
  'RECEIVER_PORT_IN_USE',
  'RECEIVER_WORKER_FAILED',
  'RECEIVER_INTAKE_UNAVAILABLE',
  'HEC_TOKEN_MISSING',
  'HEC_URL_INVALID',
  'HEC_SPOOL_UNUSABLE',
  'HEC_CONFIG_INVALID',
  'IDENTITY_MAP_INVALID',
  'REPLAY_OPTIONS_CONFLICT',
  'REPLAY_BAD_TARGET',
  'REPLAY_SEND_FAILED',
] as const;
export type ReceiverErrorCode = (typeof RECEIVER_ERROR_CODES)[number];

const BRAND = Symbol.for('fargate-mirror.error');

/** Base of every error the receiver package throws on purpose, with a stable `code`. */
export class ReceiverError extends Error {
  readonly code: ReceiverErrorCode;
  readonly [BRAND] = 'receiver';

  constructor(code: ReceiverErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReceiverError';
    this.code = code;
  }
}

/** A brand check, not `instanceof`: two copies of the package (a bundle, node_modules) agree. */
export function isReceiverError(error: unknown): error is ReceiverError {
  return error instanceof Error && (error as { [BRAND]?: unknown })[BRAND] === 'receiver';
}
