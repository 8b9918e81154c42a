/** What replaces a secret in records. */
export const REDACTED = 'REDACTED';

/**
 * Query parameters whose values never reach a record. A parameter matches when its whole name, or one
 * word of it (split at `_`, `-`, `.` and lower-to-upper case changes), is in the list, ignoring case:
 * `token` covers `access_token`, `X-Amz-Security-Token` and `idToken`, but `key` does not cover
 * `keyword`.
 */
export const DEFAULT_REDACTED_QUERY_PARAMETERS: readonly string[] = [
  'token',
  'password',
  'passwd',
  'pwd',
  'secret',
  'key',
  'signature',
  'credential',
];

/** Headers whose values never reach a record (when headers are captured at all). */
export const DEFAULT_REDACTED_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
];

export interface RedactionOptions {
  /** @default DEFAULT_REDACTED_QUERY_PARAMETERS */
  readonly queryParameters?: readonly string[];
  /** @default DEFAULT_REDACTED_HEADERS */
  readonly headers?: readonly string[];
}

/** Replaces secret values in URLs, query strings and header values with REDACTED. */
export class Redactor {
  private readonly queryNames: ReadonlySet<string>;
  private readonly headerNames: ReadonlySet<string>;
  // Parameter names repeat across requests: remember each decision (bounded; cleared when full).
  private readonly decisions = new Map<string, boolean>();

  constructor(options: RedactionOptions = {}) {
    this.queryNames = new Set(
      (options.queryParameters ?? DEFAULT_REDACTED_QUERY_PARAMETERS).map((n) => n.toLowerCase()),
    );
    this.headerNames = new Set((options.headers ?? DEFAULT_REDACTED_HEADERS).map((n) => n.toLowerCase()));
  }

  /** A query string (without `?`) with the values of secret parameters replaced. */
  query(query: string): string {
    if (query === '' || this.queryNames.size === 0) return query;
    const parts = query.split('&');
    let changed = false;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      const eq = part.indexOf('=');
      const rawName = eq >= 0 ? part.slice(0, eq) : part;
      if (eq >= 0 && this.isSecretParameter(rawName)) {
        parts[i] = `${rawName}=${REDACTED}`;
        changed = true;
      }
    }
    return changed ? parts.join('&') : query;
  }

  /** A request target or URL with secret query values and any userinfo password replaced. */
  target(target: string): string {
    let out = target;
    const scheme = out.indexOf('://');
    if (scheme > 0) {
      const authorityStart = scheme + 3;
      let authorityEnd = out.length;
      for (const c of ['/', '?', '#']) {
        const at = out.indexOf(c, authorityStart);
        if (at >= 0 && at < authorityEnd) authorityEnd = at;
      }
      const at = out.lastIndexOf('@', authorityEnd);
      if (at >= authorityStart) {
        const colon = out.indexOf(':', authorityStart);
        const userEnd = colon >= 0 && colon < at ? colon : at;
        out = `${out.slice(0, userEnd)}:${REDACTED}${out.slice(at)}`;
      }
    }
    const q = out.indexOf('?');
    if (q < 0) return out;
    const hash = out.indexOf('#', q);
    const end = hash >= 0 ? hash : out.length;
    return out.slice(0, q + 1) + this.query(out.slice(q + 1, end)) + out.slice(end);
  }

  /** A header value, or REDACTED for a secret header (`name` in any case). */
  header(name: string, value: string): string {
    return this.headerNames.has(name.toLowerCase()) ? REDACTED : value;
  }

  private isSecretParameter(rawName: string): boolean {
    const known = this.decisions.get(rawName);
    if (known !== undefined) return known;
    const secret = this.decide(rawName);
    if (this.decisions.size >= 4096) this.decisions.clear();
    this.decisions.set(rawName, secret);
    return secret;
  }

  private decide(rawName: string): boolean {
    let name = rawName;
    if (name.includes('%') || name.includes('+')) {
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // malformed escapes: match the raw name
      }
    }
    const lower = name.toLowerCase();
    if (this.queryNames.has(lower)) return true;
    // Words of the name: snake, kebab, dotted, and camelCase boundaries.
    const words = name
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .toLowerCase()
      .split(/[^a-z0-9]+/);
    for (const w of words) if (w !== '' && this.queryNames.has(w)) return true;
    return false;
  }
}
