// Issue 17 item 6: a HEC URL with credentials (http://user:pass@host) is bad configuration - refused
// with a clear error and exit 2 (the CLI contract), from a flag, from a config file and in `read` -
// and the credentials never reach the terminal.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@fargate-mirror/testkit/cli';
import { SAMPLE_MIRROR } from '@fargate-mirror/testkit/mirror-records';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK_RECEIVE, requireBuiltCli } from '../helpers/receive-support.ts';

const SECRET = 'pa55-w0rd-never-printed';
const URL_WITH_CREDENTIALS = `http://splunk-user:${SECRET}@127.0.0.1:9`;
let dir: string;

beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'fm-hec-url-'));
  process.env.FARGATE_MIRROR_HEC_TOKEN = 'some-token';
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectRefused(r: { code: number; stdout: string; stderr: string }, code: string): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain('must not carry credentials');
  expect(r.stderr).toContain(code);
  expect(r.stderr + r.stdout).not.toContain(SECRET);
  expect(r.stderr + r.stdout).not.toContain('splunk-user');
}

describe('a HEC URL with credentials', () => {
  it('receive --hec-url: exit 2, clear error, credentials not printed', async () => {
    const r = await runCli(['receive', ...LOOPBACK_RECEIVE, '--hec-url', URL_WITH_CREDENTIALS]);
    expectRefused(r, 'RECEIVER_CONFIG_INVALID');
  });

  it('receive --config with hec.url: exit 2, clear error, credentials not printed', async () => {
    const config = join(dir, 'c.json');
    writeFileSync(config, JSON.stringify({ hec: { url: URL_WITH_CREDENTIALS } }));
    const r = await runCli(['receive', ...LOOPBACK_RECEIVE, '--config', config]);
    expectRefused(r, 'RECEIVER_CONFIG_INVALID');
  });

  it('read --hec-url: exit 2, clear error, credentials not printed', async () => {
    const r = await runCli(['read', SAMPLE_MIRROR, '--hec-url', URL_WITH_CREDENTIALS]);
    expectRefused(r, 'HEC_URL_INVALID');
  });

  it('a malformed URL with credentials is reported without them', async () => {
    const r = await runCli(['read', SAMPLE_MIRROR, '--hec-url', `ftp://u:${SECRET}@host`]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('HEC_URL_INVALID');
    expect(r.stderr).not.toContain(SECRET);
  });
});
