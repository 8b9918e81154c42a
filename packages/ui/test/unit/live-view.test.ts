// LiveView and its routes with hand-made records: the state the page reads (service table, nodes
// with their tasks, transactions and their filters, health rate), and the HTTP surface (read-only,
// SSE, a clear answer when the bundle is not built).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isUiError, LiveView, startUiServer, UiAssets } from '../../src/index.ts';

const task = (n: string) => `arn:aws:ecs:us-east-1:1:task/shop/${n}`;
const web = {
  src_ecs_cluster: 'shop',
  src_ecs_service: 'web',
  src_ecs_task_arn: task('w1'),
  src_ip: '10.0.0.1',
};
const toApi = {
  dest_ecs_cluster: 'shop',
  dest_ecs_service: 'api',
  dest_ecs_task_arn: task('a1'),
  dest_ip: '10.0.0.2',
};
const http = (path: string, status: number) =>
  JSON.stringify({
    type: 'http',
    ...web,
    ...toApi,
    http_method: 'GET',
    uri_path: path,
    status,
    duration_ms: 3,
    bytes: 100,
    site: 'api',
  });

function healthAt() {
  let packets = 0;
  return {
    bump: (n: number) => {
      packets += n;
    },
    source: () => ({ packets, drops: 1, malformed: 0, spoolBytes: null, spoolEvents: null, healthy: true }),
  };
}

describe('LiveView', () => {
  it('turns JSON Lines batches into the service table, the map nodes and the transactions', () => {
    const h = healthAt();
    const view = new LiveView({ origin: 'test', health: h.source });
    view.addLines(
      [
        JSON.stringify({ type: 'flow', app: 'http', ...web, ...toApi, bytes_out: 500, bytes_in: 700 }),
        JSON.stringify({
          type: 'flow',
          app: 'dns',
          ...web,
          dest_ip: '172.31.0.2',
          bytes_out: 60,
          bytes_in: 90,
        }),
        http('/api/orders/1', 200),
        http('/api/orders/2', 404),
        http('/healthz', 503),
        'not json',
        '',
      ].join('\n'),
    );
    const state = view.state();
    expect(state.summary.records).toEqual({ flow: 2, http: 3, malformed: 1 });
    const edge = state.summary.edges.find((e) => e.protocol === 'http');
    expect(edge).toMatchObject({
      source: 'web',
      destination: 'api',
      requests: 3,
      http4xx: 1,
      http5xx: 1,
      bytesOut: 500,
    });
    expect(state.nodes).toEqual(
      expect.arrayContaining([
        { id: 'web', kind: 'service', tasks: [task('w1')] },
        { id: 'api', kind: 'service', tasks: [task('a1')] },
        { id: '172.31.0.2', kind: 'external', tasks: [] },
      ]),
    );
    expect(state.transactionServices).toEqual(['api', 'web']);
    expect(state.transactionStatuses).toEqual([200, 404, 503]);
    expect(state.latestTransaction).toBe(3);

    expect(view.transactions({ status: '4xx' }).transactions.map((t) => t.path)).toEqual(['/api/orders/2']);
    expect(view.transactions({ status: '503' }).transactions.map((t) => t.path)).toEqual(['/healthz']);
    expect(view.transactions({ path: '/api' }).matched).toBe(2);
    expect(view.transactions({ service: 'nobody' }).matched).toBe(0);
    const newest = view.transactions({ service: 'api' }).transactions;
    expect(newest.map((t) => t.path)).toEqual(['/healthz', '/api/orders/2', '/api/orders/1']);
    expect(newest[0]).toMatchObject({
      source: 'web',
      destination: 'api',
      method: 'GET',
      status: 503,
      durationMs: 3,
    });
  });

  it('keeps only the newest transactions, and labels sides cluster/service once two clusters appear', () => {
    const view = new LiveView({ origin: 'test', health: healthAt().source, transactions: 2 });
    for (let i = 0; i < 5; i++) view.addLines(http(`/p${i}`, 200));
    const other = JSON.stringify({
      type: 'http',
      src_ecs_cluster: 'b',
      src_ecs_service: 'web',
      src_ip: '10.1.0.1',
      dest_ip: '10.1.0.9',
      uri_path: '/x',
      status: 200,
    });
    view.addLines(other);
    const list = view.transactions({});
    expect(list.held).toBe(2);
    expect(list.transactions.map((t) => t.path)).toEqual(['/x', '/p4']);
    expect(list.transactions.map((t) => t.source)).toEqual(['b/web', 'shop/web']);
  });

  it('turns the packet total into a rate between samples', () => {
    const h = healthAt();
    const view = new LiveView({ origin: 'test', health: h.source });
    view.start();
    h.bump(500);
    view.stop();
    // Two samples two seconds apart: 250 packets a second.
    const history = (
      view as unknown as { health: { sample(r: number, now: number): { packetsPerSecond: number } } }
    ).health;
    history.sample(0, 10_000);
    h.bump(500);
    expect(history.sample(0, 12_000).packetsPerSecond).toBe(250);
  });

  it('holds latency in a sketch of fixed size: memory set by configuration, not by the transactions', () => {
    const view = new LiveView({ origin: 'test', health: healthAt().source, latency: { maxBuckets: 256 } });
    const batch = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) =>
        // Durations from 1 ms to 1 s, the same spread in every batch.
        JSON.stringify({ type: 'http', ...web, ...toApi, status: 200, duration_ms: 1 + ((from + i) % 1000) }),
      ).join('\n');
    view.addLines(batch(2_000, 0));
    const held = view.latencyBytes;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(256 * 8);
    for (let k = 1; k <= 20; k++) view.addLines(batch(2_000, k * 2_000));
    expect(view.latencyBytes).toBe(held);
    const state = view.state();
    expect(state.summary.edges[0]?.requests).toBe(42_000);
    expect(state.summary.latencyRelativeError).toBe(0.01);
    // Exact nearest-rank p50 of 1..1000 ms repeated is 500 ms; the sketch is within 1 % of it.
    expect(Math.abs((state.summary.edges[0]?.latencyMs.p50 as number) - 500)).toBeLessThanOrEqual(5);
  });

  it('refuses a transaction capacity that cannot work, with its code', () => {
    let caught: unknown;
    try {
      new LiveView({ origin: 'x', health: healthAt().source, transactions: 0 });
    } catch (error) {
      caught = error;
    }
    expect(isUiError(caught) && caught.code).toBe('UI_OPTIONS_INVALID');
  });
});

describe('the page server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-ui-assets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'app.js'), 'void 0;');
  writeFileSync(join(dir, 'app.css'), 'body{}');

  it('serves the page read-only, its state and an SSE stream; a second stream beyond the cap is refused', async () => {
    const view = new LiveView({ origin: 'test', health: healthAt().source });
    view.addLines(http('/a', 200));
    const ui = await startUiServer({
      host: '127.0.0.1',
      port: 0,
      view,
      assets: new UiAssets(`${dir}/`),
      maxStreams: 1,
    });
    try {
      expect(ui.url).toBe(`http://127.0.0.1:${ui.port}/ui/`);
      const root = await fetch(`http://127.0.0.1:${ui.port}/`, { redirect: 'manual' });
      expect(root.headers.get('location')).toBe('/ui/');
      const page = await fetch(ui.url);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await page.text()).toContain('<title>t</title>');
      expect((await fetch(`${ui.url}../etc/passwd`)).status).toBe(404);
      expect((await fetch(`${ui.url}api/state`, { method: 'POST' })).status).toBe(405);
      const state = (await (await fetch(`${ui.url}api/state`)).json()) as { latestTransaction: number };
      expect(state.latestTransaction).toBe(1);
      const tx = (await (await fetch(`${ui.url}api/transactions?status=2xx`)).json()) as { matched: number };
      expect(tx.matched).toBe(1);

      const abort = new AbortController();
      const stream = await fetch(`${ui.url}api/events`, { signal: abort.signal });
      expect(stream.headers.get('content-type')).toBe('text/event-stream');
      const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first.startsWith('event: update\ndata: {')).toBe(true);
      expect((await fetch(`${ui.url}api/events`)).status).toBe(503);
      abort.abort();
    } finally {
      await ui.close();
    }
  });

  it('says how to build the page when the bundle is missing', async () => {
    const view = new LiveView({ origin: 'test', health: healthAt().source });
    const ui = await startUiServer({
      host: '127.0.0.1',
      port: 0,
      view,
      assets: new UiAssets(join(dir, 'none/')),
    });
    try {
      const res = await fetch(ui.url);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build');
    } finally {
      await ui.close();
    }
  });
});

describe('LiveView with more rows than the page is sent', () => {
  it('keeps every service on the map while quiet rows fall out of the table', () => {
    const view = new LiveView({
      origin: 'test',
      health: () => ({
        packets: 0,
        drops: 0,
        malformed: 0,
        spoolBytes: null,
        spoolEvents: null,
        healthy: null,
      }),
      maxEdges: 3,
    });
    view.add({
      type: 'flow',
      app: 'http',
      src_ecs_service: 'quiet',
      src_ip: '10.0.0.1',
      dest_ip: '10.0.0.2',
      bytes_out: 1,
      bytes_in: 1,
    });
    for (let i = 0; i < 10; i++) {
      view.add({
        type: 'flow',
        app: 'tcp',
        src_ip: `10.9.0.${i}`,
        dest_ip: '10.9.1.1',
        bytes_out: 1000 + i,
        bytes_in: 0,
      });
    }
    const state = view.state();
    expect(state.summary.edges).toHaveLength(3);
    expect(state.edgesTotal).toBe(11);
    expect(state.nodes.find((n) => n.id === 'quiet')).toEqual({ id: 'quiet', kind: 'service', tasks: [] });
    // External addresses: only those the rows sent name.
    const externals = state.nodes.filter((n) => n.kind === 'external').map((n) => n.id);
    expect(externals.sort()).toEqual(['10.9.0.7', '10.9.0.8', '10.9.0.9', '10.9.1.1']);
  });
});
