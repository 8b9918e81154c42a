// The live page in Debian's headless chromium while the demo runs: the DOM names the demo's services
// (web, api) and their tasks, the counters move between two screenshots, the filters narrow the HTTP
// list, and the page loads nothing but its own files. The screenshots are kept in test-artifacts/ui/.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Started, start } from '@fargate-mirror/testkit/proc';
import type { Page } from 'puppeteer-core';
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
const BUNDLE = join(REPO, 'packages/ui/assets/app.js');

describe('the live page of the demo, in headless chromium', () => {
  let dir: string;
  let chromium: Chromium | undefined;
  let demo: Started | undefined;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    for (const built of [CLI, BUNDLE]) {
      if (!existsSync(built)) throw new Error(`${built} is missing: run npm run build first`);
    }
    dir = mkdtempSync(join(tmpdir(), 'fm-ui-demo-'));
    chromium = await launchChromium();
    // Long enough for the page to be loaded and watched twice; the test ends it with SIGINT.
    demo = start(process.execPath, [CLI, 'demo', '--duration', '120', '--out', dir, '--ui-port', '0']);
    await demo.waitForOutput(/live page: http:\/\/\S+/, 60_000);
    url = (/live page: (http:\/\/\S+)/.exec(demo.stdout()) as RegExpExecArray)[1] as string;
    page = await chromium.newPage();
    await page.goto(url, { waitUntil: 'load' });
  });

  afterAll(async () => {
    if (demo !== undefined && demo.child.exitCode === null) await demo.stop('SIGINT', 60_000);
    await chromium?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('names the services and their tasks, and its counters move between two screenshots', async () => {
    // Traffic starts once the tasks run and are mirrored.
    await page.waitForFunction(
      `document.querySelector('#nodes li[data-node="web"]') !== null &&
       document.querySelector('#nodes li[data-node="api"]') !== null &&
       Number(document.getElementById('records').dataset.value) > 0 &&
       document.querySelectorAll('#transactions tbody tr').length > 0`,
      { timeout: 90_000, polling: 250 },
    );
    const first = await readCounters(page);
    await page.screenshot({ path: artifactPath('live-page-demo-1.png') });
    await page.waitForFunction(
      `Number(document.getElementById('packets').dataset.value) > ${first.packets} &&
       Number(document.getElementById('records').dataset.value) > ${first.records}`,
      { timeout: 60_000, polling: 250 },
    );
    // Let the map settle on its nodes before the picture the docs keep.
    await page.waitForFunction(`Number(document.body.dataset.updates) >= ${first.updates + 3}`, {
      timeout: 30_000,
    });
    const second = await readCounters(page);
    const shot = artifactPath('live-page-demo-2.png');
    await page.screenshot({ path: shot });
    copyFileSync(shot, artifactPath('live-page.png'));

    expect(second.packets).toBeGreaterThan(first.packets);
    expect(second.records).toBeGreaterThan(first.records);
    expect(second.updates).toBeGreaterThan(first.updates);
    expect(second['packets-per-second']).toBeGreaterThan(0);

    const nodes = await texts(page, '#nodes li.service');
    expect(nodes.some((t) => /^web \([1-9]\d* tasks\)$/.test(t))).toBe(true);
    expect(nodes.some((t) => /^api \([1-9]\d* tasks\)$/.test(t))).toBe(true);
    const rows = (await texts(page, '#edges tbody tr td:nth-child(1)')).concat(
      await texts(page, '#edges tbody tr td:nth-child(2)'),
    );
    expect(rows).toContain('web');
    expect(rows).toContain('api');
    const protocols = await texts(page, '#edges tbody tr td:nth-child(3)');
    expect(protocols).toContain('http');
    expect(protocols).toContain('dns');
    // The map drew the same nodes the list names (Cytoscape keeps its model on the container).
    const drawn = (await page.evaluate(`document.querySelectorAll('#map canvas').length`)) as number;
    expect(drawn).toBeGreaterThan(0);
  });

  it('filters the HTTP transactions by service, status and path', async () => {
    await page.select('#filter-service', 'api');
    await page.type('#filter-path', '/api/orders');
    await page.waitForFunction(
      `[...document.querySelectorAll('#transactions tbody tr')].length > 0 &&
       [...document.querySelectorAll('#transactions tbody tr td:nth-child(6)')].every((td) => td.textContent.includes('/api/orders'))`,
      { timeout: 30_000, polling: 250 },
    );
    const sides = (await texts(page, '#transactions tbody tr td:nth-child(2)')).map((s, i) => [s, i]);
    const dests = await texts(page, '#transactions tbody tr td:nth-child(3)');
    for (const [src, i] of sides) expect([src, dests[i as number]]).toContain('api');

    // The demo's api answers some requests with 404 (an order that does not exist).
    await page.type('#filter-status', '4xx');
    await page.waitForFunction(
      `[...document.querySelectorAll('#transactions tbody tr td:nth-child(7)')].every((td) => td.textContent.startsWith('4'))`,
      { timeout: 30_000, polling: 250 },
    );
    const statuses = await texts(page, '#transactions tbody tr td:nth-child(7)');
    for (const s of statuses) expect(s).toMatch(/^4\d\d$/);
  });

  it('is read-only and loads nothing from anywhere but its own server', async () => {
    const c = chromium as Chromium;
    const origin = new URL(url).origin;
    expect(c.requested.length).toBeGreaterThan(2);
    for (const r of c.requested) expect(r.startsWith(`${origin}/`), r).toBe(true);
    expect(c.errors).toEqual([]);
    const post = await fetch(new URL('api/state', url), { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    const res = await fetch(url);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});
