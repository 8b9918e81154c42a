import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// Each logger writes to fd 2 synchronously, so a child process's stderr is what a user sees.
const MODULE = new URL('../../dist/index.js', import.meta.url).href;

function logFrom(format: 'json' | 'text', options: string): string {
  const script = `
    import { createStderrLogger } from ${JSON.stringify(MODULE)};
    const { PinoPretty } = await import('pino-pretty');
    const log = createStderrLogger('info', ${JSON.stringify(format)}, ${options});
    log.debug('hidden');
    log.info({ datagrams: 3 }, 'receiving');
    process.exit(0); // a synchronous logger keeps the line even on an immediate exit
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return run.stderr;
}

describe('createStderrLogger', () => {
  it('writes JSON Lines at the level asked, with the base fields given', () => {
    const lines = logFrom('json', `{ base: { component: 'receive' } }`).trim().split('\n');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? '');
    expect(entry).toMatchObject({ level: 30, component: 'receive', datagrams: 3, msg: 'receiving' });
    expect(entry.pid).toBeUndefined();
  });

  it('writes one line of text without pid or hostname', () => {
    const out = logFrom('text', '{ pretty: PinoPretty.default ?? PinoPretty }');
    expect(out.trim().split('\n')).toHaveLength(1);
    expect(out).toMatch(/INFO.*receiving.*datagrams.*3/);
    expect(out).not.toMatch(/hostname|pid/);
  });

  it('refuses text without pino-pretty, naming what is missing', () => {
    const script = `
      import { createStderrLogger } from ${JSON.stringify(MODULE)};
      try { createStderrLogger('info', 'text'); } catch (e) { console.log(e.message); }
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stdout).toContain('options.pretty');
  });
});
