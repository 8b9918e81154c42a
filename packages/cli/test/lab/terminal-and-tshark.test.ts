// Issue 22 with real programs: on a terminal (a pty from util-linux `script`) receive logs human
// text by default, and `read --pcap-out -` writes its pcap into a shell pipe, for tshark or for a
// reader that stops early.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN, REPO_ROOT } from '@fargate-mirror/testkit/cli';
import { formatCommand, run } from '@fargate-mirror/testkit/proc';
import { EPHEMERAL_RECEIVE } from '@fargate-mirror/testkit/receive';
import { requireTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRepeatedSample } from '../unit/support/sample.ts';

const dir = mkdtempSync(join(tmpdir(), 'fm-tty-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour sequences on the terminal
const ANSI = /\u001b\[[0-9;]*m/g;

describe('on a terminal and in a pipe', () => {
  beforeAll(() => requireTools(['script', 'timeout', 'tshark']));

  it('receive on a terminal logs human text by default, ready and stopped lines included', async () => {
    const receive = formatCommand(process.execPath, [
      CLI_BIN,
      'receive',
      ...EPHEMERAL_RECEIVE,
      '--log-level',
      'info',
      '--out-dir',
      join(dir, 'out'),
    ]);
    // SIGTERM after a few seconds, as an orchestrator would; script gives it a pty for stdio.
    const { stdout } = await run(
      'script',
      ['-qefc', `timeout --preserve-status -s TERM 8 ${receive}`, '/dev/null'],
      {
        timeoutMs: 60_000,
      },
    );
    const lines = stdout.replace(ANSI, '').replace(/\r/g, '').trimEnd().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^fargate-mirror receive: ready: vxlan udp /));
    expect(lines).toContainEqual(expect.stringMatching(/^fargate-mirror receive: stopped: 0 datagrams/));
    expect(lines).toContainEqual(expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: receiving/));
    for (const line of lines) expect(line.startsWith('{'), line).toBe(false);
  });

  it('read --pcap-out - | tshark -r - decodes every inner frame', async () => {
    const sample = join(REPO_ROOT, 'fixtures', 'sample-mirror.pcap');
    const read = formatCommand(process.execPath, [
      CLI_BIN,
      'read',
      sample,
      '--records',
      '/dev/null',
      '--pcap-out',
      '-',
    ]);
    const { stdout } = await run('bash', [
      '-o',
      'pipefail',
      '-c',
      `${read} 2>/dev/null | tshark -r - -T fields -e frame.number`,
    ]);
    expect(stdout.trim().split('\n')).toHaveLength(152);
  });

  it('read --pcap-out - into a pipe gives the same bytes as --pcap-out FILE', async () => {
    const sample = join(REPO_ROOT, 'fixtures', 'sample-mirror.pcap');
    const file = join(dir, 'file.pcap');
    const piped = join(dir, 'piped.pcap');
    await run(process.execPath, [CLI_BIN, 'read', sample, '--records', '/dev/null', '--pcap-out', file]);
    const read = formatCommand(process.execPath, [
      CLI_BIN,
      'read',
      sample,
      '--records',
      '/dev/null',
      '--pcap-out',
      '-',
    ]);
    await run('bash', ['-o', 'pipefail', '-c', `${read} 2>/dev/null | cat > ${piped}`]);
    expect(readFileSync(piped).equals(readFileSync(file))).toBe(true);
  });

  it('read --pcap-out - | head -c 4096 ends read quietly with exit 0', async () => {
    const big = writeRepeatedSample(join(dir, 'big.pcap'), 300);
    const read = formatCommand(process.execPath, [
      CLI_BIN,
      'read',
      big,
      '--no-dedup',
      '--records',
      '/dev/null',
      '--pcap-out',
      '-',
    ]);
    const stderr = join(dir, 'stderr.txt');
    const result = await run(
      'bash',
      ['-o', 'pipefail', '-c', `${read} 2>${stderr} | head -c 4096 > /dev/null`],
      {
        allowFailure: true,
      },
    );
    expect(result.code).toBe(0);
    expect(readFileSync(stderr, 'utf8')).toBe('');
  });
});
