// The live page of `receive` in Debian's headless chromium while `replay` sends the sample capture
// into it: on a port of its own (--ui-port), the DOM names the services the identity map gives the
// capture's addresses, and the receiver's counters move between two screenshots; on the health port
// (--ui) the same page sits under /ui/ beside /healthz and /metrics.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLE_MIRROR } from '@fargate-mirror/testkit/mirror-records';
import { type Started, start } from '@fargate-mirror/testkit/proc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artifactPath,
  type Chromium,
  launchChromium,
  REPO,
  readCounters,
  texts,
} from '../helpers/chromium.ts';

const CLI = join(REPO, 'packages/cli/dist/bin.js');
const READY = /ready: vxlan udp \S+:(\d+), .*health http port (\d+).*, ui (http:\/\/[^\s"]+\/ui\/)/;
const LOOPBACK = ['--bind', '127.0.0.1', '--geneve-port', '0', '--health-port', '0', '--drain-seconds', '0'];

describe('the live page of receive, in headless chromium, during a replay', () => {
  let dir: string;
  let chromium: Chromium | undefined;
  const started: Started[] = [];

  const startReceive = async (args: string[]) => {
    const proc = start(process.execPath, [CLI, 'receive', ...LOOPBACK, '--vxlan-port', '0', ...args]);
    started.push(proc);
    await proc.waitForOutput(READY, 30_000);
    const m = READY.exec(proc.stderr()) as RegExpExecArray;
    return { proc, port: Number(m[1]), healthPort: Number(m[2]), url: m[3] as string };
  };

  beforeAll(async () => {
    if (!existsSync(join(REPO, 'packages/ui/assets/app.js')) || !existsSync(CLI)) {
      throw new Error('the CLI or the page bundle is missing: run npm run build first');
    }
    dir = mkdtempSync(join(tmpdir(), 'fm-ui-receive-'));
    writeFileSync(
      join(dir, 'identity.yaml'),
      [
        'addresses:',
        '  10.77.1.1: { cluster: shop, service: checkout, task_arn: "arn:aws:ecs:us-east-1:1:task/shop/0a1b2c3d4e", eni_id: eni-1 }',
        '  10.77.1.2: { cluster: shop, service: catalog, task_arn: "arn:aws:ecs:us-east-1:1:task/shop/9f8e7d6c5b", eni_id: eni-2 }',
      ].join('\n'),
    );
    // Flows end a second after their last packet, so records reach the page while the replay runs.
    writeFileSync(
      join(dir, 'receive.json'),
      JSON.stringify({ flows: { closeLingerSeconds: 0, tcpIdleSeconds: 1, udpIdleSeconds: 1 } }),
    );
    chromium = await launchChromium();
  });

  afterAll(async () => {
    for (const p of started) if (p.child.exitCode === null) await p.stop('SIGTERM', 30_000);
    await chromium?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('on --ui-port: names the mapped services, and the counters move between two screenshots', async () => {
    const r = await startReceive([
      '--ui-port',
      '0',
      '--records',
      join(dir, 'records.jsonl'),
      '--identity-map',
      join(dir, 'identity.yaml'),
      '--config',
      join(dir, 'receive.json'),
    ]);
    expect(new URL(r.url).port).not.toBe(String(r.healthPort));
    const page = await (chromium as Chromium).newPage();
    await page.goto(r.url, { waitUntil: 'load' });
    // Pass 0 of the replay keeps the capture's addresses (the mapped services); later passes are
    // distinct flows, so records keep coming for as long as it runs.
    const replay = start(process.execPath, [
      CLI,
      'replay',
      SAMPLE_MIRROR,
      '--to',
      `127.0.0.1:${r.port}`,
      '--loop',
      '400',
      '--distinct-loops',
      '--rate',
      '1500',
    ]);
    started.push(replay);
    await page.waitForFunction(
      `document.querySelector('#nodes li[data-node="checkout"]') !== null &&
       document.querySelector('#nodes li[data-node="catalog"]') !== null &&
       [...document.querySelectorAll('#edges tbody tr td:first-child')].some((td) => td.textContent === 'checkout') &&
       Number(document.getElementById('packets').dataset.value) > 0`,
      { timeout: 60_000, polling: 250 },
    );
    const first = await readCounters(page);
    // Read now: the replay's distinct flows soon outnumber the table's rows (the busiest 200).
    const sides = await texts(page, '#edges tbody tr td:nth-child(1)');
    await page.screenshot({ path: artifactPath('live-page-receive-1.png') });
    await page.waitForFunction(
      `Number(document.getElementById('packets').dataset.value) > ${first.packets} &&
       Number(document.getElementById('records').dataset.value) > ${first.records}`,
      { timeout: 60_000, polling: 250 },
    );
    const second = await readCounters(page);
    await page.screenshot({ path: artifactPath('live-page-receive-2.png') });
    expect(second.packets).toBeGreaterThan(first.packets);
    expect(second.records).toBeGreaterThan(first.records);
    // The receiver's own verdict (the demo has none: n/a); a loaded machine may drop and fail it.
    expect(['ok', 'unhealthy']).toContain((await texts(page, '#healthy'))[0]);
    expect(sides).toContain('checkout');
    const tasks = await texts(page, '#nodes li.service');
    expect(tasks).toContain('checkout (1 tasks)');
    expect(tasks).toContain('catalog (1 tasks)');
    // The receiver's own count agrees with the page's, read a moment apart: never behind it.
    const metrics = await (await fetch(`http://127.0.0.1:${r.healthPort}/metrics`)).text();
    const packets = Number(/^fargate_mirror_receiver_packets_total (\d+)/m.exec(metrics)?.[1]);
    expect(packets).toBeGreaterThanOrEqual(second.packets);
    const kernelDrops = Number(/^fargate_mirror_receiver_kernel_drops_total (\d+)/m.exec(metrics)?.[1]);
    expect(Number.isFinite(kernelDrops)).toBe(true);
    await replay.stop('SIGTERM', 30_000);
    expect((chromium as Chromium).errors).toEqual([]);
  });

  it('on --ui: the page shares the health port, beside /healthz and /metrics', async () => {
    const r = await startReceive(['--ui', '--records', join(dir, 'records-2.jsonl')]);
    expect(r.url).toBe(`http://127.0.0.1:${r.healthPort}/ui/`);
    const page = await fetch(r.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="map">');
    const state = (await (await fetch(`${r.url}api/state`)).json()) as { origin: string };
    expect(state.origin).toBe('receive');
    expect((await fetch(`http://127.0.0.1:${r.healthPort}/healthz`)).status).toBe(200);
    expect((await fetch(`${r.url}api/state`, { method: 'DELETE' })).status).toBe(405);
  });
});
