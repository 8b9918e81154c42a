// Issue 21, Verify: `fargate-mirror summary` on a kernel-mirrored capture of real curl and dig traffic
// (with 404s and NXDOMAINs among it) counts the requests and errors tshark counts, and its latency
// percentiles are those computed from tshark's http.time.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { OUTER_CAPTURE_FILTER } from '@fargate-mirror/testkit/capture';
import { runCli } from '@fargate-mirror/testkit/cli';
import { createMirrorLab } from '@fargate-mirror/testkit/lab';
import { run } from '@fargate-mirror/testkit/proc';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { curlTraffic, digTraffic, startTaskServers } from '@fargate-mirror/testkit/traffic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Edge {
  source: string;
  destination: string;
  protocol: string;
  requests: number;
  http4xx: number;
  http5xx: number;
  dnsFailures: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
}

/** Nanoseconds since the epoch from tshark's `frame.time_epoch` (exact: no float). */
function epochNanos(text: string): bigint {
  const [s, f = ''] = text.split('.');
  return BigInt(s ?? '0') * 1_000_000_000n + BigInt(f.padEnd(9, '0').slice(0, 9));
}

const nearestRank = (sorted: number[], q: number) => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];

async function tsharkFields(pcap: string, filter: string, fields: string[]): Promise<string[][]> {
  const { stdout } = await run('tshark', [
    '-r',
    pcap,
    '-n',
    '-Y',
    filter,
    '-T',
    'fields',
    '-E',
    'separator=\t',
    ...fields.flatMap((f) => ['-e', f]),
  ]);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'));
}

// The inner address of a VXLAN frame: tshark lists the outer header first, the inner last.
const inner = (value: string | undefined) => (value ?? '').split(',').at(-1) ?? '';

describe('fargate-mirror summary against tshark', () => {
  let dir: string;
  let pcap: string;
  let edges: Edge[];

  beforeAll(async () => {
    requireRootAndTools(['tcpdump', 'tshark', 'dnsmasq', 'dig', 'curl']);
    const lab = await createMirrorLab({ prefix: 'fmsum' });
    dir = lab.dir;
    pcap = join(dir, 'summary-outer.pcap');
    try {
      const servers = await startTaskServers(lab);
      const outer = await lab.startCapture('collector', lab.dev.collector, OUTER_CAPTURE_FILTER, pcap);
      await curlTraffic(lab, servers, { large: true });
      // Errors among the traffic: 404s in both families, on fresh and on reused connections.
      for (const host of [lab.task.v4, `[${lab.task.v6}]`]) {
        const base = `http://${host}:${servers.httpPort}`;
        await lab.exec('client', 'curl', ['-sS', '-g', '-o', '/dev/null', `${base}/missing`]);
        await lab.exec('client', 'curl', [
          '-sS',
          '-g',
          '-o',
          '/dev/null',
          '-o',
          '/dev/null',
          `${base}/`,
          `${base}/nope`,
        ]);
      }
      await digTraffic(lab);
      await outer.stop();
      const result = await runCli(['summary', pcap, '--json']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      edges = (JSON.parse(result.stdout) as { edges: Edge[] }).edges;
    } finally {
      await lab.close({ keepDir: true });
    }
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts HTTP requests and 4xx/5xx per client and server as tshark does', async () => {
    const responses = await tsharkFields(pcap, 'http.response', ['ip.src', 'ipv6.src', 'http.response.code']);
    const requests = await tsharkFields(pcap, 'http.request', ['ip.dst', 'ipv6.dst']);
    const byServer = (rows: string[][]) => {
      const m = new Map<string, number>();
      for (const r of rows) {
        const server = inner(r[1]) || inner(r[0]);
        m.set(server, (m.get(server) ?? 0) + 1);
      }
      return m;
    };
    const http = edges.filter((e) => e.protocol === 'http');
    const ours = (pick: (e: Edge) => number) => new Map(http.map((e) => [e.destination, pick(e)]));
    expect(ours((e) => e.requests)).toEqual(byServer(requests));
    const code = (r: string[]) => Number(r[2]);
    expect(ours((e) => e.http4xx)).toEqual(
      byServer(responses.filter((r) => code(r) >= 400 && code(r) < 500)),
    );
    // Both families' servers answered some 404s: the comparison is not of zeros.
    expect(http.every((e) => e.http4xx > 0)).toBe(true);
    expect(ours((e) => e.http5xx)).toEqual(new Map(http.map((e) => [e.destination, 0])));
  });

  it('counts DNS queries and failures as tshark does', async () => {
    const queries = await tsharkFields(pcap, 'dns.flags.response == 0', ['dns.id']);
    const failed = await tsharkFields(pcap, 'dns.flags.response == 1 && dns.flags.rcode != 0', ['dns.id']);
    const dns = edges.filter((e) => e.protocol === 'dns');
    expect(dns.reduce((n, e) => n + e.requests, 0)).toBe(queries.length);
    expect(dns.reduce((n, e) => n + e.dnsFailures, 0)).toBe(failed.length);
    expect(failed.length).toBeGreaterThan(0);
  });

  it('gives the latency percentiles computed from tshark http.time (request start to response end)', async () => {
    // http.time runs from the request's last frame; the summary's latency from its first, so add the
    // request's own span: the time of its frame minus that of its first TCP segment.
    const frames = new Map(
      (await tsharkFields(pcap, 'frame', ['frame.number', 'frame.time_epoch'])).map((r) => [
        r[0],
        epochNanos(r[1] ?? ''),
      ]),
    );
    const requestStart = new Map<string, bigint>();
    for (const [frame, segments] of await tsharkFields(pcap, 'http.request', [
      'frame.number',
      'tcp.segment',
    ])) {
      const first = segments ? (segments.split(',')[0] ?? frame) : frame;
      requestStart.set(frame ?? '', frames.get(first ?? '') ?? 0n);
    }
    const byServer = new Map<string, number[]>();
    for (const [src, src6, requestIn, responseFrame] of await tsharkFields(pcap, 'http.response', [
      'ip.src',
      'ipv6.src',
      'http.request_in',
      'frame.number',
    ])) {
      const server = inner(src6) || inner(src);
      const start = requestStart.get(requestIn ?? '');
      const end = frames.get(responseFrame ?? '');
      if (start === undefined || end === undefined) throw new Error(`no request frame for ${responseFrame}`);
      // Microseconds, as pcap timestamps carry them; the records give milliseconds with 3 decimals.
      const micros = Number(end / 1000n - start / 1000n);
      byServer.set(server, [...(byServer.get(server) ?? []), micros / 1000]);
    }
    const expected = new Map(
      [...byServer].map(([server, v]) => {
        const sorted = v.sort((a, b) => a - b);
        return [
          server,
          { p50: nearestRank(sorted, 0.5), p95: nearestRank(sorted, 0.95), p99: nearestRank(sorted, 0.99) },
        ];
      }),
    );
    const http = edges.filter((e) => e.protocol === 'http');
    expect(new Map(http.map((e) => [e.destination, e.latencyMs]))).toEqual(expected);
  });
});
