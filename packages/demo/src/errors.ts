/** The demo's stable codes: callers and tests match on these, never on messages. */
export const DEMO_ERROR_CODES = [
  /** A flag or option out of range (bad --duration, unknown --mode). */
  'DEMO_OPTIONS_INVALID',
  /** The output directory could not be created. */
  'DEMO_OUTPUT_FAILED',
  /** The emulated cloud did not reach the starting state (cluster, services, target) in time. */
  'DEMO_SETUP_FAILED',
  /** More tasks were started than there are loopback addresses to stand for their ENIs. */
  'DEMO_LOOPBACK_EXHAUSTED',
] as const;
export type DemoErrorCode = (typeof DEMO_ERROR_CODES)[number];

// Shared by every fargate-mirror package (CONTRIBUTING.md): recognised across two copies of a package.
const BRAND = Symbol.for('fargate-mirror.error');

/** Every error the demo throws on purpose: a stable `code`, a message meant for the user. */
export class DemoError extends Error {
  readonly code: DemoErrorCode;
  readonly [BRAND] = 'demo';

  constructor(code: DemoErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DemoError';
    this.code = code;
  }
}

/** A brand check rather than `instanceof`, so a bundled copy and `node_modules` agree. */
export function isDemoError(error: unknown): error is DemoError {
  return error instanceof Error && (error as { [BRAND]?: unknown })[BRAND] === 'demo';
}
