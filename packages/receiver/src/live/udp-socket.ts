import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { ReceiverError } from '../errors.js';

export interface OpenedSocket {
  readonly socket: Socket;
  /** What the kernel granted (Linux reports twice the usable size; capped by net.core.rmem_max). */
  readonly recvBufferBytes: number;
}

/**
 * Binds a UDP socket for mirror traffic. An IPv6 address (default `::`) gives a dual-stack socket:
 * IPv4 senders arrive as ::ffff:a.b.c.d, which the sender cache normalises. `reusePort` lets every
 * worker bind its own socket on the same port; the kernel spreads datagrams over them by a hash of
 * the outer addresses and ports.
 */
export function openMirrorSocket(
  bind: string,
  port: number,
  recvBufferBytes: number,
  reusePort: boolean,
): Promise<OpenedSocket> {
  const v6 = isIPv6(bind);
  const socket = createSocket({
    type: v6 ? 'udp6' : 'udp4',
    ipv6Only: false,
    reusePort,
    recvBufferSize: recvBufferBytes,
  });
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      socket.close();
      reject(
        new ReceiverError(
          'RECEIVER_BIND_FAILED',
          `cannot receive on udp ${formatHostPort(bind, port)}: ${error.message}`,
          {
            cause: error,
          },
        ),
      );
    };
    socket.once('error', onError);
    socket.bind({ port, address: bind }, () => {
      socket.off('error', onError);
      resolve({ socket, recvBufferBytes: socket.getRecvBufferSize() });
    });
  });
}

export function formatHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Checks that no other program holds `port` (binding without SO_REUSEPORT fails if anyone has it,
 * even with SO_REUSEPORT), so a second receiver can never silently share our traffic. Port 0 picks a
 * free port. Resolves with the port, released again for the workers.
 */
export async function claimPort(bind: string, port: number, what: string): Promise<number> {
  const socket = createSocket({ type: isIPv6(bind) ? 'udp6' : 'udp4', ipv6Only: false });
  try {
    return await new Promise<number>((resolve, reject) => {
      socket.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new ReceiverError(
            error.code === 'EADDRINUSE' ? 'RECEIVER_PORT_IN_USE' : 'RECEIVER_BIND_FAILED',
            error.code === 'EADDRINUSE'
              ? `${what} port udp ${formatHostPort(bind, port)} is already in use by another program`
              : `cannot receive on ${what} port udp ${formatHostPort(bind, port)}: ${error.message}`,
            { cause: error },
          ),
        ),
      );
      socket.bind({ port, address: bind }, () => resolve(socket.address().port));
    });
  } finally {
    await new Promise<void>((r) => {
      try {
        socket.close(() => r());
      } catch {
        r();
      }
    });
  }
}
