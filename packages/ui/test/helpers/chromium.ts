// Debian's headless chromium, driven over the DevTools protocol by puppeteer-core (which never
// downloads a browser of its own). Fails with the package to install when chromium is missing.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findTool } from '@fargate-mirror/testkit/require-tools';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const REPO = resolve(import.meta.dirname, '../../../..');
/** Screenshots the tests keep (a test artifact; `scripts/docs-images.sh` copies them into docs/images). */
export const ARTIFACTS = join(REPO, 'test-artifacts', 'ui');

export interface Chromium {
  readonly browser: Browser;
  /** Every URL the pages requested, to show the page loads nothing from elsewhere. */
  readonly requested: string[];
  /** Console errors and page errors, which a working page has none of. */
  readonly errors: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Chromium> {
  const executablePath = findTool('chromium');
  if (executablePath === undefined) {
    throw new Error("this test needs Debian's chromium: apt-get install chromium fonts-dejavu-core");
  }
  const profile = mkdtempSync(join(tmpdir(), 'fm-chromium-'));
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    userDataDir: profile,
    // Root cannot use chromium's own sandbox; the page is our own, on loopback.
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
    defaultViewport: { width: 1400, height: 1100 },
  });
  const requested: string[] = [];
  const errors: string[] = [];
  return {
    browser,
    requested,
    errors,
    async newPage() {
      const page = await browser.newPage();
      page.on('request', (r) => requested.push(r.url()));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      return page;
    },
    async close() {
      const pid = browser.process()?.pid;
      try {
        await browser.close();
      } finally {
        // By PID, in case close() did not end it.
        if (pid !== undefined) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

/** The counters of the health panel, as the page shows them (data-value holds the exact number). */
export async function readCounters(page: Page): Promise<Record<string, number>> {
  // A string, so the test code needs no DOM types: it runs in the page.
  return (await page.evaluate(`(() => {
    const out = {};
    for (const el of document.querySelectorAll('.counters dd[data-value]')) out[el.id] = Number(el.dataset.value);
    out.transactions = Number(document.getElementById('tx-count')?.dataset.matched ?? '0');
    out.updates = Number(document.body.dataset.updates ?? '0');
    return out;
  })()`)) as Record<string, number>;
}

/** Text of every element matching `selector`. */
export async function texts(page: Page, selector: string): Promise<string[]> {
  return (await page.evaluate(
    `[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => e.textContent ?? '')`,
  )) as string[];
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
