import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LiveView } from '../live/live-view.js';
import { UiAssets } from './ui-assets.js';

/** A request handler that answers what is under its prefix and returns false for anything else. */
export type UiRequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface UiRoutesOptions {
  /** Path the page lives under. @default '/ui' */
  readonly prefix?: string;
  /** Live-update streams open at once; more are refused with 503. @default 16 */
  readonly maxStreams?: number;
  /** Milliseconds between live updates. @default 1000 */
  readonly updateMs?: number;
  readonly assets?: UiAssets;
}

// The page runs only its own script and talks only to this server; records hold text from the
// mirrored traffic (paths, hosts), which the page writes as text, never as markup. Inline styles are
// allowed because Cytoscape.js sizes its canvases with them; scripts are not.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/**
 * The live page, read-only: GET `<prefix>/` (the page and its bundle), `<prefix>/api/state` (the
 * summary, the map's nodes, health), `<prefix>/api/transactions?service=&status=&path=&limit=`, and
 * `<prefix>/api/events` (Server-Sent Events: the state every second).
 */
export function createUiRoutes(view: LiveView, options: UiRoutesOptions = {}): UiRequestHandler {
  const prefix = (options.prefix ?? '/ui').replace(/\/+$/, '');
  const maxStreams = options.maxStreams ?? 16;
  const updateMs = options.updateMs ?? 1000;
  const assets = options.assets ?? new UiAssets();
  let streams = 0;

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://ui');
    const path = url.pathname;
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      res.end('the page is read-only: GET or HEAD\n');
      return true;
    }
    const rest = path.slice(prefix.length);
    if (rest === '') {
      res.writeHead(302, { location: `${prefix}/` });
      res.end();
      return true;
    }
    if (rest === '/api/state') {
      sendJson(req, res, view.state());
      return true;
    }
    if (rest === '/api/transactions') {
      const q = url.searchParams;
      const limit = q.get('limit');
      sendJson(
        req,
        res,
        view.transactions({
          service: q.get('service') ?? undefined,
          status: q.get('status') ?? undefined,
          path: q.get('path') ?? undefined,
          limit: limit === null ? undefined : Number(limit) || undefined,
        }),
      );
      return true;
    }
    if (rest === '/api/events') {
      if (streams >= maxStreams) {
        res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' });
        res.end(`at most ${maxStreams} live pages at once\n`);
        return true;
      }
      streams++;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      const send = () => res.write(`event: update\ndata: ${JSON.stringify(view.state())}\n\n`);
      send();
      const timer = setInterval(send, updateMs);
      res.on('close', () => {
        clearInterval(timer);
        streams--;
      });
      return true;
    }
    const name = rest === '/' ? 'index.html' : rest.slice(1);
    const asset = assets.get(name);
    if (asset === undefined) {
      const missing = !assets.built;
      res.writeHead(missing ? 503 : 404, { 'content-type': 'text/plain' });
      res.end(
        missing
          ? 'the live page is not built: run `npm run build` (it bundles packages/ui/assets)\n'
          : `not found: the page is at ${prefix}/\n`,
      );
      return true;
    }
    res.writeHead(200, {
      'content-type': asset.type,
      'content-length': asset.body.length,
      'cache-control': 'no-cache',
      ...PAGE_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  };
}

function sendJson(req: IncomingMessage, res: ServerResponse, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(200, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
