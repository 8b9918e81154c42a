import { HecConfigError } from './hec-errors.js';

/** What to do with a batch after HEC answered (or failed to). */
export type HecOutcome =
  | { readonly kind: 'accepted'; readonly ackId: number | undefined }
  /** Busy, 5xx, network trouble: send the same batch again after a back-off. */
  | { readonly kind: 'retry'; readonly reason: string }
  /** Our configuration is wrong (token, index, acks): report it plainly, keep the batch, retry slowly. */
  | { readonly kind: 'permanent'; readonly reason: string; readonly code: number | undefined }
  /** This batch itself is unacceptable (malformed, too large): set it aside, go on with the next. */
  | { readonly kind: 'rejected'; readonly reason: string; readonly code: number | undefined };

// HEC reply codes (Splunk's "Troubleshoot HTTP Event Collector" table).
const CONFIG_CODES: Record<number, string> = {
  1: 'the HEC token is disabled',
  2: 'no HEC token was sent',
  3: 'HEC authorization is invalid',
  4: 'the HEC token is invalid (check FARGATE_MIRROR_HEC_TOKEN / --hec-token-file)',
  7: 'the index is not allowed for this HEC token or does not exist (check --hec-index)',
  10: 'the request has no data channel although the token requires indexer acknowledgement (enable ack)',
  11: 'the data channel is invalid',
  14: 'indexer acknowledgement is disabled for this token (turn ack off, or enable useACK on the token)',
  16: 'query-string authorization is not enabled',
};
const BATCH_CODES: Record<number, string> = {
  5: 'no data',
  6: 'invalid data format',
  12: 'event field is required',
  13: 'event field cannot be blank',
  15: 'error in handling indexed fields',
};

/** Classifies one HEC reply. */
export function classifyHecReply(
  status: number,
  body: { code?: number; text?: string; ackId?: number },
): HecOutcome {
  const code = typeof body.code === 'number' ? body.code : undefined;
  const text = `HTTP ${status}${code === undefined ? '' : ` code ${code}`}${body.text ? ` "${body.text}"` : ''}`;
  if (status >= 200 && status < 300 && (code === undefined || code === 0)) {
    return { kind: 'accepted', ackId: typeof body.ackId === 'number' ? body.ackId : undefined };
  }
  if (
    status === 503 ||
    status === 429 ||
    status >= 500 ||
    code === 9 ||
    code === 8 ||
    (code !== undefined && code >= 18 && code <= 20)
  ) {
    return { kind: 'retry', reason: `Splunk HEC is busy or failing: ${text}` };
  }
  if (code !== undefined && CONFIG_CODES[code] !== undefined) {
    return {
      kind: 'permanent',
      reason: `Splunk HEC refused the configuration: ${CONFIG_CODES[code]} (${text})`,
      code,
    };
  }
  if (status === 401 || status === 403 || status === 404) {
    return {
      kind: 'permanent',
      reason: `Splunk HEC refused the request: ${text} (check the URL and token)`,
      code,
    };
  }
  if (status === 413) {
    return {
      kind: 'rejected',
      reason: `Splunk HEC: batch larger than max_content_length (${text}); lower hec.maxBatchBytes`,
      code,
    };
  }
  if (code !== undefined && BATCH_CODES[code] !== undefined) {
    return { kind: 'rejected', reason: `Splunk HEC rejected a batch: ${BATCH_CODES[code]} (${text})`, code };
  }
  return { kind: 'permanent', reason: `Splunk HEC answered unexpectedly: ${text}`, code };
}

export interface HecClientOptions {
  /** `https://host:8088` (the collector paths are added), or the full `.../services/collector/event` URL. */
  readonly url: string;
  readonly token: string;
  /** Sent as X-Splunk-Request-Channel on every request (needed by indexer acknowledgement). */
  readonly channel?: string;
  /** @default 30000 */
  readonly timeoutMs?: number;
}

/** The two HEC calls the sink makes: post a gzip batch of events, and query acknowledgements. */
export class HecClient {
  private readonly eventUrl: string;
  private readonly ackUrl: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(options: HecClientOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch (error) {
      throw new HecConfigError(
        'HEC_URL_INVALID',
        `invalid HEC URL ${JSON.stringify(withoutUserInfo(options.url))}: expected e.g. https://splunk.example.com:8088`,
        {
          cause: error,
        },
      );
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:')
      throw new HecConfigError(
        'HEC_URL_INVALID',
        `HEC URL must be http: or https:, got ${withoutUserInfo(options.url)}`,
      );
    if (base.username !== '' || base.password !== '')
      throw new HecConfigError(
        'HEC_URL_INVALID',
        `HEC URL ${base.protocol}//${base.host}${base.pathname} must not carry credentials (user:password@host): they would be logged and sent in clear; give the HEC token with FARGATE_MIRROR_HEC_TOKEN or a token file`,
      );
    const root = base.pathname.replace(/\/services\/collector(\/event)?\/?$/, '').replace(/\/$/, '');
    this.eventUrl = new URL(`${root}/services/collector/event`, base).toString();
    this.ackUrl = new URL(`${root}/services/collector/ack`, base).toString();
    this.headers = { authorization: `Splunk ${options.token}` };
    if (options.channel !== undefined) this.headers['x-splunk-request-channel'] = options.channel;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async send(gzipBody: Buffer): Promise<HecOutcome> {
    try {
      const res = await fetch(this.eventUrl, {
        method: 'POST',
        headers: { ...this.headers, 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipBody,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return classifyHecReply(res.status, await replyBody(res));
    } catch (error) {
      return { kind: 'retry', reason: `Splunk HEC unreachable: ${describeNetworkError(error)}` };
    }
  }

  /** `{ackId: true|false}`; throws on network trouble or a non-200 answer. */
  async queryAcks(ackIds: readonly number[]): Promise<Record<string, boolean>> {
    const res = await fetch(this.ackUrl, {
      method: 'POST',
      headers: { ...this.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ acks: ackIds }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const body = (await replyBody(res)) as { acks?: Record<string, boolean> };
    if (res.status !== 200 || typeof body.acks !== 'object' || body.acks === null) {
      throw new Error(`ack query answered HTTP ${res.status}: ${JSON.stringify(body)}`);
    }
    return body.acks;
  }
}

async function replyBody(res: Response): Promise<{ code?: number; text?: string; ackId?: number }> {
  const text = await res.text();
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as { code?: number }) : {};
  } catch {
    return { text: text.slice(0, 200) };
  }
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

/** The URL with any `user:password@` removed, for error messages (never print credentials). */
function withoutUserInfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
}
