// Http2Session on hand-built frames: padding and priority fields, a header block split over
// CONTINUATION frames and over segments one byte long, trailers with grpc-status, RST_STREAM, a gap
// (the direction stops being read; open streams are reported at the end), and bad input that must
// not throw. Real traffic against tshark is in test/lab/http2-lab.test.ts.
import { describe, expect, it } from 'vitest';
import type { HttpTransaction } from '../../src/dissect/http/http-transaction.js';
import { HTTP2_PREFACE, Http2Session } from '../../src/dissect/http2/http2-session.js';
import { BufferPool } from '../../src/reassembly/buffer-pool.js';

const CLIENT = 0;
const SERVER = 1;

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

/** A header block of literals without indexing (HPACK 0000 with a new name), no Huffman coding. */
function block(fields: [string, string][]): Buffer {
  const parts: Buffer[] = [];
  for (const [n, v] of fields) {
    parts.push(
      Buffer.from([0x00, n.length]),
      Buffer.from(n, 'latin1'),
      Buffer.from([v.length]),
      Buffer.from(v, 'latin1'),
    );
  }
  return Buffer.concat(parts);
}

function session(capture: string[] = []) {
  const done: HttpTransaction[] = [];
  const s = new Http2Session((_slot, _dir, tx) => done.push(tx), new BufferPool(1 << 20), {
    maxHeadBytes: 16_384,
    maxPipelined: 8,
    captureHeaders: capture.length > 0 ? new Set(capture) : null,
  });
  s.begin(0, CLIENT);
  let now = 0;
  const feed = (dir: number, bytes: Buffer, chunk = Number.POSITIVE_INFINITY) => {
    for (let off = 0; off < bytes.length; off += chunk) {
      const end = Math.min(bytes.length, off + chunk);
      now += 1000;
      s.data(dir, Buffer.concat([Buffer.alloc(40), bytes.subarray(off, end)]), 40, end - off, now);
    }
  };
  return { s, done, feed };
}

const REQUEST = block([
  [':method', 'POST'],
  [':scheme', 'http'],
  [':authority', 'svc:50051'],
  [':path', '/demo.v1.Greeter/SayHello'],
  ['content-type', 'application/grpc'],
  ['x-api-key', 'k'],
]);

describe('Http2Session', () => {
  it('reads padded and prioritised HEADERS, CONTINUATION, DATA and trailers, split into 1-byte segments', () => {
    const { done, feed } = session(['x-api-key']);
    const padded = Buffer.concat([
      Buffer.from([3]),
      Buffer.alloc(5),
      REQUEST.subarray(0, 10),
      Buffer.alloc(3),
    ]);
    const client = Buffer.concat([
      HTTP2_PREFACE,
      frame(4, 0, 0, Buffer.alloc(0)), // SETTINGS
      frame(1, 0x8 | 0x20, 1, padded), // HEADERS, PADDED | PRIORITY, no END_HEADERS
      frame(9, 0x4, 1, REQUEST.subarray(10)), // CONTINUATION, END_HEADERS
      frame(0, 0x1, 1, Buffer.alloc(12)), // DATA, END_STREAM
    ]);
    feed(CLIENT, client, 1);
    const server = Buffer.concat([
      frame(4, 0, 0, Buffer.alloc(0)),
      frame(
        1,
        0x4,
        1,
        block([
          [':status', '200'],
          ['content-type', 'application/grpc+proto'],
        ]),
      ),
      frame(0, 0, 1, Buffer.alloc(20)),
      frame(
        1,
        0x4 | 0x1,
        1,
        block([
          ['grpc-status', '5'],
          ['content-type', 'ignored/trailer'],
        ]),
      ),
    ]);
    feed(SERVER, server, 7);
    expect(done).toHaveLength(1);
    const tx = done[0];
    expect([tx.method, tx.target, tx.host, tx.requestContentType, tx.status, tx.responseContentType]).toEqual(
      ['POST', '/demo.v1.Greeter/SayHello', 'svc:50051', 'application/grpc', 200, 'application/grpc+proto'],
    );
    expect(tx.grpcStatus).toBe(5);
    expect(tx.streamId).toBe(1);
    expect(tx.requestHeaders).toEqual({ 'x-api-key': 'k' });
    expect(tx.requestBytes).toBe(9 + padded.length + 9 + (REQUEST.length - 10) + 9 + 12);
    expect(tx.responseBytes).toBe(server.length - 9);
  });

  it('reports a reset stream at once, and open streams at the end after a gap', () => {
    const { s, done, feed } = session();
    const get = (id: number) =>
      frame(
        1,
        0x4 | 0x1,
        id,
        block([
          [':method', 'GET'],
          [':path', `/s${id}`],
        ]),
      );
    feed(CLIENT, Buffer.concat([HTTP2_PREFACE, get(1), get(3), get(5)]));
    feed(SERVER, frame(3, 0, 3, Buffer.alloc(4))); // RST_STREAM 3
    expect(done.map((t) => t.target)).toEqual(['/s3']);
    s.gap(SERVER);
    feed(SERVER, frame(1, 0x4 | 0x1, 1, block([[':status', '200']]))); // not read: the direction was lost
    s.finish();
    expect(done.map((t) => [t.target, t.status])).toEqual([
      ['/s3', null],
      ['/s1', null],
      ['/s5', null],
    ]);
  });

  it('stops reading a direction whose header block does not decode, without throwing', () => {
    const { s, done, feed } = session();
    feed(CLIENT, Buffer.concat([HTTP2_PREFACE, frame(1, 0x4, 1, Buffer.from([0xff, 0x7f, 0xff]))]));
    feed(CLIENT, frame(1, 0x4, 3, Buffer.from([0x82]))); // after the bad block: ignored
    feed(CLIENT, frame(9, 0x4, 7, Buffer.alloc(3))); // a CONTINUATION out of place
    s.finish();
    expect(done.map((t) => [t.streamId, t.method])).toEqual([[1, null]]);
  });
});
