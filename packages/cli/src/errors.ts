/** A mistake of the user's (bad file, bad flag): printed as one line, exit code 2, no stack trace. */
export class UsageError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
    this.code = code;
  }
}

/** Errors whose message is meant for the user as it is (their packages set a stable `code`). */
export function isUserFacing(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code);
}
