// `fargate-mirror summary`'s arithmetic on records written by hand: sides by service or address,
// error counts by kind, nearest-rank percentiles, bytes each way, the top lists.
import { describe, expect, it } from 'vitest';
import { nearestRank, TrafficSummary } from '../../src/index.ts';

const web = { src_ecs_cluster: 'shop', src_ecs_service: 'web', src_ip: '10.0.0.1' };
const toApi = { dest_ecs_cluster: 'shop', dest_ecs_service: 'api', dest_ip: '10.0.0.2' };

describe('nearestRank', () => {
  it('is the smallest value with at least q of the values at or below it', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(nearestRank(v, 0.5)).toBe(5);
    expect(nearestRank(v, 0.95)).toBe(10);
    expect(nearestRank(v, 0.1)).toBe(1);
    expect(nearestRank([7], 0.99)).toBe(7);
    expect(nearestRank([], 0.5)).toBeNull();
  });
});

describe('TrafficSummary', () => {
  it('totals one edge per source, destination and protocol', () => {
    const s = new TrafficSummary();
    s.add({
      type: 'flow',
      app: 'http',
      ...web,
      ...toApi,
      bytes_out: 100,
      bytes_in: 1000,
      tcp_flag: 'FIN,SYN,ACK',
    });
    s.add({
      type: 'flow',
      app: 'http',
      ...web,
      ...toApi,
      bytes_out: 50,
      bytes_in: 10,
      tcp_flag: 'SYN,RST,ACK',
    });
    for (const [status, ms] of [
      [200, 3],
      [200, 1],
      [404, 2],
      [503, 10],
    ] as const) {
      s.add({ type: 'http', ...web, ...toApi, status, duration_ms: ms });
    }
    const [edge] = s.report().edges;
    expect(edge).toEqual({
      source: 'web',
      destination: 'api',
      protocol: 'http',
      connections: 2,
      requests: 4,
      http4xx: 1,
      http5xx: 1,
      dnsFailures: 0,
      tcpResets: 1,
      errorRate: 0.5,
      latencyMs: { p50: 2, p95: 10, p99: 10 },
      bytesOut: 150,
      bytesIn: 1010,
    });
  });

  it('names a side by its address where no service is known, and counts DNS failures and names', () => {
    const s = new TrafficSummary({ top: 1 });
    const resolver = { dest_ip: '172.31.0.2' };
    s.add({ type: 'dns', ...web, ...resolver, query: 'api.internal', reply_code: 'NOERROR', duration_ms: 1 });
    s.add({ type: 'dns', ...web, ...resolver, query: 'api.internal', reply_code: 'NOERROR', duration_ms: 1 });
    s.add({
      type: 'dns',
      ...web,
      ...resolver,
      query: 'gone.internal',
      reply_code: 'NXDOMAIN',
      duration_ms: 2,
    });
    s.add({ type: 'dns', ...web, ...resolver, query: 'slow.internal', reply_code: null, duration_ms: null });
    const report = s.report();
    expect(report.edges.map((e) => [e.source, e.destination, e.requests, e.dnsFailures])).toEqual([
      ['web', '172.31.0.2', 4, 2],
    ]);
    expect(report.edges[0]?.latencyMs).toEqual({ p50: 1, p95: 2, p99: 2 });
    expect(report.topDnsNames).toEqual([{ name: 'api.internal', queries: 2, failures: 0 }]);
  });

  it('prefixes the cluster only when records span several, and counts what is not a record', () => {
    const s = new TrafficSummary();
    s.add({ type: 'flow', app: 'tcp', ...web, ...toApi, bytes_out: 1, bytes_in: 1 });
    s.add({
      type: 'flow',
      app: 'tcp',
      ...web,
      dest_ecs_cluster: 'ops',
      dest_ecs_service: 'api',
      bytes_out: 1,
    });
    s.add({ type: 'tls', server_name: 'a.example', tls_version: 'TLSv1.3' });
    s.add({ type: 'tls', server_name: null, tls_version: 'TLSv1.2' });
    s.add('not a record');
    s.add({ no: 'type' });
    const report = s.report();
    expect(report.edges.map((e) => `${e.source} -> ${e.destination}`).sort()).toEqual([
      'shop/web -> ops/api',
      'shop/web -> shop/api',
    ]);
    expect(report.records).toEqual({ flow: 2, tls: 2, malformed: 2 });
    expect(report.tlsServerNames).toEqual([
      { name: '(no SNI)', count: 1 },
      { name: 'a.example', count: 1 },
    ]);
  });

  it("adds a long-lived flow's interim records' bytes (delta counters) and counts the connection once", () => {
    const s = new TrafficSummary();
    s.add({ type: 'flow', app: 'tcp', ...web, ...toApi, bytes_out: 10, flow_end_reason: 'active_timeout' });
    s.add({ type: 'flow', app: 'tcp', ...web, ...toApi, bytes_out: 30, flow_end_reason: 'fin' });
    expect(s.report().edges.map((e) => [e.connections, e.bytesOut])).toEqual([[1, 40]]);
  });
});
