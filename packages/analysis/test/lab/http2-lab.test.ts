// Cleartext HTTP/2 and gRPC (issue 18 item 6): real curl --http2-prior-knowledge against Node's
// http2 server (IPv4 and IPv6, several streams on one connection, a POST, a secret in the query and
// the Authorization header) and a real gRPC exchange (@grpc/grpc-js client and server: an OK call and
// a failing one), mirrored by the kernel as VXLAN. tshark's http2 dissector on the same capture is
// the reference: one record per stream with its method, :authority, path, status, content type,
// frame bytes each way and grpc-status.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { OUTER_CAPTURE_FILTER } from '@fargate-mirror/testkit/capture';
import { readJsonLines, runCli } from '@fargate-mirror/testkit/cli';
import { createMirrorLab, type MirrorLab } from '@fargate-mirror/testkit/lab';
import { run } from '@fargate-mirror/testkit/proc';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const H2_PORT = 8081;
const GRPC_PORT = 50051;
/** The h2c upgrade server (Python's h2: Node's http2 server does not take `Upgrade: h2c`). */
const H2C_PORT = 8082;
const SECRET = 'q9Zt3Kp7Lm2Xv8Rb5Nw4Yc6';
const BEARER = 'Bearer h2-secret-bearer-value';
const GRPC = createRequire(import.meta.url).resolve('@grpc/grpc-js');
type Rec = Record<string, unknown>;

const H2_SERVER = `
const http2 = require('node:http2');
const server = http2.createServer((req, res) => {
  let size = 0;
  req.on('data', (c) => { size += c.length; });
  req.on('end', () => {
    const path = req.url.split('?')[0];
    if (path === '/big') { res.setHeader('content-type', 'application/octet-stream'); res.end(Buffer.alloc(100000, 'b')); }
    else if (path === '/echo') { res.statusCode = 201; res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ size })); }
    else if (path === '/missing') { res.statusCode = 404; res.end(); }
    else { res.setHeader('content-type', 'text/plain'); res.end('hello ' + path + '\\n'); }
  });
});
server.listen(${H2_PORT}, '::', () => console.log('listening'));
`;

// HTTP/1.1 request with Upgrade: h2c -> 101, then HTTP/2; stream 1 answers the upgrading request.
const H2C_SERVER = `
import socket, sys
import h2.config, h2.connection, h2.events

srv = socket.socket(socket.AF_INET6)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('::', ${H2C_PORT}))
srv.listen()
print('listening', flush=True)

def respond(conn, sid, path):
    body = b'upgraded ' + path + b'\\n'
    conn.send_headers(sid, [(':status', '200'), ('content-type', 'text/plain'), ('content-length', str(len(body)))])
    conn.send_data(sid, body, end_stream=True)

def serve(s):
    data = b''
    while b'\\r\\n\\r\\n' not in data:
        data += s.recv(65535)
    head, rest = data.split(b'\\r\\n\\r\\n', 1)
    lines = head.split(b'\\r\\n')
    path = lines[0].split(b' ')[1]
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(b':', 1) for l in lines[1:])}
    s.sendall(b'HTTP/1.1 101 Switching Protocols\\r\\nConnection: Upgrade\\r\\nUpgrade: h2c\\r\\n\\r\\n')
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
    conn.initiate_upgrade_connection(headers[b'http2-settings'])
    respond(conn, 1, path)
    s.sendall(conn.data_to_send())
    while True:
        for e in conn.receive_data(rest) if rest else []:
            if isinstance(e, h2.events.RequestReceived):
                respond(conn, e.stream_id, dict(e.headers)[b':path'])
        out = conn.data_to_send()
        if out:
            s.sendall(out)
        rest = s.recv(65535)
        if not rest:
            break

while True:
    s, _ = srv.accept()
    try:
        serve(s)
    except Exception as e:
        print('connection failed:', repr(e), file=sys.stderr, flush=True)
    finally:
        s.close()
`;

const H2_CLIENT = (origin: string) => `
const http2 = require('node:http2');
const session = http2.connect(${JSON.stringify(origin)});
const get = (path) => new Promise((resolve, reject) => {
  const req = session.request({ ':path': path });
  let status = 0;
  req.on('response', (h) => { status = h[':status']; });
  req.on('data', () => {});
  req.on('end', () => resolve(status));
  req.on('error', reject);
});
Promise.all([get('/one'), get('/big'), get('/three')]).then((s) => { console.log(s.join(',')); session.close(); });
`;

const GRPC_SERVICE = `
const grpc = require(${JSON.stringify(GRPC)});
const id = (b) => b;
const method = (name) => ({ path: '/demo.v1.Greeter/' + name, requestStream: false, responseStream: false,
  requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id });
const service = { SayHello: method('SayHello'), Fail: method('Fail') };
`;

const GRPC_SERVER = `${GRPC_SERVICE}
const server = new grpc.Server();
server.addService(service, {
  SayHello: (call, cb) => cb(null, Buffer.concat([Buffer.from('hello '), call.request])),
  Fail: (call, cb) => cb({ code: grpc.status.NOT_FOUND, details: 'no such greeting' }),
});
server.bindAsync('[::]:${GRPC_PORT}', grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
  console.log('listening');
});
`;

const grpcClient = (target: string) => `${GRPC_SERVICE}
const Client = grpc.makeGenericClientConstructor(service, 'Greeter');
const c = new Client(${JSON.stringify(target)}, grpc.credentials.createInsecure());
c.SayHello(Buffer.from('world'), (err, res) => {
  if (err) throw err;
  c.Fail(Buffer.from('x'), (failed) => {
    console.log(JSON.stringify({ answer: res.toString(), failed: failed && failed.code }));
    c.close();
  });
});
`;

/** One stream as tshark's http2 dissector reads it, in our record's terms. */
interface StreamTruth {
  key: string;
  http_method: string | null;
  uri_path: string | null;
  site: string | null;
  status: number | null;
  http_content_type: string | null;
  bytes_out: number;
  bytes_in: number;
  grpc_status: number | null;
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The first value of field `key` anywhere in a tshark JSON subtree (request-line fields are nested). */
function find(tree: unknown, key: string): unknown {
  if (tree === null || typeof tree !== 'object') return undefined;
  for (const [k, v] of Object.entries(tree)) {
    if (k === key) return v;
    const inner = find(v, key);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/** Every stream of the capture's HTTP/2 connections, from tshark's JSON. */
async function tsharkStreams(pcap: string): Promise<StreamTruth[]> {
  const { stdout } = await run(
    'tshark',
    [
      '-r',
      pcap,
      '-n',
      // The mirror reorders a little (an ACK can arrive before the segment it acks): tshark's single
      // pass otherwise loses a stream's DATA now and then (once 16,445 bytes of a 100,124-byte answer).
      '-o',
      'tcp.reassemble_out_of_order:TRUE',
      '-d',
      `tcp.port==${H2_PORT},http2`,
      '-d',
      `tcp.port==${GRPC_PORT},http2`,
      '-d',
      `tcp.port==${H2C_PORT},http`,
      '-Y',
      'http2 or http',
      '-T',
      'json',
      '--no-duplicate-keys',
    ],
    { timeoutMs: 120_000 },
  );
  const streams = new Map<string, StreamTruth & { blocks: number }>();
  const stream = (key: string) => {
    let s = streams.get(key);
    if (s === undefined) {
      s = {
        key,
        http_method: null,
        uri_path: null,
        site: null,
        status: null,
        http_content_type: null,
        bytes_out: 0,
        bytes_in: 0,
        grpc_status: null,
        blocks: 0,
      };
      streams.set(key, s);
    }
    return s;
  };
  for (const packet of JSON.parse(stdout) as { _source: { layers: Record<string, unknown> } }[]) {
    const layers = packet._source.layers;
    const tcp = asArray(layers.tcp as Record<string, string> | Record<string, string>[]).at(-1) as Record<
      string,
      string
    >;
    const dst = Number(tcp['tcp.dstport']);
    const fromClient = dst === H2_PORT || dst === GRPC_PORT || dst === H2C_PORT;
    const clientPort = fromClient ? tcp['tcp.srcport'] : tcp['tcp.dstport'];
    // The HTTP/1.1 request that asked for h2c: stream 1's request, as tshark's http dissector reads it.
    const upgrading = asArray(layers.http as Rec | Rec[]).find(
      (h) => find(h, 'http.request.method') !== undefined,
    );
    if (upgrading !== undefined && dst === H2C_PORT) {
      const s = stream(`${clientPort} 1`);
      s.http_method = String(find(upgrading, 'http.request.method'));
      s.uri_path = String(find(upgrading, 'http.request.uri'));
      s.site = String(find(upgrading, 'http.host'));
      s.bytes_out = Number(tcp['tcp.len']);
    }
    for (const layer of asArray(layers.http2 as Rec | Rec[])) {
      for (const frame of asArray(layer['http2.stream'] as Rec | Rec[])) {
        const type = Number(frame['http2.type']);
        const id = Number(frame['http2.streamid']);
        if (id === 0 || (type !== 0 && type !== 1 && type !== 9)) continue;
        const s = stream(`${clientPort} ${id}`);
        const bytes = 9 + Number(frame['http2.length']);
        if (fromClient) s.bytes_out += bytes;
        else s.bytes_in += bytes;
        const headers = asArray(frame['http2.header'] as Rec | Rec[]);
        if (headers.length === 0) continue;
        const trailers = !fromClient && s.blocks > 0;
        if (!fromClient) s.blocks++;
        for (const h of headers) {
          const name = String(h['http2.header.name']);
          const value = String(h['http2.header.value']);
          if (fromClient) {
            if (name === ':method') s.http_method = value;
            else if (name === ':path') s.uri_path = value.split('?')[0];
            else if (name === ':authority') s.site = value;
          } else if (name === ':status') s.status = Number(value);
          else if (name === 'content-type' && !trailers) s.http_content_type = value;
          else if (name === 'grpc-status') s.grpc_status = Number(value);
        }
      }
    }
  }
  return [...streams.values()].map(({ blocks: _, ...s }) => s).sort((a, b) => a.key.localeCompare(b.key));
}

const asTruth = (r: Rec): StreamTruth => ({
  key: `${r.src_port} ${r.http2_stream_id}`,
  http_method: r.http_method as string | null,
  uri_path: r.uri_path as string | null,
  site: r.site as string | null,
  status: r.status as number | null,
  http_content_type: r.http_content_type as string | null,
  bytes_out: r.bytes_out as number,
  bytes_in: r.bytes_in as number,
  grpc_status: (r.grpc_status ?? null) as number | null,
});

describe('cleartext HTTP/2 and gRPC records', () => {
  let lab: MirrorLab | undefined;
  let records: Rec[] = [];
  let recordsText = '';
  let truth: StreamTruth[] = [];

  beforeAll(async () => {
    requireRootAndTools(['tcpdump', 'tshark', 'curl', '/usr/bin/python3']);
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import h2'], { stdio: 'ignore' });
    } catch {
      throw new Error("Python's h2 is missing (the h2c upgrade server): apt-get install python3-h2");
    }
    const l = await createMirrorLab({ prefix: 'fmh2' });
    lab = l;
    const h2 = l.spawn('task', process.execPath, ['-e', H2_SERVER]);
    const grpcServer = l.spawn('task', process.execPath, ['-e', GRPC_SERVER]);
    const h2cScript = join(l.dir, 'h2c-server.py');
    writeFileSync(h2cScript, H2C_SERVER);
    const h2c = l.spawn('task', '/usr/bin/python3', ['-B', h2cScript]);
    await h2c.waitForOutput('listening');
    await h2.waitForOutput('listening');
    await grpcServer.waitForOutput('listening');
    const outerPcap = join(l.dir, 'outer.pcap');
    const outer = await l.startCapture('collector', l.dev.collector, OUTER_CAPTURE_FILTER, outerPcap);
    const curl = (args: string[]) =>
      l.exec('client', 'curl', [
        '-sS',
        '--fail-with-body',
        '-g',
        '--http2-prior-knowledge',
        '--max-time',
        '20',
        ...args,
      ]);
    for (const host of [l.task.v4, `[${l.task.v6}]`]) {
      const base = `http://${host}:${H2_PORT}`;
      // One transfer per curl: Debian's curl 7.88 breaks off a prior-knowledge connection it reuses.
      await curl(['-o', '/dev/null', `${base}/`]);
      await curl(['-o', '/dev/null', `${base}/big`]);
      await curl([
        '-o',
        '/dev/null',
        '-H',
        'content-type: application/json',
        '--data-binary',
        '{"n":1}',
        `${base}/echo`,
      ]);
      await l.exec('client', 'curl', [
        '-sS',
        '--http2-prior-knowledge',
        '-g',
        '-o',
        '/dev/null',
        `${base}/missing`,
      ]);
    }
    await curl([
      '-o',
      '/dev/null',
      '-H',
      `authorization: ${BEARER}`,
      `http://${l.task.v4}:${H2_PORT}/api/items?token=${SECRET}&page=2`,
    ]);
    // Three concurrent streams (1, 3, 5) on one connection, from Node's http2 client.
    const h2Client = join(l.dir, 'h2-client.cjs');
    writeFileSync(h2Client, H2_CLIENT(`http://${l.task.v4}:${H2_PORT}`));
    expect((await l.exec('client', process.execPath, [h2Client])).stdout.trim()).toBe('200,200,200');
    // HTTP/1.1 with Upgrade: h2c (curl --http2 on http://), one connection per family.
    for (const host of [l.task.v4, `[${l.task.v6}]`]) {
      const r = await l.exec(
        'client',
        'curl',
        ['-sS', '-g', '--http2', '--max-time', '20', `http://${host}:${H2C_PORT}/up/grade`],
        { allowFailure: true },
      );
      if (r.code !== 0) throw new Error(`curl --http2 ${host}: ${r.stderr}\nserver: ${h2c.stderr()}`);
      expect(r.stdout).toBe('upgraded /up/grade\n');
    }
    const clientScript = join(l.dir, 'grpc-client.cjs');
    writeFileSync(clientScript, grpcClient(`${l.task.v4}:${GRPC_PORT}`));
    const answer = await l.exec('client', process.execPath, [clientScript]);
    expect(JSON.parse(answer.stdout)).toEqual({ answer: 'hello world', failed: 5 });
    expect((await outer.stop()).droppedByKernel).toBe(0);
    const out = join(l.dir, 'records.jsonl');
    const r = await runCli([
      'read',
      outerPcap,
      '--records',
      out,
      '--capture-headers',
      'authorization,user-agent',
    ]);
    expect(r.code, r.stderr).toBe(0);
    records = readJsonLines(out);
    recordsText = JSON.stringify(records);
    truth = await tsharkStreams(outerPcap);
  }, 180_000);

  afterAll(async () => {
    await lab?.close();
  });

  it('has one record per stream tshark finds, with its method, authority, path, status, content type and bytes', () => {
    expect(truth.length).toBe(2 * 4 + 1 + 3 + 2 + 2);
    const got = records
      .filter((r) => r.type === 'http' && r.http_version === '2')
      .map(asTruth)
      .sort((a, b) => a.key.localeCompare(b.key));
    expect(got).toEqual(truth);
  });

  it('names the gRPC service and method, and the grpc-status of the trailers', () => {
    const grpc = records.filter((r) => r.type === 'http' && r.dest_port === GRPC_PORT);
    expect(
      grpc.map((r) => [r.grpc_service, r.grpc_method, r.grpc_status, r.http_content_type]).sort(),
    ).toEqual([
      ['demo.v1.Greeter', 'Fail', 5, 'application/grpc+proto'],
      ['demo.v1.Greeter', 'SayHello', 0, 'application/grpc+proto'],
    ]);
  });

  it('labels the flows http2 by content, on ports no table names', () => {
    const flows = records.filter(
      (r) => r.type === 'flow' && (r.dest_port === H2_PORT || r.dest_port === GRPC_PORT),
    );
    expect(flows.length).toBe(2 * 4 + 1 + 1 + 1);
    const upgraded = records.filter((r) => r.type === 'flow' && r.dest_port === H2C_PORT);
    expect(upgraded.map((f) => f.app)).toEqual(['http2', 'http2']);
    for (const f of flows) expect(f.app).toBe('http2');
  });

  it('redacts as for HTTP/1: the query token and the Authorization header never reach a record', () => {
    const r = records.find((x) => x.uri_path === '/api/items');
    expect(r?.uri_query).toBe('token=REDACTED&page=2');
    expect(r?.http_request_headers).toEqual({
      authorization: 'REDACTED',
      'user-agent': expect.stringMatching(/^curl\//),
    });
    expect(recordsText).not.toContain(SECRET);
    expect(recordsText).not.toContain('h2-secret-bearer-value');
  });
});
