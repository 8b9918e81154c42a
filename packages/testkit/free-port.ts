// A loopback TCP port nothing listens on yet: for a server a test (or a bench) starts there later,
// e.g. the S3 endpoint a receiver is pointed at before aws-local is up.
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}
