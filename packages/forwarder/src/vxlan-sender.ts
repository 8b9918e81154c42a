// Sends the datagrams over UDP from a small set of sockets. AWS picks the outer source port per
// inner flow from the whole port range; a user-space sidecar without raw sockets cannot choose a
// source port per datagram, so it opens N sockets (kernel-chosen ephemeral ports) and the flow hash
// picks one: every packet of a flow, both directions, leaves from the same port. The sockets stay
// unconnected on purpose: a connected UDP socket turns an ICMP port-unreachable (target restarting)
// into an error on the next send, and that datagram would be lost.
//
// Memory is bounded: a fixed pool of buffers is allocated at start; a buffer is in flight from
// `send` until the kernel has taken the datagram. When none is free the datagram is dropped and
// counted - the capture is never held up.
import { createSocket, type Socket } from 'node:dgram';
import type { DatagramSink } from './datagram-sink.js';
import type { ForwarderStats } from './forwarder-stats.js';

export interface VxlanSenderOptions {
  /** Destination address (already resolved) and port. */
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** Sockets, i.e. distinct outer source ports. */
  readonly sockets: number;
  /** Datagrams that may be in flight at once (the bounded send queue). */
  readonly queueDatagrams: number;
  /** Bytes of the largest datagram payload (VXLAN header + inner frame). */
  readonly datagramCapacity: number;
  /** SO_SNDBUF per socket, capped by the kernel's net.core.wmem_max. */
  readonly sendBufferBytes?: number;
}

interface Slot {
  readonly buf: Buffer;
  readonly done: (error: Error | null) => void;
  length: number;
}

export class VxlanSender implements DatagramSink {
  readonly capacity: number;
  private readonly free: Buffer[] = [];
  private readonly slots = new Map<Buffer, Slot>();
  private inFlight = 0;
  private drainWaiters: (() => void)[] = [];

  private constructor(
    private readonly sockets: readonly Socket[],
    private readonly options: VxlanSenderOptions,
    private readonly stats: ForwarderStats,
    private readonly onSendError: (error: Error) => void,
  ) {
    this.capacity = options.datagramCapacity;
    // Not zero-filled on purpose: a pool this large is fresh mmap'd memory (zero pages), and a page
    // becomes resident only once a datagram is written into it. Slots are reused last-in first-out,
    // so RSS follows the datagrams actually in flight (few, with the native engine), bounded by --queue.
    // Every byte sent is written first (headers, then the frame).
    const pool = Buffer.allocUnsafeSlow(options.queueDatagrams * options.datagramCapacity);
    for (let i = 0; i < options.queueDatagrams; i++) {
      const buf = pool.subarray(i * options.datagramCapacity, (i + 1) * options.datagramCapacity);
      // One callback per buffer, made once: sending allocates no closure per datagram.
      const slot: Slot = { buf, length: 0, done: (error) => this.release(slot, error) };
      this.slots.set(buf, slot);
      this.free.push(buf);
    }
  }

  /** Opens and binds the sockets. */
  static async open(
    options: VxlanSenderOptions,
    stats: ForwarderStats,
    onSendError: (error: Error) => void,
  ): Promise<VxlanSender> {
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < options.sockets; i++) {
        // reusePort: the native forward path binds the very same ports, so a flow leaves from one
        // port whichever path encapsulated it.
        const socket = createSocket({ type: options.family === 6 ? 'udp6' : 'udp4', reusePort: true });
        sockets.push(socket);
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.bind(0, () => {
            socket.off('error', reject);
            resolve();
          });
        });
        // Later socket errors are counted and logged, never fatal.
        socket.on('error', onSendError);
        if (options.sendBufferBytes !== undefined) {
          try {
            socket.setSendBufferSize(options.sendBufferBytes);
          } catch {
            // above net.core.wmem_max: the kernel default stays, drops are counted
          }
        }
      }
    } catch (e) {
      for (const s of sockets) s.close();
      throw e;
    }
    return new VxlanSender(sockets, options, stats, onSendError);
  }

  /** The outer UDP source ports in use. */
  sourcePorts(): number[] {
    return this.sockets.map((s) => s.address().port);
  }

  acquire(): Buffer | undefined {
    return this.free.pop();
  }

  send(buf: Buffer, length: number, flowHash: number): void {
    const slot = this.slots.get(buf);
    if (slot === undefined) throw new Error('send() takes only buffers from acquire()');
    slot.length = length;
    this.inFlight++;
    const o = this.options;
    this.sockets[flowHash % this.sockets.length].send(buf, 0, length, o.port, o.host, slot.done);
  }

  /** Resolves once every queued datagram has been handed to the kernel (or failed). */
  drain(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  close(): void {
    for (const s of this.sockets) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
  }

  private release(slot: Slot, error: Error | null): void {
    this.inFlight--;
    this.free.push(slot.buf);
    if (error) {
      this.stats.sendErrors++;
      this.onSendError(error);
    } else {
      this.stats.datagramsSent++;
      this.stats.bytesSent += slot.length;
    }
    if (this.inFlight === 0 && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }
}
