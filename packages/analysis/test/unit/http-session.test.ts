import { describe, expect, it } from 'vitest';
import { httpAnomalyNames, parseHttpHead } from '../../src/dissect/http/http-head.js';
import { HttpSession } from '../../src/dissect/http/http-session.js';
import type { HttpTransaction } from '../../src/dissect/http/http-transaction.js';
import { BufferPool } from '../../src/reassembly/buffer-pool.js';

const CLIENT = 0;
const SERVER = 1;

/** A session whose client sends on direction 0; `feed` splits the bytes into segments of `chunk` bytes. */
function session(captureHeaders: string[] = []) {
  const done: HttpTransaction[] = [];
  const pool = new BufferPool(1 << 20);
  const s = new HttpSession((_slot, _dir, tx) => done.push(tx), pool, {
    maxHeadBytes: 16_384,
    maxPipelined: 8,
    captureHeaders: captureHeaders.length > 0 ? new Set(captureHeaders) : null,
  });
  s.begin(0, CLIENT);
  let now = 0;
  const feed = (dir: number, text: string, chunk = Number.POSITIVE_INFINITY) => {
    const bytes = Buffer.from(text, 'latin1');
    for (let off = 0; off < bytes.length; off += chunk) {
      const end = Math.min(bytes.length, off + chunk);
      // Each segment in its own packet-like buffer, at a nonzero offset.
      const packet = Buffer.concat([Buffer.alloc(54), bytes.subarray(off, end)]);
      now += 1000;
      s.data(dir, packet, 54, end - off, now);
    }
  };
  const gap = (dir: number, n: number) => {
    now += 1000;
    s.gap(dir, n, now);
  };
  return { s, done, feed, pool, gap };
}

const summary = (tx: HttpTransaction) => ({
  method: tx.method,
  target: tx.target,
  host: tx.host,
  status: tx.status,
  requestBytes: tx.requestBytes,
  responseBytes: tx.responseBytes,
});

// GET with a query and a user agent: 66 bytes.
//   "GET /a?x=1 HTTP/1.1\r\n"    21
//   "Host: svc\r\n"             11
//   "User-Agent: t/1\r\n"       17
//   "Accept: */*\r\n"           13  (+ "\r\n" 2 = 64)... counted below with .length
const GET_A = 'GET /a?x=1 HTTP/1.1\r\nHost: svc\r\nUser-Agent: t/1\r\nAccept: */*\r\n\r\n';
// 200 with a 5-byte body by Content-Length.
const OK_5 = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello';
// 200 with a chunked body: chunks of 4 ("wiki") and 5 ("pedia", with an extension), then a trailer.
const OK_CHUNKED =
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\n' +
  '4\r\nwiki\r\n5;name=value\r\npedia\r\n0\r\nExpires: never\r\n\r\n';

describe('HttpSession', () => {
  it('pairs a request with its Content-Length response and counts head and body bytes', () => {
    const t = session();
    t.feed(CLIENT, GET_A);
    expect(t.done).toEqual([]); // not until the response is complete
    t.feed(SERVER, OK_5);
    expect(t.done.map(summary)).toEqual([
      {
        method: 'GET',
        target: '/a?x=1',
        host: 'svc',
        status: 200,
        requestBytes: GET_A.length,
        responseBytes: OK_5.length,
      },
    ]);
    expect(t.done[0].userAgent).toBe('t/1');
    expect(t.done[0].responseContentType).toBe('text/plain');
  });

  it('reads a chunked body with chunk extensions and trailers, split one byte per segment', () => {
    const t = session();
    t.feed(CLIENT, GET_A, 1);
    t.feed(SERVER, OK_CHUNKED, 1);
    expect(t.done.map(summary)).toEqual([
      {
        method: 'GET',
        target: '/a?x=1',
        host: 'svc',
        status: 200,
        requestBytes: GET_A.length,
        responseBytes: OK_CHUNKED.length,
      },
    ]);
    expect(t.pool.stats.inUseBytes).toBe(0); // split heads were copied, then given back
  });

  it('emits each transaction of a keep-alive connection as soon as its response completes', () => {
    const t = session();
    for (let i = 0; i < 3; i++) {
      t.feed(CLIENT, GET_A.replace('/a', `/r${i}`));
      t.feed(SERVER, OK_5);
      expect(t.done.length).toBe(i + 1);
    }
    expect(t.done.map((tx) => tx.target)).toEqual(['/r0?x=1', '/r1?x=1', '/r2?x=1']);
  });

  it('pairs pipelined requests with responses in order, including a POST body and a HEAD answer', () => {
    const t = session();
    const post =
      'POST /items HTTP/1.1\r\nHost: svc\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}';
    const head = 'HEAD /h HTTP/1.1\r\nHost: svc\r\n\r\n';
    // All three requests in one segment, before any response.
    t.feed(CLIENT, post + head + GET_A);
    // HEAD's answer announces a length but has no body; the next response follows at once.
    const headAnswer = 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n';
    t.feed(SERVER, `${'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n'}${headAnswer}${OK_CHUNKED}`);
    expect(t.done.map((tx) => [tx.method, tx.target, tx.status, tx.requestBytes])).toEqual([
      ['POST', '/items', 201, post.length],
      ['HEAD', '/h', 200, head.length],
      ['GET', '/a?x=1', 200, GET_A.length],
    ]);
    expect(t.done[0].requestContentType).toBe('application/json');
  });

  it('skips 100 Continue and pairs the final response', () => {
    const t = session();
    t.feed(CLIENT, 'PUT /u HTTP/1.1\r\nHost: svc\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n');
    t.feed(SERVER, 'HTTP/1.1 100 Continue\r\n\r\n');
    t.feed(CLIENT, 'abc');
    t.feed(SERVER, 'HTTP/1.1 204 No Content\r\n\r\n');
    expect(t.done.map((tx) => [tx.method, tx.status])).toEqual([['PUT', 204]]);
  });

  it('reads an HTTP/1.0 response without length until the connection closes', () => {
    const t = session();
    t.feed(CLIENT, 'GET /old HTTP/1.0\r\n\r\n');
    t.feed(SERVER, 'HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>');
    t.feed(SERVER, '</html>');
    expect(t.done).toEqual([]);
    t.s.end(SERVER, 99_000);
    expect(t.done.map((tx) => [tx.status, tx.responseBytes])).toEqual([
      [200, 'HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html></html>'.length],
    ]);
  });

  it('keeps message framing across a gap inside a counted body', () => {
    const t = session();
    t.feed(CLIENT, GET_A);
    t.feed(SERVER, 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789');
    t.gap(SERVER, 80); // lost in the middle of the body
    t.feed(SERVER, '0123456789');
    t.feed(CLIENT, GET_A.replace('/a', '/b'));
    t.feed(SERVER, OK_5);
    expect(t.done.map((tx) => [tx.target, tx.status, tx.responseBytes])).toEqual([
      ['/a?x=1', 200, 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n'.length + 100],
      ['/b?x=1', 200, OK_5.length],
    ]);
  });

  it('recovers the request line and status of a head cut by a gap, then resynchronises on the next message', () => {
    const t = session();
    // Truncated mirror packets: the first bytes of each message, then the rest is missing.
    t.feed(CLIENT, 'GET /cut?q=1 HTTP/1.1\r\nHost: sv');
    t.gap(CLIENT, 40);
    t.feed(SERVER, 'HTTP/1.1 404 Not Found\r\nContent-Ty');
    t.gap(SERVER, 300);
    t.feed(CLIENT, GET_A);
    t.feed(SERVER, OK_5);
    expect(t.done.map((tx) => [tx.method, tx.target, tx.host, tx.status])).toEqual([
      ['GET', '/cut?q=1', null, 404],
      ['GET', '/a?x=1', 'svc', 200],
    ]);
  });

  it('reports a response whose request was never seen, and a request left unanswered at the end', () => {
    const t = session();
    t.feed(SERVER, OK_5); // mid-stream start: the answer to a request before the capture began
    t.feed(CLIENT, GET_A);
    t.s.finish(50_000);
    expect(t.done.map((tx) => [tx.method, tx.status])).toEqual([
      [null, 200],
      ['GET', null],
    ]);
  });

  it('stops reading a connection that switches protocols', () => {
    const t = session();
    t.feed(CLIENT, 'GET /ws HTTP/1.1\r\nHost: svc\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    t.feed(SERVER, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n');
    t.feed(CLIENT, '\x81\x85binary frames that are not HTTP');
    t.feed(SERVER, 'GET / HTTP/1.1\r\n\r\n'); // even if it looks like HTTP
    expect(t.done.map((tx) => [tx.target, tx.status])).toEqual([['/ws', 101]]);
  });

  it('copies chosen headers, repeated ones joined', () => {
    const t = session(['authorization', 'cookie', 'x-trace']);
    t.feed(
      CLIENT,
      'GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic Zm9vOmJhcg==\r\nX-Trace: 1\r\nx-trace: 2\r\n\r\n',
    );
    t.feed(SERVER, OK_5);
    expect(t.done[0].requestHeaders).toEqual({ authorization: 'Basic Zm9vOmJhcg==', 'x-trace': '1, 2' });
  });
});

describe('parseHttpHead', () => {
  const parse = (text: string) => {
    const b = Buffer.from(text, 'latin1');
    return parseHttpHead(b, 0, b.length, null);
  };

  it('rejects what is not an HTTP/1.x start line', () => {
    expect(parse('HELLO world\r\n\r\n')).toBeNull();
    expect(parse('GET /\r\n\r\n')).toBeNull(); // HTTP/0.9 has no version
    expect(parse('HTTP/1.1 2x0 OK\r\n\r\n')).toBeNull();
  });

  it('takes chunked only as the final transfer coding, and Connection: close', () => {
    expect(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n')?.chunked).toBe(true);
    expect(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n')?.chunked).toBe(false);
    expect(parse('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n')?.close).toBe(true);
    expect(parse('HTTP/1.0 200 OK\r\n\r\n')?.close).toBe(true);
  });
});

describe('request smuggling shapes', () => {
  const names = (tx: HttpTransaction) => [
    ...httpAnomalyNames(tx.requestAnomalies, 'request_'),
    ...httpAnomalyNames(tx.responseAnomalies, 'response_'),
  ];

  it('flags Content-Length with Transfer-Encoding, and duplicate or conflicting Content-Length', () => {
    const t = session();
    t.feed(
      CLIENT,
      'POST /a HTTP/1.1\r\nHost: svc\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    t.feed(SERVER, OK_5);
    t.feed(CLIENT, 'POST /b HTTP/1.1\r\nHost: svc\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc');
    t.feed(SERVER, 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Length: 5\r\n\r\nhello');
    expect(t.done.map(names)).toEqual([
      ['request_content_length_with_transfer_encoding'],
      ['request_duplicate_content_length', 'response_conflicting_content_length'],
    ]);
  });

  it('flags a Content-Length that is no number and a Transfer-Encoding not ending in chunked', () => {
    const head = (m: string) => parseHttpHead(Buffer.from(m), 0, m.length, null);
    const bad = head(
      'POST /c HTTP/1.1\r\nHost: svc\r\nTransfer-Encoding: gzip\r\nContent-Length: x1\r\n\r\n',
    );
    expect(httpAnomalyNames(bad?.anomalies ?? 0, '')).toEqual([
      'content_length_with_transfer_encoding',
      'invalid_content_length',
      'transfer_encoding_not_chunked',
    ]);
    expect(head('GET / HTTP/1.1\r\nHost: svc\r\n\r\n')?.anomalies).toBe(0);
  });

  it('flags nothing on clean framing', () => {
    const t = session();
    t.feed(CLIENT, GET_A);
    t.feed(SERVER, OK_CHUNKED);
    t.feed(CLIENT, GET_A);
    t.feed(SERVER, OK_5);
    expect(t.done.map(names)).toEqual([[], []]);
  });
});
