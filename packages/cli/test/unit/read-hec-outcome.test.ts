// Issue 22: `read` exits 1 when an output it was asked for failed: Splunk HEC refusing the token or
// unreachable used to end with exit 0.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN } from '@fargate-mirror/testkit/cli';
import { run } from '@fargate-mirror/testkit/proc';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SAMPLE } from './support/sample.ts';

const dir = mkdtempSync(join(tmpdir(), 'fm-hec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A fake HEC answering every request with `status` and `body`; resolves with its URL. */
async function fakeHec(status: number, body: object): Promise<string> {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
    );
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A local port with nothing listening on it (taken, then released). */
async function closedPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function readToHec(url: string, name: string) {
  return run(
    process.execPath,
    [
      CLI_BIN,
      'read',
      SAMPLE,
      '--records',
      join(dir, `${name}.jsonl`),
      '--hec-url',
      url,
      '--hec-spool-dir',
      join(dir, `${name}-spool`),
      '--hec-drain-seconds',
      '2',
    ],
    { allowFailure: true, env: { ...process.env, FARGATE_MIRROR_HEC_TOKEN: 'test-token' } },
  );
}

const lastLine = (stderr: string) => stderr.trimEnd().split('\n').at(-1) ?? '';

describe('read with --hec-url', () => {
  it('exits 0 when HEC accepts every event', async () => {
    const result = await readToHec(await fakeHec(200, { text: 'Success', code: 0 }), 'ok');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/hec: 34 events delivered, 0 still spooled/);
  });

  it('exits 1 naming HEC when it refuses the token', async () => {
    const result = await readToHec(await fakeHec(403, { text: 'Invalid token', code: 4 }), 'refused');
    expect(result.code).toBe(1);
    expect(lastLine(result.stderr)).toMatch(
      /^fargate-mirror read: Splunk HEC http:\/\/127\.0\.0\.1:\d+: 0 of 34 events delivered, .*HEC refused them \(check the token and the index\) \(OUTPUT_FAILED\)$/,
    );
  });

  it('exits 1 naming HEC when it is unreachable', async () => {
    const result = await readToHec(`http://127.0.0.1:${await closedPort()}`, 'unreachable');
    expect(result.code).toBe(1);
    expect(lastLine(result.stderr)).toMatch(
      /^fargate-mirror read: Splunk HEC .*: 0 of 34 events delivered, 34 still spooled .*unreachable or busy\) \(OUTPUT_FAILED\)$/,
    );
  });
});
