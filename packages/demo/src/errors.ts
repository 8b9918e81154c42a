/** Stable codes of the demo's errors. */
export type DemoErrorCode =
  /** A flag or option out of range (bad --duration, unknown --mode). */
  | 'DEMO_OPTIONS_INVALID'
  /** The output directory could not be created. */
  | 'DEMO_OUTPUT_FAILED'
  /** The emulated cloud did not reach the starting state (cluster, services, target) in time. */
  | 'DEMO_SETUP_FAILED';

/** Every error the demo throws on purpose: a stable `code`, a message meant for the user. */
export class DemoError extends Error {
  readonly code: DemoErrorCode;

  constructor(code: DemoErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DemoError';
    this.code = code;
  }
}
