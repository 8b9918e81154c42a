// Real traffic from the lab's client to its task: Node's http server, dnsmasq and openssl s_server in
// the task namespace; curl, dig, openssl s_client and ping in the client namespace. Every step waits
// for completion and checks the peer's answer, so a capture taken around it holds whole conversations.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MirrorLab } from './lab.ts';
import type { Started } from './proc.ts';

/** Secrets the traffic carries, so redaction tests know what must never appear in records. */
export const TRAFFIC_SECRETS = {
  authorization: 'Bearer secret-token-123',
  queryToken: 'abc',
} as const;

/** Names dnsmasq answers (and one it answers NXDOMAIN for). */
export const DNS_NAMES = {
  hostRecord: 'api.svc.local',
  hostV4: '10.77.9.10',
  hostV6: 'fd00:77:9::10',
  wildcard: 'anything.wild.svc.local',
  wildcardV4: '10.77.9.9',
  missing: 'missing.svc.local',
} as const;

export const TLS_SERVER_NAME = 'api.example.test';
export const LARGE_RESPONSE_BYTES = 200_000;

export interface TaskServers {
  readonly httpPort: number;
  readonly tlsPort: number;
  readonly dnsPort: number;
  readonly http: Started;
  readonly dns: Started;
  readonly tls: Started[];
  /** Stops the three servers (by PID); lab.close() would too. */
  stop(): Promise<void>;
}

// The task's web service. Paths: / (small), /large (LARGE_RESPONSE_BYTES), /api/items (JSON, echoes
// the POST body size), anything else 404. Keep-alive is Node's default.
const HTTP_SERVER_SOURCE = `
const http = require('node:http');
const port = Number(process.argv[1]);
const large = Buffer.alloc(${LARGE_RESPONSE_BYTES}, 'abcdefghijklmnopqrstuvwxyz0123456789\\n');
const server = http.createServer((req, res) => {
  let size = 0;
  req.on('data', (c) => { size += c.length; });
  req.on('end', () => {
    const path = req.url.split('?')[0];
    if (path === '/') { res.setHeader('content-type', 'text/plain'); res.end('hello from the task\\n'); }
    else if (path === '/large') { res.setHeader('content-type', 'application/octet-stream'); res.end(large); }
    else if (path.startsWith('/api/')) {
      res.setHeader('content-type', 'application/json');
      res.setHeader('set-cookie', 'session=s3cr3t-cookie; HttpOnly');
      res.end(JSON.stringify({ method: req.method, path, received: size }));
    } else { res.statusCode = 404; res.end('not found\\n'); }
  });
});
server.listen(port, '::', () => console.log('listening ' + port));
`;

export async function startHttpServer(lab: MirrorLab, port = 8080): Promise<Started> {
  const proc = lab.spawn('task', process.execPath, ['-e', HTTP_SERVER_SOURCE, String(port)]);
  await proc.waitForOutput(`listening ${port}`);
  return proc;
}

export async function startDnsServer(lab: MirrorLab): Promise<Started> {
  const proc = lab.spawn('task', 'dnsmasq', [
    '--no-daemon',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--bind-interfaces',
    `--listen-address=${lab.task.v4}`,
    `--listen-address=${lab.task.v6}`,
    `--pid-file=${join(lab.dir, 'dnsmasq.pid')}`,
    '--log-facility=-',
    `--address=/wild.svc.local/${DNS_NAMES.wildcardV4}`,
    `--host-record=${DNS_NAMES.hostRecord},${DNS_NAMES.hostV4},${DNS_NAMES.hostV6}`,
    // Names under svc.local that no record covers get NXDOMAIN from dnsmasq itself.
    '--local=/svc.local/',
  ]);
  await proc.waitForOutput('started, version');
  return proc;
}

/** openssl s_server with a fresh self-signed certificate; one process per address (it binds one). */
export async function startTlsServer(lab: MirrorLab, port = 8443): Promise<Started[]> {
  const cert = join(lab.dir, 'tls-cert.pem');
  const key = join(lab.dir, 'tls-key.pem');
  await lab.exec('task', 'openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${TLS_SERVER_NAME}`,
  ]);
  const servers: Started[] = [];
  for (const host of [lab.task.v4, `[${lab.task.v6}]`]) {
    // -www answers each GET with a status page and closes: one short TLS conversation per s_client.
    const proc = lab.spawn('task', 'openssl', [
      's_server',
      '-accept',
      `${host}:${port}`,
      '-cert',
      cert,
      '-key',
      key,
      '-alpn',
      'http/1.1',
      '-www',
    ]);
    await proc.waitForOutput('ACCEPT');
    servers.push(proc);
  }
  return servers;
}

export async function startTaskServers(lab: MirrorLab): Promise<TaskServers> {
  const http = await startHttpServer(lab);
  const dns = await startDnsServer(lab);
  const tls = await startTlsServer(lab);
  return {
    httpPort: 8080,
    tlsPort: 8443,
    dnsPort: 53,
    http,
    dns,
    tls,
    async stop() {
      await Promise.all([http.stop(), dns.stop(), ...tls.map((t) => t.stop())]);
    },
  };
}

export type Family = 'v4' | 'v6';

function urlHost(lab: MirrorLab, family: Family): string {
  return family === 'v4' ? lab.task.v4 : `[${lab.task.v6}]`;
}

export interface CurlOptions {
  families?: Family[];
  /** Fetch /large (LARGE_RESPONSE_BYTES). @default true */
  large?: boolean;
  /** Size of the POST body; 20 KB gives full-size frames from client to task. @default 20000 */
  postBytes?: number;
}

/**
 * Per family: a GET, a keep-alive sequence of three GETs on one connection, optionally the large
 * download, and a POST with an Authorization header and a ?token= query.
 */
export async function curlTraffic(
  lab: MirrorLab,
  servers: TaskServers,
  opts: CurlOptions = {},
): Promise<void> {
  const bodyFile = join(lab.dir, 'post-body.json');
  const postBytes = opts.postBytes ?? 20_000;
  writeFileSync(bodyFile, JSON.stringify({ items: 'x'.repeat(Math.max(0, postBytes - 12)) }));
  for (const family of opts.families ?? ['v4', 'v6']) {
    const base = `http://${urlHost(lab, family)}:${servers.httpPort}`;
    const curl = async (args: string[]) => {
      const r = await lab.exec('client', 'curl', ['-sS', '--fail', '-g', '--max-time', '20', ...args]);
      return r.stdout;
    };
    await curl(['-o', '/dev/null', `${base}/`]);
    const connects = await curl([
      '-w',
      '%{num_connects}\n',
      ...['/a', '/b', '/c'].flatMap((p) => ['-o', '/dev/null', `${base}/api${p}`]),
    ]);
    if (
      connects
        .trim()
        .split('\n')
        .map(Number)
        .reduce((a, b) => a + b, 0) !== 1
    ) {
      throw new Error(`curl did not reuse one keep-alive connection for three requests: ${connects}`);
    }
    if (opts.large ?? true) {
      const size = await curl(['-o', '/dev/null', '-w', '%{size_download}', `${base}/large`]);
      if (Number(size) !== LARGE_RESPONSE_BYTES) throw new Error(`/large gave ${size} bytes`);
    }
    const posted = await curl([
      '-X',
      'POST',
      '-H',
      `Authorization: ${TRAFFIC_SECRETS.authorization}`,
      '-H',
      'Content-Type: application/json',
      '-H',
      'Expect:',
      '--data-binary',
      `@${bodyFile}`,
      `${base}/api/items?token=${TRAFFIC_SECRETS.queryToken}&page=2`,
    ]);
    if (!posted.includes('"method":"POST"')) throw new Error(`POST answer unexpected: ${posted}`);
  }
}

async function dig(
  lab: MirrorLab,
  server: string,
  args: string[],
  expect: { status: string; answer?: string },
) {
  const r = await lab.exec('client', 'dig', [`@${server}`, '+time=3', '+tries=1', ...args]);
  const status = /status: (\w+)/.exec(r.stdout)?.[1];
  if (status !== expect.status || (expect.answer && !r.stdout.includes(expect.answer))) {
    throw new Error(
      `dig ${args.join(' ')} @${server}: expected ${JSON.stringify(expect)}, got:\n${r.stdout}`,
    );
  }
}

/** A, AAAA (over IPv6), a wildcard name, a NXDOMAIN name, and one query over TCP. */
export async function digTraffic(lab: MirrorLab): Promise<void> {
  await dig(lab, lab.task.v4, [DNS_NAMES.hostRecord, 'A'], { status: 'NOERROR', answer: DNS_NAMES.hostV4 });
  await dig(lab, lab.task.v6, [DNS_NAMES.hostRecord, 'AAAA'], {
    status: 'NOERROR',
    answer: DNS_NAMES.hostV6,
  });
  await dig(lab, lab.task.v4, [DNS_NAMES.wildcard, 'A'], { status: 'NOERROR', answer: DNS_NAMES.wildcardV4 });
  await dig(lab, lab.task.v4, [DNS_NAMES.missing, 'A'], { status: 'NXDOMAIN' });
  await dig(lab, lab.task.v4, ['+tcp', DNS_NAMES.hostRecord, 'A'], {
    status: 'NOERROR',
    answer: DNS_NAMES.hostV4,
  });
}

/** One TLS conversation per family: SNI api.example.test, ALPN h2,http/1.1, a GET inside. */
export async function tlsTraffic(lab: MirrorLab, servers: TaskServers, families: Family[] = ['v4', 'v6']) {
  for (const family of families) {
    const r = await lab.exec(
      'client',
      'openssl',
      [
        's_client',
        '-connect',
        `${urlHost(lab, family)}:${servers.tlsPort}`,
        '-servername',
        TLS_SERVER_NAME,
        '-alpn',
        'h2,http/1.1',
        // Keep reading after stdin ends, until the server closes (after its answer).
        '-ign_eof',
      ],
      { input: 'GET / HTTP/1.0\r\n\r\n', timeoutMs: 20_000 },
    );
    if (!r.stdout.includes('HTTP/1.0 200 ok') || !r.stdout.includes('ALPN protocol: http/1.1')) {
      throw new Error(`openssl s_client over ${family} gave no TLS answer:\n${r.stdout}\n${r.stderr}`);
    }
  }
}

/** ping and ping -6, `count` echoes each; `size` bytes of payload (1472 fills a 1500-byte IPv4 frame). */
export async function pingTraffic(
  lab: MirrorLab,
  opts: { count?: number; size?: number } = {},
): Promise<void> {
  const count = String(opts.count ?? 3);
  const size = String(opts.size ?? 56);
  await lab.exec('client', 'ping', ['-c', count, '-i', '0.2', '-W', '5', '-s', size, lab.task.v4]);
  await lab.exec('client', 'ping', ['-6', '-c', count, '-i', '0.2', '-W', '5', '-s', size, lab.task.v6]);
}

export interface ClientTrafficOptions extends CurlOptions {
  pingCount?: number;
  pingSize?: number;
}

/** Everything above in a fixed order: curl, dig, openssl, ping (IPv4 and IPv6 each). */
export async function runClientTraffic(
  lab: MirrorLab,
  servers: TaskServers,
  opts: ClientTrafficOptions = {},
): Promise<void> {
  await curlTraffic(lab, servers, opts);
  await digTraffic(lab);
  await tlsTraffic(lab, servers, opts.families);
  await pingTraffic(lab, { count: opts.pingCount, size: opts.pingSize });
}
