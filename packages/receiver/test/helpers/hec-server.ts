// A local Splunk HTTP Event Collector for tests, written from Splunk's documentation ("Format events
// for HTTP Event Collector", "About HTTP Event Collector indexer acknowledgment", "Troubleshoot HTTP
// Event Collector"): /services/collector/event with `Authorization: Splunk <token>`, gzip bodies,
// batches of concatenated JSON envelopes, the documented reply codes and HTTP statuses, channels and
// /services/collector/ack. Faults on demand: busy replies (503 code 9) and refused connections.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface HecEvent {
  time?: number | string;
  host?: string;
  source?: string;
  sourcetype?: string;
  index?: string;
  event: unknown;
  fields?: Record<string, unknown>;
  /** Which request (1-based) carried it, and on which channel. */
  request: number;
  channel: string | undefined;
}

export interface HecServerOptions {
  /** Valid tokens; `useAck` tokens need a channel and answer with ackIds. */
  readonly tokens: Record<string, { useAck?: boolean; indexes?: readonly string[]; disabled?: boolean }>;
  /** limits.conf [http_input] max_content_length (decompressed). @default 800 MiB */
  readonly maxContentLength?: number;
  /** How long after acceptance an ackId turns true (indexing delay). @default 0 */
  readonly ackDelayMs?: number;
  /** Port to listen on. @default 0 (any) */
  readonly port?: number;
}

interface PendingAck {
  readonly readyAt: number;
}

/** Splunk's reply texts by code. */
const TEXT: Record<number, string> = {
  0: 'Success',
  1: 'Token disabled',
  2: 'Token is required',
  3: 'Invalid authorization',
  4: 'Invalid token',
  5: 'No data',
  6: 'Invalid data format',
  7: 'Incorrect index',
  8: 'Internal server error',
  9: 'Server is busy',
  10: 'Data channel is missing',
  11: 'Invalid data channel',
  12: 'Event field is required',
  13: 'Event field cannot be blank',
  14: 'ACK is disabled',
  17: 'HEC is healthy',
};
const STATUS: Record<number, number> = {
  0: 200,
  1: 403,
  2: 401,
  3: 401,
  4: 403,
  5: 400,
  6: 400,
  7: 400,
  8: 500,
  9: 503,
  10: 400,
  11: 400,
  12: 400,
  13: 400,
  14: 400,
  17: 200,
};

export class HecServer {
  /** Every event accepted, in order. */
  readonly events: HecEvent[] = [];
  /** Replies by code, and requests refused for size. */
  readonly replies: Record<number, number> = {};
  requests = 0;
  tooLarge = 0;
  private readonly options: HecServerOptions;
  private server: Server | undefined;
  private portNumber = 0;
  private busyLeft = 0;
  private readonly acks = new Map<string, { next: number; pending: Map<number, PendingAck> }>();

  private constructor(options: HecServerOptions) {
    this.options = options;
  }

  static async start(options: HecServerOptions): Promise<HecServer> {
    const s = new HecServer(options);
    await s.listen(options.port ?? 0);
    return s;
  }

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  /** The next `n` event requests answer 503 code 9 "Server is busy". */
  busy(n: number): void {
    this.busyLeft = n;
  }

  /** Stops listening: connections are refused until `up()`. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    if (this.server === undefined) await this.listen(this.portNumber);
  }

  async close(): Promise<void> {
    await this.down();
  }

  private listen(port: number): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.portNumber = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** Sends a documented reply; returns undefined so handlers can `return this.reply(...)`. */
  private reply(res: ServerResponse, code: number, extra: Record<string, unknown> = {}): undefined {
    this.replies[code] = (this.replies[code] ?? 0) + 1;
    res.writeHead(STATUS[code] ?? 400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ text: TEXT[code] ?? 'Error', code, ...extra }));
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<undefined> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/services/collector/health') return this.reply(res, 17);
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const isEvent = url.pathname === '/services/collector/event' || url.pathname === '/services/collector';
    const isAck = url.pathname === '/services/collector/ack';
    if (!isEvent && !isAck) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"text":"The requested URL was not found on this server.","code":404}');
      return;
    }
    const auth = req.headers.authorization;
    if (auth === undefined) return this.reply(res, 2);
    let token: string | undefined;
    if (auth.startsWith('Splunk ')) token = auth.slice('Splunk '.length).trim();
    else if (auth.startsWith('Basic ')) token = Buffer.from(auth.slice(6), 'base64').toString().split(':')[1];
    else return this.reply(res, 3);
    const config = token === undefined ? undefined : this.options.tokens[token];
    if (config === undefined) return this.reply(res, 4);
    if (config.disabled) return this.reply(res, 1);
    const channel =
      (req.headers['x-splunk-request-channel'] as string | undefined) ??
      url.searchParams.get('channel') ??
      undefined;
    if (isAck) return this.handleAck(res, config.useAck === true, channel, chunks);

    this.requests++;
    if (this.busyLeft > 0) {
      this.busyLeft--;
      return this.reply(res, 9);
    }
    if (config.useAck) {
      if (channel === undefined) return this.reply(res, 10);
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(channel))
        return this.reply(res, 11);
    }
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') {
      try {
        body = gunzipSync(body);
      } catch {
        return this.reply(res, 6);
      }
    }
    if (body.length > (this.options.maxContentLength ?? 800 * 1024 * 1024)) {
      this.tooLarge++;
      res
        .writeHead(413, { 'content-type': 'text/plain' })
        .end('Content-Length of request exceeds max_content_length');
      return;
    }
    const text = body.toString('utf8');
    if (text.trim() === '') return this.reply(res, 5);
    let envelopes: Record<string, unknown>[];
    try {
      envelopes = parseConcatenatedJson(text);
    } catch {
      return this.reply(res, 6);
    }
    // The whole request is validated before any event is kept: a bad one rejects the batch.
    for (const e of envelopes) {
      if (!('event' in e)) return this.reply(res, 12);
      if (e['event'] === '' || e['event'] === null) return this.reply(res, 13);
      const index = e['index'];
      if (index !== undefined && config.indexes !== undefined && !config.indexes.includes(String(index)))
        return this.reply(res, 7);
    }

    for (const e of envelopes)
      this.events.push({ ...(e as unknown as HecEvent), request: this.requests, channel });
    if (!config.useAck) return this.reply(res, 0);
    const state = this.channelState(channel as string);
    const ackId = state.next++;
    state.pending.set(ackId, { readyAt: Date.now() + (this.options.ackDelayMs ?? 0) });
    return this.reply(res, 0, { ackId });
  }

  private handleAck(
    res: ServerResponse,
    useAck: boolean,
    channel: string | undefined,
    chunks: Buffer[],
  ): undefined {
    if (!useAck) return this.reply(res, 14);
    if (channel === undefined) return this.reply(res, 10);
    let ids: unknown;
    try {
      ids = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { acks?: unknown }).acks;
    } catch {
      return this.reply(res, 6);
    }
    if (!Array.isArray(ids)) return this.reply(res, 6);
    const state = this.channelState(channel);
    const acks: Record<string, boolean> = {};
    const now = Date.now();
    for (const id of ids) {
      const p = state.pending.get(Number(id));
      const done = p !== undefined && p.readyAt <= now;
      acks[String(id)] = done;
      // "The status of a request is released once it has been read as true."
      if (done) state.pending.delete(Number(id));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ acks }));
    return undefined;
  }

  private channelState(channel: string) {
    let s = this.acks.get(channel);
    if (s === undefined) {
      s = { next: 0, pending: new Map() };
      this.acks.set(channel, s);
    }
    return s;
  }
}

/** Several JSON objects back to back, with or without whitespace between them (HEC batch format). */
export function parseConcatenatedJson(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
    if (i >= text.length) break;
    if (text[i] !== '{') throw new Error(`expected an object at ${i}`);
    let depth = 0;
    let inString = false;
    let j = i;
    for (; j < text.length; j++) {
      const c = text[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) break;
    }
    if (depth !== 0) throw new Error('unterminated object');
    out.push(JSON.parse(text.slice(i, j + 1)) as Record<string, unknown>);
    i = j + 1;
  }
  return out;
}

export const newToken = (): string => randomUUID();
