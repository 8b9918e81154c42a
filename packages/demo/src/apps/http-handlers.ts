import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What each demo service answers. `web` serves a page and a health check; `api` serves orders as
 * JSON. Real Node HTTP servers: the records show real methods, paths, statuses and content types.
 */
export function handlerFor(service: string): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://task');
      if (url.pathname === '/healthz') {
        send(res, 200, 'text/plain', 'ok\n');
      } else if (service === 'api' && url.pathname.startsWith('/api/orders')) {
        if (req.method === 'POST') {
          send(
            res,
            201,
            'application/json',
            JSON.stringify({ created: true, bytes: Buffer.concat(chunks).length }),
          );
        } else {
          const id = url.pathname.split('/')[3] ?? '0';
          const found = Number(id) % 7 !== 0;
          send(
            res,
            found ? 200 : 404,
            'application/json',
            JSON.stringify(
              found ? { id, items: Number(id) % 5, total: Number(id) * 3.5 } : { error: 'not found' },
            ),
          );
        }
      } else if (service === 'web' && url.pathname === '/') {
        send(
          res,
          200,
          'text/html; charset=utf-8',
          '<!doctype html><title>demo</title><p>fargate-mirror demo</p>\n',
        );
      } else {
        send(res, 404, 'text/plain', 'not found\n');
      }
    });
  };
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
