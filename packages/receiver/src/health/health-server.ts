import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ReceiverError } from '../errors.js';
import type { HealthState } from './health-state.js';

export interface HealthServerOptions {
  readonly host: string;
  readonly port: number;
  readonly state: HealthState;
  readonly registry: Registry;
  /** Test-only fault injection (config `testing.faultInjection`): kills worker `id`. */
  readonly crashWorker?: (id: number) => boolean;
  /** More routes (the live page): answers a request and returns true, or returns false. */
  readonly routes?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/**
 * HTTP on the health port: `/healthz` (200 healthy, 503 unhealthy or draining, a JSON body saying
 * why) for a load balancer's target health check, since NLB cannot health-check UDP, and `/metrics`
 * in Prometheus text format.
 */
export async function startHealthServer(
  options: HealthServerOptions,
): Promise<{ server: Server; port: number }> {
  const { state, registry } = options;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://health');
    if (url.pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      const status = state.draining ? 'draining' : state.healthy ? 'ok' : 'unhealthy';
      const body = JSON.stringify({ status, problems: state.draining ? ['shutting down'] : state.reasons });
      res.writeHead(state.serving ? 200 : 503, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : `${body}\n`);
      return;
    }
    if (url.pathname === '/metrics' && req.method === 'GET') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (error: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics failed: ${error.message}\n`);
        },
      );
      return;
    }
    if (
      url.pathname === '/debug/crash-worker' &&
      req.method === 'POST' &&
      options.crashWorker !== undefined
    ) {
      const ok = options.crashWorker(Number(url.searchParams.get('id') ?? '0'));
      res.writeHead(ok ? 202 : 404, { 'content-type': 'text/plain' });
      res.end(ok ? 'crashing\n' : 'no such worker\n');
      return;
    }
    if (options.routes?.(req, res)) return;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /healthz or /metrics\n');
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new ReceiverError(
          error.code === 'EADDRINUSE' ? 'RECEIVER_PORT_IN_USE' : 'RECEIVER_BIND_FAILED',
          `cannot serve health on tcp port ${options.port}: ${error.message}`,
          { cause: error },
        ),
      ),
    );
    server.listen({ host: options.host, port: options.port, ipv6Only: false }, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
