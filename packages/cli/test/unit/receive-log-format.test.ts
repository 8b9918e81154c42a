// Issue 22: logs are JSON when stderr is not a terminal or with --log-format json, human text with
// --log-format text (the default on a terminal, tested in test/lab), and the ready and stopped lines
// follow the same format instead of mixing text into JSON.
import { runCli } from '@fargate-mirror/testkit/cli';
import { describe, expect, it } from 'vitest';
import { receiveOnce } from './support/receive-once.ts';

const lines = (stderr: string) => stderr.trimEnd().split('\n');

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

describe('receive log format', () => {
  it.each([
    ['--log-format json', ['--log-format', 'json']],
    ['the default when stderr is not a terminal', []],
  ])('%s: every line on stderr is a JSON object, ready and stopped included', async (_name, flags) => {
    const { code, stderr } = await receiveOnce(['--log-level', 'info', ...flags]);
    expect(code).toBe(0);
    const all = lines(stderr);
    for (const line of all) expect(isJson(line), line).toBe(true);
    const events = all.map((l) => JSON.parse(l) as { event?: string; msg: string; port?: number });
    const ready = events.find((e) => e.event === 'ready');
    expect(ready?.msg).toMatch(/^fargate-mirror receive: ready: vxlan udp /);
    expect(ready?.port).toBeGreaterThan(0);
    expect(events.find((e) => e.event === 'stopped')?.msg).toMatch(
      /^fargate-mirror receive: stopped: 0 datagrams/,
    );
    // The receiver's own logs are among them, in the same format.
    expect(events.some((e) => e.msg === 'receiving')).toBe(true);
  });

  it('--log-format text: human lines, none of them JSON', async () => {
    const { code, stderr } = await receiveOnce(['--log-level', 'info', '--log-format', 'text']);
    expect(code).toBe(0);
    const all = lines(stderr);
    for (const line of all) expect(isJson(line), line).toBe(false);
    expect(all).toContainEqual(expect.stringMatching(/^fargate-mirror receive: ready: vxlan udp /));
    expect(all).toContainEqual(expect.stringMatching(/^fargate-mirror receive: stopped: 0 datagrams/));
    expect(all).toContainEqual(expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: receiving/));
  });

  it.each([
    ['text', false],
    ['json', true],
  ])('--log-format %s: the worker threads log in it too', async (format, json) => {
    // An AWS endpoint that refuses connections: each worker's identity refresh fails and it warns.
    const { code, stderr } = await receiveOnce([
      '--log-format',
      format,
      '--aws-identity',
      '--region',
      'us-east-1',
      '--endpoint-url',
      'http://127.0.0.1:9',
    ]);
    expect(code).toBe(0);
    const all = lines(stderr);
    const fromWorker = all.filter((l) => /identity refresh failed/.test(l));
    expect(fromWorker.length, stderr).toBeGreaterThan(0);
    for (const line of all) expect(isJson(line), line).toBe(json);
    if (json) expect((JSON.parse(fromWorker[0]) as { worker?: number }).worker).toBe(0);
    else expect(fromWorker[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN.*\(worker=0\)|^\[.*\] WARN.*worker/);
  });

  it('--log-format yaml exits 2 naming the choices', async () => {
    const result = await runCli(['receive', '--log-format', 'yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^fargate-mirror receive: .*--log-format.*expected text or json, got 'yaml'/,
    );
  });
});
