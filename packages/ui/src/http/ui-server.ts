import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UiError } from '../errors.js';
import type { LiveView } from '../live/live-view.js';
import { createUiRoutes, type UiRoutesOptions } from './ui-routes.js';

export interface UiServerOptions extends UiRoutesOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly view: LiveView;
}

export interface UiServer {
  readonly server: Server;
  readonly port: number;
  /** `http://host:port/ui/` (host in brackets when IPv6; `::` and `0.0.0.0` shown as loopback). */
  readonly url: string;
  close(): Promise<void>;
}

/** The page on a port of its own (`receive --ui-port`, the demo): `/` leads to it. */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const routes = createUiRoutes(options.view, options);
  const prefix = (options.prefix ?? '/ui').replace(/\/+$/, '');
  const server = createServer((req, res) => {
    if (routes(req, res)) return;
    if (req.url === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(302, { location: `${prefix}/` });
      res.end();
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`not found: the page is at ${prefix}/\n`);
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new UiError(
          error.code === 'EADDRINUSE' ? 'UI_PORT_IN_USE' : 'UI_BIND_FAILED',
          `cannot serve the live page on tcp ${options.host} port ${options.port}: ${error.message}`,
          { cause: error },
        ),
      ),
    );
    server.listen({ host: options.host, port: options.port, ipv6Only: false }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: uiUrl(options.host, port, prefix),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The page's address as a person would open it. */
export function uiUrl(host: string, port: number, prefix = '/ui'): string {
  const h = host === '::' || host === '0.0.0.0' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}${prefix}/`;
}
