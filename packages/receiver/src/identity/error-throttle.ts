/**
 * The stable code of an error, for grouping reports: a Node or SDK `code` (ECONNREFUSED,
 * ERR_SYSTEM_ERROR), else its name when it is more than a plain Error (CredentialsProviderError,
 * RequestLimitExceeded), else its message (the SDK throws plain Errors such as "Region is missing").
 */
export function errorCode(error: unknown): string {
  if (error === null || typeof error !== 'object') return String(error);
  const e = error as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof e.code === 'string' && e.code !== '') return e.code;
  if (typeof e.name === 'string' && e.name !== '' && e.name !== 'Error') return e.name;
  return typeof e.message === 'string' && e.message !== '' ? e.message : 'Error';
}

/**
 * Lets through at most one report per error code per interval: a failing identity source fails on
 * every look-up (hundreds a minute), and one line per minute says as much as all of them. What was
 * held back is counted and handed to the next report of that code.
 */
export class ErrorThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns the number of reports held back since the last one when `code` may be reported now, else undefined. */
  admit(code: string): number | undefined {
    const now = this.now();
    const entry = this.last.get(code);
    if (entry !== undefined && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return undefined;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(code, { at: now, suppressed: 0 });
    return suppressed;
  }
}
