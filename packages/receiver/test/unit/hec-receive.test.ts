// Records to Splunk HEC from the built CLI, against a local server implementing the HEC protocol
// (helpers/hec-server.ts): `read` delivers every record with its sourcetype, time and host; `receive`
// loses no event through busy replies, a stretch of refused connections and a restart of the
// receiver in the middle - and with indexer acknowledgement delivers none twice; a filling spool
// turns /healthz 503 and then drops the oldest events, counted.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonLines, runCli } from '@fargate-mirror/testkit/cli';
import { SAMPLE_MIRROR, stableJson } from '@fargate-mirror/testkit/mirror-records';
import { run } from '@fargate-mirror/testkit/proc';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HecServer, newToken } from '../helpers/hec-server.ts';
import {
  CLI,
  httpGet,
  LOOPBACK_RECEIVE,
  requireBuiltCli,
  startReceive,
  stopReceive,
  waitUntil,
} from '../helpers/receive-support.ts';

/** The refused-connection stretch (the issue says a minute; shortened, the mechanism is the same). */
const OUTAGE_MS = 10_000;

let dir: string;
const servers: HecServer[] = [];

beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'fm-hec-cli-'));
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function hecServer(options: { useAck?: boolean; ackDelayMs?: number }) {
  const token = newToken();
  const server = await HecServer.start({
    tokens: { [token]: { useAck: options.useAck, indexes: ['main', 'mirror'] } },
    ackDelayMs: options.ackDelayMs,
  });
  servers.push(server);
  return { server, token };
}

function multiset(items: readonly unknown[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(stableJson(i), (m.get(stableJson(i)) ?? 0) + 1);
  return m;
}

async function replay(port: number): Promise<void> {
  await run(process.execPath, [CLI, 'replay', SAMPLE_MIRROR, '--to', `127.0.0.1:${port}`, '--rate', '5000']);
}

function receiveArgs(name: string, hecUrl: string, config: string): string[] {
  return [
    ...LOOPBACK_RECEIVE,
    '--records',
    join(dir, `${name}.jsonl`),
    '--hec-url',
    hecUrl,
    '--hec-index',
    'mirror',
    '--config',
    config,
  ];
}

function writeConfig(name: string, hec: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({ logLevel: 'info', health: { intervalMs: 100, unhealthyAfter: 1 }, hec }),
  );
  return file;
}

describe('read --hec-url', () => {
  it('delivers every record as an event with its sourcetype, time and host (token from the environment or a file)', async () => {
    const { server, token } = await hecServer({});
    const records = join(dir, 'read.jsonl');
    const env = { ...process.env, FARGATE_MIRROR_HEC_TOKEN: token };
    const r = await run(
      process.execPath,
      [
        CLI,
        'read',
        SAMPLE_MIRROR,
        '--records',
        records,
        '--hec-url',
        server.url,
        '--hec-index',
        'mirror',
        '--hec-spool-dir',
        join(dir, 'read-spool'),
      ],
      { env, allowFailure: true },
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = readJsonLines(records);
    expect(server.events.map((e) => e.event)).toEqual(lines);
    const types = new Set(server.events.map((e) => e.sourcetype));
    expect([...types].sort()).toEqual([
      'fargate_mirror:dns',
      'fargate_mirror:flow',
      'fargate_mirror:http',
      'fargate_mirror:tls',
    ]);
    for (const e of server.events) {
      const rec = e.event as Record<string, unknown>;
      expect(e.sourcetype).toBe(`fargate_mirror:${rec['type']}`);
      expect(e.host).toBe(rec['dvc']);
      expect(e.index).toBe('mirror');
      const iso = String(rec['time']); // ...T05:31:15.785033Z: compare in microseconds
      expect(Math.round(Number(e.time) * 1e6)).toBe(
        Date.parse(`${iso.slice(0, 19)}Z`) * 1000 + Number(iso.slice(20, 26)),
      );
    }

    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const before = server.events.length;
    const viaFile = await runCli([
      'read',
      SAMPLE_MIRROR,
      '--hec-url',
      server.url,
      '--hec-token-file',
      tokenFile,
      '--hec-spool-dir',
      join(dir, 'read-spool-2'),
    ]);
    expect(viaFile.code, viaFile.stderr).toBe(0);
    expect(server.events.length - before).toBe(lines.length);
  });

  it('refuses to start without a token, naming where to put one', async () => {
    const r = await run(process.execPath, [CLI, 'read', SAMPLE_MIRROR, '--hec-url', 'http://127.0.0.1:9'], {
      env: { PATH: process.env.PATH ?? '/usr/bin' },
      allowFailure: true,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('FARGATE_MIRROR_HEC_TOKEN');
    expect(r.stderr).toContain('HEC_TOKEN_MISSING');
  });
});

describe('receive --hec-url through busy replies, refused connections and a restart', () => {
  for (const ack of [false, true]) {
    it(`loses no event${ack ? ', and with indexer acknowledgement delivers none twice' : ''}`, async () => {
      const { server, token } = await hecServer({ useAck: ack, ackDelayMs: ack ? 300 : 0 });
      process.env.FARGATE_MIRROR_HEC_TOKEN = token;
      const name = ack ? 'ack' : 'noack';
      const spoolDir = join(dir, `${name}-spool`);
      const common = { spoolDir, ack, flushMs: 100, retryBaseMs: 100, retryMaxMs: 1000, ackPollMs: 100 };
      server.busy(3);
      const first = await startReceive(
        receiveArgs(`${name}-1`, server.url, writeConfig(`${name}-1`, { ...common, drainSeconds: 1 })),
      );
      await replay(first.port);
      await waitUntil(
        'busy replies, then delivery',
        () => server.replies[9] === 3 && server.events.length > 0,
      );
      await server.down();
      const downAt = Date.now();
      await stopReceive(first); // flows end now; HEC refuses: they stay in the spool
      expect(readdirSync(spoolDir).filter((n) => n.endsWith('.hec.gz')).length).toBeGreaterThan(0);

      const second = await startReceive(
        receiveArgs(`${name}-2`, server.url, writeConfig(`${name}-2`, { ...common, drainSeconds: 60 })),
      );
      await replay(second.port);
      await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - downAt))));
      await server.up();
      const stderr = await stopReceive(second);
      expect(stderr).toMatch(/hec delivered \d+ events \(0 still spooled, 0 dropped/);

      const written = [
        ...readJsonLines(join(dir, `${name}-1.jsonl`)),
        ...readJsonLines(join(dir, `${name}-2.jsonl`)),
      ];
      const delivered = multiset(server.events.map((e) => e.event));
      expect(written.length).toBeGreaterThan(40);
      for (const [record, n] of multiset(written))
        expect(delivered.get(record) ?? 0).toBeGreaterThanOrEqual(n);
      if (ack) expect(delivered).toEqual(multiset(written));
      expect(readdirSync(spoolDir).filter((n) => n.endsWith('.hec.gz'))).toEqual([]);
    }, 120_000);
  }
});

describe('receive with Splunk away and a small spool', () => {
  it('turns /healthz 503 as the spool fills, then drops the oldest events and counts them', async () => {
    const { server, token } = await hecServer({});
    process.env.FARGATE_MIRROR_HEC_TOKEN = token;
    await server.down();
    const config = writeConfig('full', {
      spoolDir: join(dir, 'full-spool'),
      maxSpoolBytes: 16 * 1024,
      maxBatchBytes: 4096,
      flushMs: 50,
      retryBaseMs: 100,
      retryMaxMs: 500,
      drainSeconds: 0,
    });
    const r = await startReceive(receiveArgs('full', server.url, config));
    expect((await httpGet(r.healthPort, '/healthz')).status).toBe(200);
    await run(process.execPath, [
      CLI,
      'replay',
      SAMPLE_MIRROR,
      '--to',
      `127.0.0.1:${r.port}`,
      '--loop',
      '40',
      '--distinct-loops',
      '--rate',
      '20000',
    ]);
    await waitUntil(
      '/healthz 503 on the HEC spool',
      async () => (await httpGet(r.healthPort, '/healthz')).status === 503,
    );
    const body = (await httpGet(r.healthPort, '/healthz')).body;
    expect(body).toContain('Splunk HEC spool nearly full');
    const stderr = await stopReceive(r);
    expect(stderr).toContain('HEC spool full: dropped the oldest events');
    const m = /hec delivered (\d+) events \((\d+) still spooled, (\d+) dropped/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    expect(Number(m?.[3])).toBeGreaterThan(0);
  }, 120_000);
});
