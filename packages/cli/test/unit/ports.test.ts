// Issue 22: ports are validated everywhere (--vxlan-port 70000 used to be accepted and match
// nothing), and `read` and `receive` take the same name for the VXLAN port, the old `--port` kept.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@fargate-mirror/testkit/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOneLine } from './support/expect-one-line.ts';
import { SAMPLE } from './support/sample.ts';

const dir = mkdtempSync(join(tmpdir(), 'fm-ports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('port options', () => {
  it.each([
    ['read', ['read', SAMPLE, '--vxlan-port', '70000'], /--vxlan-port.*'70000'.*1 to 65535/],
    ['read', ['read', SAMPLE, '--vxlan-port', '0'], /--vxlan-port.*'0'.*1 to 65535/],
    ['read', ['read', SAMPLE, '--port', 'x'], /--port.*'x'.*1 to 65535/],
    ['read', ['read', SAMPLE, '--geneve-port', '65536'], /--geneve-port.*'65536'.*0 to 65535/],
    ['receive', ['receive', '--vxlan-port', '70000'], /--vxlan-port.*'70000'.*0 to 65535/],
    ['receive', ['receive', '--port', '70000'], /--port.*'70000'.*0 to 65535/],
    ['receive', ['receive', '--health-port', '-1'], /--health-port.*'-1'.*0 to 65535/],
    ['replay', ['replay', SAMPLE, '--to', '127.0.0.1:70000'], /--to.*'127\.0\.0\.1:70000'.*1 to 65535/],
  ])('%s %j exits 2 naming the option', async (command, args, names) => {
    const result = await runCli(args as string[]);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, command, names);
  });

  it('read and receive refuse the old and the new name together', async () => {
    for (const command of [['read', SAMPLE], ['receive']]) {
      const result = await runCli([...command, '--port', '4789', '--vxlan-port', '4789']);
      expect(result.code).toBe(2);
      expectOneLine(result.stderr, command[0], /'--port <port>' cannot be used with option '--vxlan-port/);
    }
  });

  it('read takes --port, the name receive had, as the same option as --vxlan-port', async () => {
    const canonical = join(dir, 'vxlan-port.jsonl');
    const alias = join(dir, 'port.jsonl');
    expect((await runCli(['read', SAMPLE, '--vxlan-port', '4789', '--records', canonical])).code).toBe(0);
    expect((await runCli(['read', SAMPLE, '--port', '4789', '--records', alias])).code).toBe(0);
    expect(readFileSync(alias, 'utf8')).toBe(readFileSync(canonical, 'utf8'));
    expect(readFileSync(alias, 'utf8').length).toBeGreaterThan(1000);
  });

  it('read --geneve-port 0 disables GENEVE, as it does for receive', async () => {
    const geneve = SAMPLE.replace('sample-mirror.pcap', 'sample-mirror-geneve.pcap');
    const mirrored = async (flags: string[]) => {
      const result = await runCli(['read', geneve, '--records', '/dev/null', '--summary-json', ...flags]);
      expect(result.code).toBe(0);
      return (JSON.parse(result.stderr) as { mirroredPackets: number }).mirroredPackets;
    };
    expect(await mirrored([])).toBe(152);
    expect(await mirrored(['--geneve-port', '0'])).toBe(0);
  });

  it('--help shows the shared name and hides the old one', async () => {
    for (const command of ['read', 'receive']) {
      const { stdout } = await runCli([command, '--help']);
      expect(stdout).toContain('--vxlan-port <port>');
      expect(stdout).not.toMatch(/--port </);
    }
  });
});
