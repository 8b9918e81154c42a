/** What replaces a secret in records. */
export const REDACTED = 'REDACTED';

/**
 * Name words that mark a secret, in query parameters, `;` path parameters and captured headers. A
 * name matches when its whole name, or one word of it (split at `_`, `-`, `.` and case changes:
 * `idToken`, `APIKey`), is in the list, ignoring case: `token` covers `access_token`,
 * `X-Amz-Security-Token` and `idToken`, but `key` does not cover `keyword`. Compounds written as one
 * word (`apikey`, `sessionid`) are listed themselves.
 */
export const DEFAULT_REDACTED_QUERY_PARAMETERS: readonly string[] = [
  'token',
  'password',
  'passwd',
  'pwd',
  'secret',
  'key',
  'signature',
  'sig',
  'credential',
  'credentials',
  'auth',
  'session',
  'code',
  'jwt',
  'csrf',
  'xsrf',
  'otp',
  'apikey',
  'accesskey',
  'secretkey',
  'privatekey',
  'authtoken',
  'accesstoken',
  'idtoken',
  'refreshtoken',
  'sessionid',
  'sessiontoken',
  'jsessionid',
  'phpsessid',
  'sid',
  'passcode',
  'authorization',
];

/**
 * Names that match the rule above but carry no secret, compared with case and separators removed
 * (`country_code`, `countryCode` and `Country-Code` are all `countrycode`).
 */
export const DEFAULT_ALLOWED_NAMES: readonly string[] = [
  'countrycode',
  'zipcode',
  'postalcode',
  'postcode',
  'statuscode',
  'currencycode',
  'languagecode',
  'langcode',
  'regioncode',
  'errorcode',
  'responsecode',
  'codechallengemethod',
  'sortkey',
  'secwebsocketkey',
  'secwebsocketaccept',
  'accesscontrolallowcredentials',
];

/** Headers whose values never reach a record (when headers are captured at all), besides the rule. */
export const DEFAULT_REDACTED_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
];

/** Captured headers whose values are URLs: redacted as URLs (query, userinfo, fragment, path). */
const URL_HEADERS: ReadonlySet<string> = new Set(['referer', 'location', 'content-location', 'origin']);

export interface RedactionOptions {
  /** Name words (see DEFAULT_REDACTED_QUERY_PARAMETERS). @default DEFAULT_REDACTED_QUERY_PARAMETERS */
  readonly queryParameters?: readonly string[];
  /** Header names redacted whatever the rule says. @default DEFAULT_REDACTED_HEADERS */
  readonly headers?: readonly string[];
  /** Names that match the rule but are kept. @default DEFAULT_ALLOWED_NAMES */
  readonly allowedNames?: readonly string[];
}

const JWT = /^eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*$/;
const JWT_ANYWHERE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const TOKEN_CHARS = /^[A-Za-z0-9+/_=~.-]+$/;
const TOKEN_ANYWHERE = /[A-Za-z0-9+/_=~.-]{24,}/g;

/** Shortest value that is redacted for its shape alone (a long random token). */
const TOKEN_MIN_LENGTH = 24;
/** Bits per character from which a long value counts as random (base62 text is near 5.9, prose near 3). */
const TOKEN_MIN_ENTROPY = 3.8;

/**
 * Whether `value` (already percent-decoded if it was) is shaped like a secret: a JWT, or a long
 * token of mixed upper case, lower case and digits whose characters are spread like random ones.
 * Lower-case hex (UUIDs, trace ids, hashes) stays: it is how ids look, not secrets.
 */
export function looksLikeSecretValue(value: string): boolean {
  if (value.length < TOKEN_MIN_LENGTH) return false;
  if (JWT.test(value)) return true;
  if (!TOKEN_CHARS.test(value)) return false;
  let upper = 0;
  let lower = 0;
  let digit = 0;
  const counts = new Map<string, number>();
  for (const c of value) {
    if (c >= 'A' && c <= 'Z') upper++;
    else if (c >= 'a' && c <= 'z') lower++;
    else if (c >= '0' && c <= '9') digit++;
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  if (upper === 0 || lower === 0 || digit === 0) return false;
  let entropy = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    entropy -= p * Math.log2(p);
  }
  return entropy >= TOKEN_MIN_ENTROPY;
}

/**
 * Replaces secrets in URLs, query strings, host names and header values with REDACTED: by name
 * (the rule and its allow-list) and by shape (JWTs, long random tokens), in query parameters, `;`
 * path parameters, path segments, fragments and userinfo.
 */
export class Redactor {
  private readonly words: ReadonlySet<string>;
  private readonly allowed: ReadonlySet<string>;
  private readonly headerNames: ReadonlySet<string>;
  // Names repeat across requests: remember each decision (bounded; cleared when full).
  private readonly decisions = new Map<string, boolean>();

  constructor(options: RedactionOptions = {}) {
    this.words = new Set(
      (options.queryParameters ?? DEFAULT_REDACTED_QUERY_PARAMETERS).map((n) => n.toLowerCase()),
    );
    this.allowed = new Set((options.allowedNames ?? DEFAULT_ALLOWED_NAMES).map(squash));
    this.headerNames = new Set((options.headers ?? DEFAULT_REDACTED_HEADERS).map((n) => n.toLowerCase()));
  }

  /**
   * A query string (without `?`) with the values of secret parameters replaced. Scanned in place, the
   * output built only once a part changes: most queries have nothing to redact, and splitting each
   * showed in `read`'s profile on HTTP-heavy traffic. A value shorter than TOKEN_MIN_LENGTH is never
   * decoded: decoding only shortens, so it cannot look like a token.
   */
  query(query: string): string {
    if (query === '') return query;
    let out: string | undefined;
    let copied = 0;
    let start = 0;
    while (start <= query.length) {
      let end = query.indexOf('&', start);
      if (end < 0) end = query.length;
      let eq = query.indexOf('=', start);
      if (eq > end) eq = -1;
      let replacement: string | undefined;
      if (eq < 0) {
        if (end - start >= TOKEN_MIN_LENGTH && looksLikeSecretValue(decode(query.slice(start, end))))
          replacement = REDACTED;
      } else if (eq + 1 < end) {
        const rawName = query.slice(start, eq);
        if (
          this.isSecretName(rawName) ||
          (end - eq - 1 >= TOKEN_MIN_LENGTH && looksLikeSecretValue(decode(query.slice(eq + 1, end))))
        )
          replacement = `${rawName}=${REDACTED}`;
      }
      if (replacement !== undefined) {
        out = (out ?? '') + query.slice(copied, start) + replacement;
        copied = end;
      }
      start = end + 1;
    }
    return out === undefined ? query : out + query.slice(copied);
  }

  /**
   * A request target or URL with secrets replaced: the whole userinfo, secret query values, secret
   * `;` path parameters, path segments shaped like secrets, and any fragment.
   */
  target(target: string): string {
    let out = target;
    let pathStart = 0;
    const scheme = out.indexOf('://');
    if (scheme > 0 && /^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(out.slice(0, scheme))) {
      const authorityStart = scheme + 3;
      let authorityEnd = out.length;
      for (const c of ['/', '?', '#']) {
        const at = out.indexOf(c, authorityStart);
        if (at >= 0 && at < authorityEnd) authorityEnd = at;
      }
      const authority = this.host(out.slice(authorityStart, authorityEnd));
      out = out.slice(0, authorityStart) + authority + out.slice(authorityEnd);
      pathStart = authorityStart + authority.length;
    }
    let end = out.length;
    let fragment = '';
    const hash = out.indexOf('#', pathStart);
    if (hash >= 0) {
      fragment = hash + 1 < out.length ? `#${REDACTED}` : '#';
      end = hash;
    }
    const q = out.indexOf('?', pathStart);
    const pathEnd = q >= 0 && q < end ? q : end;
    const path = this.path(out.slice(pathStart, pathEnd));
    const query = pathEnd < end ? `?${this.query(out.slice(pathEnd + 1, end))}` : '';
    return out.slice(0, pathStart) + path + query + fragment;
  }

  /** A Host header or URL authority with any userinfo (`TOKEN@host`, `user:pass@host`) replaced. */
  host(authority: string): string {
    const at = authority.lastIndexOf('@');
    return at < 0 ? authority : `${REDACTED}${authority.slice(at)}`;
  }

  /** A header value: REDACTED for a secret header (`name` in any case), else with secrets inside replaced. */
  header(name: string, value: string): string {
    const lower = name.toLowerCase();
    if (this.headerNames.has(lower) || this.isSecretName(lower)) return REDACTED;
    if (URL_HEADERS.has(lower)) return this.target(value);
    return value
      .replace(JWT_ANYWHERE, REDACTED)
      .replace(TOKEN_ANYWHERE, (t) => (looksLikeSecretValue(t) ? REDACTED : t));
  }

  /** Path segments shaped like secrets, and secret `;name=value` parameters, replaced. */
  private path(path: string): string {
    if (path === '' || path === '*' || !mayHoldPathSecret(path)) return path;
    const segments = path.split('/');
    let changed = false;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      if (seg === '') continue;
      const params = seg.split(';');
      let segChanged = false;
      if (looksLikeSecretValue(decode(params[0]))) {
        params[0] = REDACTED;
        segChanged = true;
      }
      for (let j = 1; j < params.length; j++) {
        const eq = params[j].indexOf('=');
        const name = eq >= 0 ? params[j].slice(0, eq) : '';
        const value = eq >= 0 ? params[j].slice(eq + 1) : params[j];
        if (value !== '' && ((eq > 0 && this.isSecretName(name)) || looksLikeSecretValue(decode(value)))) {
          params[j] = eq >= 0 ? `${name}=${REDACTED}` : REDACTED;
          segChanged = true;
        }
      }
      if (segChanged) {
        segments[i] = params.join(';');
        changed = true;
      }
    }
    return changed ? segments.join('/') : path;
  }

  private isSecretName(rawName: string): boolean {
    const known = this.decisions.get(rawName);
    if (known !== undefined) return known;
    const secret = this.decide(rawName);
    if (this.decisions.size >= 4096) this.decisions.clear();
    this.decisions.set(rawName, secret);
    return secret;
  }

  private decide(rawName: string): boolean {
    const name = decode(rawName);
    if (this.allowed.has(squash(name))) return false;
    const lower = name.toLowerCase();
    if (this.words.has(lower)) return true;
    // Words of the name: snake, kebab, dotted, camelCase and acronym boundaries (APIKey: API Key).
    const words = name
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .replace(/([A-Z])([A-Z][a-z])/g, '$1 $2')
      .toLowerCase()
      .split(/[^a-z0-9]+/);
    for (const w of words) if (w !== '' && this.words.has(w)) return true;
    return false;
  }
}

/**
 * Whether a path can hold anything `path` redacts: a `;` parameter, or a segment long enough to be a
 * token (decoding only shortens). Most paths have neither, and are then returned without splitting.
 */
function mayHoldPathSecret(path: string): boolean {
  let run = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x3b) return true; // ;
    if (c === 0x2f)
      run = 0; // /
    else if (++run >= TOKEN_MIN_LENGTH) return true;
  }
  return false;
}

/** Lower case without separators: how allow-listed names are compared. */
function squash(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Percent- and plus-decoded, or as given when the escapes are malformed. */
function decode(s: string): string {
  if (!s.includes('%') && !s.includes('+')) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
