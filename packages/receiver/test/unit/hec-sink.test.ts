// The HEC sink against a local server that implements the HEC protocol as Splunk documents it
// (helpers/hec-server.ts): batching under the size limit, gzip, envelopes, configuration errors
// reported once and kept spooled, and the spool's stages when Splunk is away.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HecSink, type HecSinkOptions } from '../../src/sinks/hec/hec-sink.js';
import { HecServer, newToken } from '../helpers/hec-server.ts';

const dirs: string[] = [];
const servers: HecServer[] = [];
const sinks: HecSink[] = [];

afterEach(async () => {
  for (const s of sinks.splice(0)) await s.close(0);
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'fm-hec-'));
  dirs.push(d);
  return d;
}

function memoryLog() {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (_: object, msg: string) => {
    lines.push({ level, msg });
  };
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } };
}

function open(
  options: Partial<HecSinkOptions> & Pick<HecSinkOptions, 'url' | 'token' | 'spoolDir'>,
): HecSink {
  const sink = HecSink.open({ flushMs: 50, retryBaseMs: 20, retryMaxMs: 200, ...options });
  sinks.push(sink);
  return sink;
}

/** A record shaped like the pipeline's (type first, time third, dvc last). */
function record(i: number, type = 'flow'): Record<string, unknown> {
  return {
    type,
    schema_version: '1.1.0',
    time: `2026-11-21T05:31:${String(10 + (i % 50)).padStart(2, '0')}.${String(i).padStart(6, '0')}Z`,
    vni: 42,
    src_ip: '10.0.0.1',
    dest_ip: '10.0.0.2',
    seq: i,
    padding: 'x'.repeat(200),
    dvc: 'receiver-1',
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('HEC sink', () => {
  it('batches under max_content_length, gzips, and wraps each record in a HEC envelope', async () => {
    const token = newToken();
    const server = await HecServer.start({
      tokens: { [token]: { indexes: ['mirror'] } },
      maxContentLength: 8192,
    });
    servers.push(server);
    const sink = open({ url: server.url, token, spoolDir: tempDir(), index: 'mirror', maxBatchBytes: 8192 });
    const types = ['flow', 'http', 'dns', 'tls'];
    for (let i = 0; i < 200; i++) sink.writeRecord(record(i, types[i % 4]));
    await sink.close(20_000);
    expect(server.tooLarge).toBe(0);
    expect(server.requests).toBeGreaterThan(5); // 200 x ~450 bytes cannot fit one 8 KB request
    expect(server.events).toHaveLength(200);
    expect(sink.stats).toMatchObject({ eventsIn: 200, eventsDelivered: 200, eventsDropped: 0 });
    for (const [i, e] of server.events.entries()) {
      const r = record(i, types[i % 4]);
      expect(e.event).toEqual(r);
      expect(e.sourcetype).toBe(`fargate_mirror:${types[i % 4]}`);
      expect(e.host).toBe('receiver-1');
      expect(e.index).toBe('mirror');
      expect(e.source).toBe('fargate-mirror');
      // Epoch seconds with the record's microseconds (both sides parse the same decimal text).
      const iso = String(r['time']);
      expect(e.time).toBe(Number(`${Date.parse(`${iso.slice(0, 19)}Z`) / 1000}.${iso.slice(20, 26)}`));
    }
  });

  it('retries busy replies with back-off and loses nothing', async () => {
    const token = newToken();
    const server = await HecServer.start({ tokens: { [token]: {} } });
    servers.push(server);
    server.busy(4);
    const sink = open({ url: server.url, token, spoolDir: tempDir() });
    for (let i = 0; i < 50; i++) sink.writeRecord(record(i));
    await sink.close(20_000);
    expect(server.replies[9]).toBe(4);
    expect(sink.stats.retries).toBe(4);
    expect(server.events.map((e) => (e.event as { seq: number }).seq)).toEqual([...Array(50).keys()]);
  });

  for (const [problem, tokens, index, words] of [
    ['a bad token (403 code 4)', {}, undefined, /token is invalid/],
    ['a bad index (400 code 7)', { good: { indexes: ['main'] } }, 'nope', /index is not allowed/],
  ] as const) {
    it(`reports ${problem} once, counts it, keeps the events spooled and does not retry in a loop`, async () => {
      const server = await HecServer.start({ tokens: tokens as Record<string, { indexes?: string[] }> });
      servers.push(server);
      const spoolDir = tempDir();
      const { lines, log } = memoryLog();
      const sink = open({
        url: server.url,
        token: index === undefined ? 'wrong-token' : 'good',
        index,
        spoolDir,
        log,
        permanentRetryMs: 300,
      });
      for (let i = 0; i < 10; i++) sink.writeRecord(record(i));
      sink.flush();
      await until('three refusals', () => sink.stats.permanentErrors >= 3);
      const errors = lines.filter((l) => l.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]?.msg).toMatch(words);
      expect(sink.backlogEvents).toBe(10);
      expect(server.events).toHaveLength(0);
      await sink.close(0);
      expect(readdirSync(spoolDir).filter((n) => n.endsWith('.hec.gz'))).toHaveLength(1);
      // Fixed configuration, same spool: the kept events go out.
      const fixedToken = newToken();
      const fixed = await HecServer.start({ tokens: { [fixedToken]: {} } });
      servers.push(fixed);
      const again = open({ url: fixed.url, token: fixedToken, spoolDir });
      await again.close(10_000);
      expect(fixed.events.map((e) => (e.event as { seq: number }).seq)).toEqual([...Array(10).keys()]);
    });
  }

  it('as the spool fills: back-pressure, then unhealthy, then drop-oldest counted; the rest arrives', async () => {
    const token = newToken();
    const server = await HecServer.start({ tokens: { [token]: {} } });
    servers.push(server);
    await server.down(); // refused connections from the start
    const sink = open({
      url: server.url,
      token,
      spoolDir: tempDir(),
      maxSpoolBytes: 8192,
      maxBatchBytes: 2048,
    });
    const seen = { backpressure: -1, unhealthy: -1, dropped: -1 };
    for (let i = 0; i < 400; i++) {
      sink.writeRecord({ ...record(i), padding: `${i}-${Math.random().toString(36).repeat(6)}` });
      if (seen.backpressure < 0 && sink.backpressure) seen.backpressure = i;
      if (seen.unhealthy < 0 && !sink.healthy) seen.unhealthy = i;
      if (seen.dropped < 0 && sink.stats.eventsDropped > 0) seen.dropped = i;
    }
    sink.flush();
    expect(seen.backpressure).toBeGreaterThan(0);
    expect(seen.unhealthy).toBeGreaterThan(seen.backpressure);
    expect(seen.dropped).toBeGreaterThan(seen.unhealthy);
    expect(sink.spoolBytes).toBeLessThanOrEqual(8192 + 2048);
    await server.up();
    await sink.close(20_000);
    const delivered = server.events.map((e) => (e.event as { seq: number }).seq);
    // Oldest dropped, the newest all delivered, nothing else missing.
    expect(delivered.length + sink.stats.eventsDropped).toBe(400);
    expect(delivered).toEqual([...Array(400).keys()].slice(sink.stats.eventsDropped));
    expect(sink.healthy).toBe(true);
  });

  it('with indexer acknowledgement keeps a batch until acknowledged, across a restart, with no duplicate', async () => {
    const token = newToken();
    const server = await HecServer.start({ tokens: { [token]: { useAck: true } }, ackDelayMs: 400 });
    servers.push(server);
    const spoolDir = tempDir();
    const first = open({ url: server.url, token, spoolDir, ack: true, ackPollMs: 50 });
    for (let i = 0; i < 20; i++) first.writeRecord(record(i));
    first.flush();
    await until('the batch accepted', () => server.events.length === 20);
    await first.close(0); // stopped before the acknowledgement: the ackId is kept on disk
    expect(readdirSync(spoolDir).some((n) => n.endsWith('.ack'))).toBe(true);
    const second = open({ url: server.url, token, spoolDir, ack: true, ackPollMs: 50 });
    await until('the acknowledgement', () => second.backlogEvents === 0);
    await second.close(1000);
    expect(server.events).toHaveLength(20); // not sent again
    expect(server.events.every((e) => e.channel === server.events[0]?.channel)).toBe(true);
    expect(readdirSync(spoolDir).filter((n) => n.endsWith('.hec.gz'))).toEqual([]);
  });
});
