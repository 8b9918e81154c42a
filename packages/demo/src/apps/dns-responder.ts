import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { udpDatagram } from '@fargate-mirror/wire';
import type { MirrorTap } from '../mirror/mirror-tap.js';
import { buildDnsResponse, parseDnsQuery } from './dns-message.js';
import type { TaskDirectory } from './task-directory.js';

export interface DnsResponderOptions {
  /** Loopback address it listens on (the stand-in for the VPC resolver). */
  readonly loopback: string;
  /** The VPC resolver's address (VPC base + 2): the inner address of the DNS packets. */
  readonly resolverIp: string;
  /** Names are `<service>.<zone>`. */
  readonly zone: string;
  readonly directory: TaskDirectory;
  readonly tap: MirrorTap;
}

/**
 * The VPC's DNS resolver, for the demo zone: `<service>.<zone>` answers with the ENI addresses of the
 * service's running tasks (like ECS service discovery), anything else NXDOMAIN. Every exchange with
 * a task becomes the UDP packets between the task's ENI and the resolver's address, mirrored at the task.
 */
export class DnsResponder {
  private readonly socket: Socket = createSocket('udp4');
  queries = 0;

  constructor(private readonly options: DnsResponderOptions) {
    this.socket.on('message', (msg, rinfo) => this.answer(msg, rinfo));
    this.socket.on('error', () => {
      // a send to a client that went away: nothing to do
    });
  }

  async listen(): Promise<{ address: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind({ address: this.options.loopback, port: 0 }, () => {
        this.socket.off('error', reject);
        resolve();
      });
    });
    return this.socket.address();
  }

  close(): void {
    this.socket.close();
  }

  private answer(msg: Buffer, rinfo: RemoteInfo): void {
    const q = parseDnsQuery(msg);
    if (q === undefined) return;
    this.queries++;
    const { zone, directory, tap, resolverIp } = this.options;
    const suffix = `.${zone}`;
    const service = q.name.endsWith(suffix) ? q.name.slice(0, -suffix.length) : '';
    const addresses = service === '' ? [] : directory.addressesOf(service);
    const response = buildDnsResponse(q, addresses.length > 0, addresses, 5);
    const client = directory.taskAt(rinfo.address);
    if (client !== undefined) {
      tap.packet(
        udpDatagram(
          { srcIp: client.eniIp, dstIp: resolverIp, id: tap.ipId(client.eniIp) },
          rinfo.port,
          53,
          msg,
        ),
      );
      tap.packet(
        udpDatagram(
          { srcIp: resolverIp, dstIp: client.eniIp, id: tap.ipId(resolverIp) },
          53,
          rinfo.port,
          response,
        ),
      );
    }
    this.socket.send(response, rinfo.port, rinfo.address);
  }
}
