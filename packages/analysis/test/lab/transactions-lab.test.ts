// Transaction records on real traffic made by the kernel (docs/design.md §6): curl, dig, openssl s_client
// against Node's http server, dnsmasq and openssl s_server in the lab, mirrored as VXLAN. tshark over
// the capture of the mirrored interface itself is the reference; the built CLI reads the outer stream.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonLines, runCli } from '@fargate-mirror/testkit/cli';
import { sortFlows, tcpUdpFlowsFromRecords } from '@fargate-mirror/testkit/flow-compare';
import { groundTruthFlows } from '@fargate-mirror/testkit/ground-truth';
import { run } from '@fargate-mirror/testkit/proc';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { truncateCapture } from '@fargate-mirror/testkit/rewrite';
import { captureMirroredSession, type MirroredSession } from '@fargate-mirror/testkit/session';
import { DNS_NAMES, TLS_SERVER_NAME, TRAFFIC_SECRETS } from '@fargate-mirror/testkit/traffic';
import { CaptureReader, MirrorDecoder, PcapWriter } from '@fargate-mirror/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MirrorPipeline } from '../../src/pipeline/mirror-pipeline.js';

const TOOLS = ['tcpdump', 'tshark', 'dnsmasq', 'dig', 'curl', 'openssl', 'ping', '/usr/bin/python3', 'scapy'];
type Rec = Record<string, unknown>;

async function tshark(
  pcap: string,
  filter: string,
  fields: string[],
  prefs: string[] = [],
): Promise<string[][]> {
  const args = ['-r', pcap, '-n', '-T', 'fields', '-E', 'separator=\t', '-Y', filter];
  for (const p of prefs) args.push('-o', p);
  for (const f of fields) args.push('-e', f);
  const { stdout } = await run('tshark', args);
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

async function cliRecords(pcap: string): Promise<{ records: Rec[]; text: string }> {
  const out = `${pcap}.records.jsonl`;
  const r = await runCli(['read', pcap, '--records', out]);
  if (r.code !== 0) throw new Error(`fargate-mirror read ${pcap} exited ${r.code}:\n${r.stderr}`);
  return { records: readJsonLines(out), text: readFileSync(out, 'utf8') };
}

const ofType = (records: Rec[], type: string) => records.filter((r) => r.type === type);

/** The tshark query string as records must show it: the lab's secret token value replaced. */
const redactedQuery = (q: string) => q.replace(`token=${TRAFFIC_SECRETS.queryToken}`, 'token=REDACTED');

const QTYPE: Record<string, string> = { '1': 'A', '28': 'AAAA' };

/**
 * JA4 from tshark's fields, written from the FoxIO specification independently of the receiver's
 * code, so the receiver's ClientHello parsing is checked against Wireshark's.
 */
function ja4FromTshark(cols: {
  ciphers: string;
  extensions: string;
  sigAlgs: string;
  versions: string;
  legacyVersion: string;
  alpn: string;
}): string {
  const list = (s: string) => (s === '' ? [] : s.split(',').map((v) => Number(v)));
  const grease = (v: number) => (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
  const ciphers = list(cols.ciphers).filter((v) => !grease(v));
  const exts = list(cols.extensions).filter((v) => !grease(v));
  const versions = list(cols.versions).filter((v) => !grease(v));
  const version = versions.length > 0 ? Math.max(...versions) : Number(cols.legacyVersion);
  const vname = { 772: '13', 771: '12', 770: '11', 769: '10' }[version] ?? '00';
  const alpn = cols.alpn.split(',')[0] ?? '';
  const a = `t${vname}${exts.includes(0) ? 'd' : 'i'}${String(ciphers.length).padStart(2, '0')}${String(exts.length).padStart(2, '0')}${alpn === '' ? '00' : alpn[0] + alpn[alpn.length - 1]}`;
  const hex = (v: number) => v.toString(16).padStart(4, '0');
  const h = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);
  const b = h(
    [...ciphers]
      .sort((x, y) => x - y)
      .map(hex)
      .join(','),
  );
  const extList = exts
    .filter((e) => e !== 0 && e !== 16)
    .sort((x, y) => x - y)
    .map(hex)
    .join(',');
  const sigs = list(cols.sigAlgs)
    .filter((v) => !grease(v))
    .map(hex)
    .join(',');
  return `${a}_${b}_${h(sigs === '' ? extList : `${extList}_${sigs}`)}`;
}

/**
 * The outer capture as an NLB may deliver it: packets less than 50 ms apart swapped within `window`
 * positions, about one in ten sent twice, each arriving at max(its own time, the previous arrival).
 * Connection control packets (SYN, FIN, RST) keep their place: the flow table splits a connection
 * whose SYN arrives after its FIN, which is not what reordering in flight does.
 */
function shuffleCapture(input: string, output: string, window: number, seed: number): void {
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const reader = CaptureReader.open(input);
  const decoder = new MirrorDecoder();
  const packets: { data: Buffer; micros: number; control: boolean }[] = [];
  while (reader.next()) {
    const data = Buffer.from(reader.buf.subarray(reader.offset, reader.offset + reader.capturedLength));
    decoder.decodeCaptured(data, 0, data.length, reader.linkType);
    const inner = decoder.inner;
    const control = inner.protocol === 6 && inner.hasPorts && (inner.tcp.flags & 0x07) !== 0;
    packets.push({ data, micros: reader.tsSec * 1e6 + Math.floor(reader.tsNsec / 1000), control });
  }
  const linkType = reader.linkType;
  reader.close();
  const order = packets.map((_, i) => i);
  for (let i = 0; i < order.length; i++) {
    const j = Math.min(order.length - 1, i + Math.floor(random() * window));
    const a = packets[order[i]];
    const b = packets[order[j]];
    if (a.control || b.control || Math.abs(a.micros - b.micros) > 50_000) continue;
    [order[i], order[j]] = [order[j], order[i]];
  }
  const sent: number[] = [];
  for (let i = 0; i < order.length; i++) {
    sent.push(order[i]);
    if (random() < 0.1 && !packets[order[i]].control) {
      sent.splice(Math.max(0, sent.length - Math.floor(random() * window)), 0, order[i]);
    }
  }
  const writer = PcapWriter.open(output, { linkType });
  let arrival = 0;
  for (const p of sent) {
    const { data, micros } = packets[p];
    arrival = Math.max(arrival, micros);
    writer.write(data, 0, data.length, data.length, Math.floor(arrival / 1e6), (arrival % 1e6) * 1000);
  }
  writer.close();
}

/** Transaction records without the fields that depend on packet timing. */
function transactionsForComparison(records: Rec[]): string[] {
  return records
    .filter((r) => r.type === 'http' || r.type === 'dns' || r.type === 'tls')
    .map((r) => {
      const { time: _t, duration_ms: _d, ...rest } = r;
      return JSON.stringify(rest);
    })
    .sort();
}

describe('transaction records from real mirrored traffic', () => {
  let session: MirroredSession;
  let full: { records: Rec[]; text: string };

  beforeAll(async () => {
    requireRootAndTools(TOOLS);
    session = await captureMirroredSession({ stem: 'tx' });
    full = await cliRecords(session.outerPcap);
  }, 180_000);

  afterAll(() => {
    if (session) rmSync(session.dir, { recursive: true, force: true });
  });

  it('has a record for every HTTP request tshark finds, with the same method, path, query, host and agent', async () => {
    const requests = await tshark(session.taskPcap, 'http.request', [
      'tcp.srcport',
      'http.request.method',
      'http.request.uri',
      'http.host',
      'http.user_agent',
    ]);
    expect(requests.length).toBe(12); // 6 requests (4 connections) per family, as traffic.ts makes them
    const expected = requests
      .map(([port, method, uri, host, ua]) => ({
        src_port: Number(port),
        http_method: method,
        // tshark 4.0 has no http.request.uri.path/query fields: split the URI as RFC 3986 does
        uri_path: uri.split('?')[0],
        uri_query: uri.includes('?') ? redactedQuery(uri.slice(uri.indexOf('?') + 1)) : null,
        site: host,
        http_user_agent: ua,
      }))
      .sort((a, b) => a.src_port - b.src_port || a.uri_path.localeCompare(b.uri_path));
    const got = ofType(full.records, 'http')
      .map((r) => ({
        src_port: r.src_port,
        http_method: r.http_method,
        uri_path: r.uri_path,
        uri_query: r.uri_query,
        site: r.site,
        http_user_agent: r.http_user_agent,
      }))
      .sort(
        (a, b) =>
          (a.src_port as number) - (b.src_port as number) ||
          String(a.uri_path).localeCompare(String(b.uri_path)),
      );
    expect(got).toEqual(expected);
  });

  it('pairs every response tshark finds with its request: status, content type, URL', async () => {
    const responses = await tshark(session.taskPcap, 'http.response', [
      'tcp.dstport',
      'http.response.code',
      'http.content_type',
      'http.response_for.uri',
      'http.content_length',
    ]);
    expect(responses.length).toBe(12);
    const expected = responses
      .map(([port, code, ctype, uri]) => ({
        src_port: Number(port),
        status: Number(code),
        http_content_type: ctype,
        url: redactedQuery(uri),
      }))
      .sort((a, b) => a.src_port - b.src_port || a.url.localeCompare(b.url));
    const got = ofType(full.records, 'http')
      .map((r) => ({
        src_port: r.src_port,
        status: r.status,
        http_content_type: r.http_content_type,
        url: r.url,
      }))
      .sort(
        (a, b) =>
          (a.src_port as number) - (b.src_port as number) || String(a.url).localeCompare(String(b.url)),
      );
    expect(got).toEqual(expected);
    // Bodies are counted: the /large download carries its whole body in bytes_in.
    const large = ofType(full.records, 'http').filter((r) => r.uri_path === '/large');
    expect(large.map((r) => (r.bytes_in as number) > 200_000)).toEqual([true, true]);
  });

  it('has a record for every DNS answer tshark finds: query, type, reply code, answers, transport, section counts', async () => {
    const answers = await tshark(session.taskPcap, 'dns.flags.response == 1', [
      'dns.qry.name',
      'dns.qry.type',
      'dns.flags.rcode',
      'dns.a',
      'dns.aaaa',
      'tcp.srcport',
      'dns.count.answers',
      'dns.count.auth_rr',
      'dns.count.add_rr',
    ]);
    expect(answers.length).toBe(5);
    const expected = answers
      .map(([name, type, rcode, a, aaaa, tcpPort, an, ns, ar]) => ({
        query: name,
        query_type: QTYPE[type],
        reply_code_id: Number(rcode),
        answer: [...(a === '' ? [] : a.split(',')), ...(aaaa === '' ? [] : aaaa.split(','))],
        transport: tcpPort === '' ? 'udp' : 'tcp',
        answer_count: Number(an),
        authority_answer_count: Number(ns),
        additional_answer_count: Number(ar),
      }))
      .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    const got = ofType(full.records, 'dns')
      .map((r) => ({
        query: r.query,
        query_type: r.query_type,
        reply_code_id: r.reply_code_id,
        answer: r.answer,
        transport: r.transport,
        answer_count: r.answer_count,
        authority_answer_count: r.authority_answer_count,
        additional_answer_count: r.additional_answer_count,
      }))
      .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    expect(got).toEqual(expected);
    const missing = ofType(full.records, 'dns').filter((r) => r.query === DNS_NAMES.missing);
    expect(missing.map((r) => r.reply_code)).toEqual(['NXDOMAIN']);
  });

  it('has a record for every TLS ClientHello tshark finds: server name, ALPN, and the JA4 of its fields', async () => {
    const hellos = await tshark(session.taskPcap, 'tls.handshake.type == 1', [
      'tcp.srcport',
      'tls.handshake.extensions_server_name',
      'tls.handshake.extensions_alpn_str',
      'tls.handshake.ciphersuite',
      'tls.handshake.extension.type',
      'tls.handshake.sig_hash_alg',
      'tls.handshake.extensions.supported_version',
      'tls.handshake.version',
    ]);
    expect(hellos.length).toBe(2);
    const expected = hellos
      .map(([port, sni, alpn, ciphers, extensions, sigAlgs, versions, legacyVersion]) => ({
        src_port: Number(port),
        server_name: sni,
        alpn: alpn.split(','),
        ja4: ja4FromTshark({ ciphers, extensions, sigAlgs, versions, legacyVersion, alpn }),
      }))
      .sort((a, b) => a.src_port - b.src_port);
    const got = ofType(full.records, 'tls')
      .map((r) => ({ src_port: r.src_port, server_name: r.server_name, alpn: r.alpn, ja4: r.ja4 }))
      .sort((a, b) => (a.src_port as number) - (b.src_port as number));
    expect(got).toEqual(expected);
    expect(new Set(got.map((r) => r.server_name))).toEqual(new Set([TLS_SERVER_NAME]));
  });

  it('never writes a secret the traffic carried (Authorization, Set-Cookie, ?token=)', async () => {
    // The secrets really are in the capture...
    const auth = await tshark(session.taskPcap, 'http.authorization', ['http.authorization']);
    expect(auth.map((c) => c[0])).toEqual([TRAFFIC_SECRETS.authorization, TRAFFIC_SECRETS.authorization]);
    const cookies = await tshark(session.taskPcap, 'http.set_cookie', ['http.set_cookie']);
    expect(cookies.length).toBeGreaterThan(0);
    const cookieValue = cookies[0][0].split(';')[0].split('=')[1];
    // ...and never in the records, even when headers are captured into them.
    const headerFile = join(session.dir, 'with-headers.jsonl');
    const lines: string[] = [];
    const pipeline = new MirrorPipeline({
      onRecord: (r) => lines.push(JSON.stringify(r)),
      transactions: { captureHeaders: ['authorization', 'set-cookie', 'cookie', 'user-agent'] },
    });
    const reader = CaptureReader.open(session.outerPcap);
    while (reader.next()) {
      pipeline.handleCaptured(
        reader.buf,
        reader.offset,
        reader.capturedLength,
        reader.linkType,
        reader.tsSec,
        reader.tsNsec,
      );
    }
    reader.close();
    pipeline.finish();
    const withHeaders = lines.join('\n');
    for (const text of [full.text, withHeaders]) {
      expect(text).not.toContain(TRAFFIC_SECRETS.authorization.split(' ')[1]);
      expect(text).not.toContain(`token=${TRAFFIC_SECRETS.queryToken}`);
      expect(text).not.toContain(cookieValue);
    }
    const posts = lines.map((l) => JSON.parse(l) as Rec).filter((r) => r.http_method === 'POST');
    expect(posts.map((r) => (r.http_request_headers as Rec).authorization)).toEqual(['REDACTED', 'REDACTED']);
    expect(posts.map((r) => (r.http_response_headers as Rec)['set-cookie'])).toEqual([
      'REDACTED',
      'REDACTED',
    ]);
    expect(posts.map((r) => (r.http_request_headers as Rec)['user-agent'])).toEqual([
      'curl/7.88.1',
      'curl/7.88.1',
    ]);
    void headerFile;
  });

  it('reassembly gaps are none on a clean capture: missed_bytes 0 on every flow', () => {
    expect(ofType(full.records, 'flow').map((r) => r.missed_bytes)).toEqual(
      ofType(full.records, 'flow').map(() => 0),
    );
  });

  it('truncated to 128 bytes: flows exact, request lines recovered where they fit, nothing crashes', async () => {
    const truncatedPcap = join(session.dir, 'tx-trunc128.pcap');
    const counts = await truncateCapture(session.outerPcap, truncatedPcap, 128);
    expect(counts.truncated).toBeGreaterThan(0);
    const cut = await cliRecords(truncatedPcap);
    const truth = await groundTruthFlows(session.taskPcap);
    expect(sortFlows(tcpUdpFlowsFromRecords(cut.records))).toEqual(sortFlows(truth.flows));
    // Where the request line ends within 128 bytes of the frame, the record has it.
    const requests = await tshark(
      session.taskPcap,
      'http.request',
      ['tcp.srcport', 'http.request.method', 'http.request.uri', 'ip.hdr_len', 'tcp.hdr_len'],
      ['http.desegment_body:FALSE'],
    );
    const fitting = requests.filter(([, method, uri, ipHdr, tcpHdr]) => {
      const line = `${method} ${uri} HTTP/1.1\r\n`.length;
      return 14 + (ipHdr === '' ? 40 : Number(ipHdr)) + Number(tcpHdr) + line <= 128;
    });
    expect(fitting.length).toBeGreaterThan(0);
    const got = new Set(
      ofType(cut.records, 'http').map((r) => `${r.src_port} ${r.http_method} ${r.uri_path}`),
    );
    for (const [port, method, uri] of fitting)
      expect(got).toContain(`${port} ${method} ${uri.split('?')[0]}`);
    expect(cut.text).not.toContain(`token=${TRAFFIC_SECRETS.queryToken}`);
  });

  it('reordered and duplicated segments give the same transactions', async () => {
    const shuffled = join(session.dir, 'tx-shuffled.pcap');
    shuffleCapture(session.outerPcap, shuffled, 6, 7);
    const pipeline = new MirrorPipeline({ onRecord: () => {} });
    const reader = CaptureReader.open(shuffled);
    while (reader.next()) {
      pipeline.handleCaptured(
        reader.buf,
        reader.offset,
        reader.capturedLength,
        reader.linkType,
        reader.tsSec,
        reader.tsNsec,
      );
    }
    reader.close();
    pipeline.finish();
    const stats = pipeline.transactions!.reassemblyStats;
    // The shuffle really exercised reassembly: segments waited for holes, duplicates were dropped.
    expect(stats.reordered).toBeGreaterThan(10);
    expect(stats.retransmits).toBeGreaterThan(10);
    expect(stats.gaps).toBe(0);
    const again = await cliRecords(shuffled);
    expect(transactionsForComparison(again.records)).toEqual(transactionsForComparison(full.records));
  });
});
