import { connect, createServer, type Server, type Socket } from 'node:net';
import type { DemoTask } from '../aws/task-watcher.js';
import type { MirrorTap } from '../mirror/mirror-tap.js';
import { TcpConversation } from '../packets/tcp-conversation.js';
import type { TaskDirectory } from './task-directory.js';

export interface TapProxyOptions {
  /** The task whose port this proxy stands in front of. */
  readonly task: DemoTask;
  readonly loopback: string;
  /** The service's port as the task's ENI exposes it (80, 8080): the inner destination port. */
  readonly servicePort: number;
  /** Where the task's real server listens. */
  readonly upstreamPort: number;
  readonly directory: TaskDirectory;
  readonly tap: MirrorTap;
}

/**
 * A TCP proxy in front of a task's server that turns what it relays into the packets of the same
 * connection between the two tasks' ENI addresses: no packet capture, so no root. The client task is
 * known from the loopback address it connected from; its real source port is kept.
 */
export class TapProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  connections = 0;

  constructor(private readonly options: TapProxyOptions) {
    // Half-open on both legs: each side's FIN is relayed on its own, as TCP does.
    this.server = createServer({ allowHalfOpen: true }, (client) => this.accept(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.options.loopback, port: 0 }, () => resolve());
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
    return address.port;
  }

  /** Refuses new connections and waits until the open ones have closed (or are cut after `graceMs`). */
  async close(graceMs = 2000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const timer = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, graceMs);
    await closed;
    clearTimeout(timer);
  }

  private accept(client: Socket): void {
    const { task, loopback, servicePort, upstreamPort, directory, tap } = this.options;
    this.connections++;
    const peer = directory.taskAt(client.remoteAddress ?? '');
    // A connection from outside the demo's tasks is relayed but not mirrored: it has no ENI.
    const conversation =
      peer === undefined
        ? undefined
        : new TcpConversation(
            { ip: peer.eniIp, port: client.remotePort ?? 0 },
            { ip: task.eniIp, port: servicePort },
            tap.packet,
            tap.ipId,
          );
    conversation?.open();
    const upstream = connect({ host: loopback, port: upstreamPort, allowHalfOpen: true });
    this.relay(client, upstream, conversation, true);
    this.relay(upstream, client, conversation, false);
  }

  /** One direction: what `from` sends, ends or breaks is passed to `to` and told to the conversation. */
  private relay(
    from: Socket,
    to: Socket,
    conversation: TcpConversation | undefined,
    fromClient: boolean,
  ): void {
    this.sockets.add(from);
    from.on('close', () => this.sockets.delete(from));
    from.on('data', (chunk: Buffer) => {
      conversation?.data(fromClient, chunk);
      to.write(chunk);
    });
    from.on('end', () => {
      conversation?.fin(fromClient);
      to.end();
    });
    from.on('error', () => {
      conversation?.reset(fromClient);
      to.destroy();
    });
  }
}
