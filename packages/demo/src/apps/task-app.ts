import { Resolver } from 'node:dns/promises';
import { createServer, request, type Server } from 'node:http';
import type { DemoTask } from '../aws/task-watcher.js';
import type { MirrorTap } from '../mirror/mirror-tap.js';
import { handlerFor } from './http-handlers.js';
import { TapProxy } from './tap-proxy.js';
import type { TaskDirectory } from './task-directory.js';

export interface TaskAppOptions {
  readonly task: DemoTask;
  readonly loopback: string;
  /** The port the service listens on inside the task (80, 8080). */
  readonly servicePort: number;
  /** Which service this task calls, and how often. */
  readonly calls: { readonly service: string; readonly port: number; readonly everyMs: number };
  readonly zone: string;
  readonly dns: { readonly address: string; readonly port: number };
  readonly directory: TaskDirectory;
  readonly tap: MirrorTap;
  readonly counters: { requests: number; failures: number };
}

/**
 * One simulated task: a real HTTP server on its loopback address, behind a tap proxy that stands for
 * its ENI port, and a client that keeps calling the other service: a DNS query for
 * `<service>.<zone>`, then an HTTP request to one of the answers. Now and then it asks for a name that
 * does not exist, as real software does.
 */
export class TaskApp {
  private readonly server: Server;
  private proxy: TapProxy | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly resolver: Resolver;
  private sequence = 0;
  private stopping = false;

  constructor(private readonly options: TaskAppOptions) {
    this.server = createServer(handlerFor(options.task.service));
    this.server.keepAliveTimeout = 1000;
    this.resolver = new Resolver({ timeout: 1000, tries: 1 });
    this.resolver.setLocalAddress(options.loopback);
    this.resolver.setServers([`${options.dns.address}:${options.dns.port}`]);
  }

  async start(): Promise<void> {
    const { task, loopback, servicePort, directory, tap } = this.options;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: loopback, port: 0 }, () => resolve());
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
    this.proxy = new TapProxy({ task, loopback, servicePort, upstreamPort: address.port, directory, tap });
    const port = await this.proxy.listen();
    directory.publish({ task, loopback, port });
    this.schedule();
  }

  /** Stops calling out, lets open exchanges finish, closes the proxy and the server. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.options.directory.unpublish(this.options.task);
    await Promise.all([...this.inFlight]);
    this.resolver.cancel();
    await this.proxy?.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private schedule(): void {
    if (this.stopping) return;
    const every = this.options.calls.everyMs;
    this.timer = setTimeout(
      () => {
        const work = this.callOnce().finally(() => this.inFlight.delete(work));
        this.inFlight.add(work);
        this.schedule();
      },
      every / 2 + Math.random() * every,
    );
  }

  private async callOnce(): Promise<void> {
    const { calls, zone, directory, counters, task } = this.options;
    const n = ++this.sequence;
    if (n % 5 === 0) {
      // A name nobody registered: an NXDOMAIN in the DNS records.
      await this.resolver.resolve4(`cache.${zone}`).catch(() => []);
    }
    let addresses: string[];
    try {
      addresses = await this.resolver.resolve4(`${calls.service}.${zone}`);
    } catch {
      counters.failures++;
      return;
    }
    const pick = addresses[n % addresses.length];
    const endpoint = pick === undefined ? undefined : directory.endpointOf(pick);
    if (endpoint === undefined || this.stopping) return;
    const api = calls.service === 'api';
    const post = api && n % 4 === 0;
    const path = api
      ? post
        ? '/api/orders'
        : `/api/orders/${n}?view=summary&token=demo-secret`
      : n % 3 === 0
        ? '/'
        : '/healthz';
    const body = post ? JSON.stringify({ item: `sku-${n}`, quantity: 1 + (n % 3) }) : undefined;
    await new Promise<void>((resolve) => {
      const req = request(
        {
          host: endpoint.loopback,
          port: endpoint.port,
          localAddress: this.options.loopback,
          method: post ? 'POST' : 'GET',
          path,
          agent: false,
          timeout: 3000,
          headers: {
            host: `${calls.service}.${zone}${calls.port === 80 ? '' : `:${calls.port}`}`,
            'user-agent': `demo-${task.service}/1.0`,
            // Redacted by the receiver: secrets never reach the records.
            authorization: 'Bearer demo-token-not-a-secret',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            counters.requests++;
            resolve();
          });
          res.on('error', () => {
            counters.failures++;
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => {
        counters.failures++;
        resolve();
      });
      req.end(body);
    });
  }
}
