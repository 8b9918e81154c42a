// The forwarder's command line: arguments over FARGATE_MIRROR_* environment, one-line errors, exit
// codes (0 ok, 1 runtime failure, 2 usage or input error), and the CLI's `forward` passing through
// to it unchanged. No capture is started: every case fails or returns before tcpdump.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FORWARD_USAGE, ForwarderError, parseForwardArgs, runForwardCommand } from '../../src/index.ts';

const REPO = join(import.meta.dirname, '..', '..', '..', '..');

function sink(): Writable & { text: () => string } {
  let text = '';
  const w = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  }) as Writable & { text: () => string };
  w.text = () => text;
  return w;
}

async function runCommand(args: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = sink();
  const stderr = sink();
  const code = await runForwardCommand(args, env, { stdout, stderr });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('parseForwardArgs', () => {
  it('reads every option, with the defaults of the forwarder', () => {
    const r = parseForwardArgs([
      ...['--to', 'nlb.example:4789', '--vni', '7', '--packet-length', '128', '--filter', 'f.yaml'],
      ...['--interface', 'eth1', '--mtu', '9001', '--truncate-superframes', '--queue', '64'],
      ...['--source-ports', '4', '--capture-buffer', '1024', '--tcpdump', '/usr/bin/tcpdump'],
      ...['--metadata-uri', 'http://169.254.170.2/v4/x', '--log-level', 'info'],
      ...['--capture-engine', 'tcpdump', '--log-format', 'text'],
    ]);
    expect(r).toEqual({
      kind: 'run',
      options: {
        to: 'nlb.example:4789',
        vni: 7,
        packetLength: 128,
        filterFile: 'f.yaml',
        interface: 'eth1',
        mtu: 9001,
        truncateSuperframes: true,
        splitOversize: false,
        udpGso: true,
        queueDatagrams: 64,
        sourcePorts: 4,
        captureBufferKiB: 1024,
        tcpdump: '/usr/bin/tcpdump',
        captureEngine: 'tcpdump',
        metadataUri: 'http://169.254.170.2/v4/x',
        logLevel: 'info',
        logFormat: 'text',
      },
    });
    expect(parseForwardArgs(['--to', 'h:1'])).toMatchObject({
      options: {
        queueDatagrams: 1024,
        sourcePorts: 16,
        captureBufferKiB: 8_192,
        tcpdump: 'tcpdump',
        captureEngine: 'auto',
        logLevel: 'warn',
      },
    });
    expect(() => parseForwardArgs(['--to', 'h:1', '--capture-engine', 'pcap'])).toThrow(
      /--capture-engine must be one of auto, native, native-capture, tcpdump/,
    );
  });

  it('takes settings from FARGATE_MIRROR_* variables, arguments winning; a leading "forward" is ignored', () => {
    const env = {
      FARGATE_MIRROR_TO: 'from-env:4789',
      FARGATE_MIRROR_VNI: '9',
      FARGATE_MIRROR_LOG_LEVEL: 'debug',
      FARGATE_MIRROR_TCPDUMP: '/opt/tcpdump',
      FARGATE_MIRROR_MTU: '',
    };
    expect(parseForwardArgs([], env)).toMatchObject({
      options: { to: 'from-env:4789', vni: 9, logLevel: 'debug', tcpdump: '/opt/tcpdump', mtu: undefined },
    });
    expect(parseForwardArgs(['forward', '--to', 'arg:1', '--vni', '3'], env)).toMatchObject({
      options: { to: 'arg:1', vni: 3 },
    });
  });

  it('rejects what is not an option of forward, naming it, with FORWARDER_BAD_OPTION', () => {
    const cases: [string[], RegExp][] = [
      [[], /required option '--to <host:port>' not specified/],
      [['--to'], /argument missing/],
      [['--to', 'h:1', '--bogus'], /unknown option '--bogus'/],
      [['--to', 'h:1', 'extra'], /positional/i],
      [['--to', 'h:1', '--vni', 'x'], /--vni expects an integer >= 0, got 'x'/],
      [['--to', 'h:1', '--queue', '0'], /--queue expects an integer >= 1/],
      [['--to', 'h:1', '--log-level', 'loud'], /--log-level must be one of/],
      [['--to', 'h:1', '--log-format', 'xml'], /--log-format must be one of text, json, got 'xml'/],
    ];
    for (const [args, message] of cases) {
      let error: unknown;
      try {
        parseForwardArgs(args);
      } catch (e) {
        error = e;
      }
      expect(error, args.join(' ')).toBeInstanceOf(ForwarderError);
      expect((error as ForwarderError).code).toBe('FORWARDER_BAD_OPTION');
      expect((error as Error).message).toMatch(message);
    }
  });

  it('recognises --help and --health-check', () => {
    expect(parseForwardArgs(['-h'])).toEqual({ kind: 'help' });
    expect(parseForwardArgs(['--health-check'])).toEqual({ kind: 'health-check' });
  });
});

describe('runForwardCommand', () => {
  it('exit 2 and one line naming the problem for usage and input errors', async () => {
    for (const args of [['--bogus'], ['--to', 'not-a-destination'], ['--to', 'h:1', '--vni', '99999999']]) {
      const r = await runCommand(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/^fargate-mirror forward: .* \(FORWARDER_BAD_(OPTION|DESTINATION)\)\n$/);
    }
  });

  it('exit 1 and one line when the capture cannot start (a runtime failure)', async () => {
    const r = await runCommand([
      '--to',
      '127.0.0.1:4789',
      '--interface',
      'lo',
      '--tcpdump',
      '/nonexistent/tcpdump',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fargate-mirror forward: tcpdump not found .*\(FORWARDER_CAPTURE_FAILED\)\n$/);
  });

  it('prints the usage with every environment variable on --help, exit 0', async () => {
    const r = await runCommand(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(FORWARD_USAGE);
    expect(r.stdout).toMatch(/FARGATE_MIRROR_TO\s+--to/);
  });
});

describe('the CLI and the forwarder program', () => {
  const exec = async (bin: string, args: string[]) => {
    try {
      const r = await promisify(execFile)(process.execPath, [bin, ...args], {
        env: { PATH: process.env.PATH },
      });
      return { code: 0, ...r };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };
  const bins = {
    'fargate-mirror forward': [join(REPO, 'packages', 'cli', 'bin', 'fargate-mirror.js'), 'forward'],
    'fargate-mirror-forward': [join(REPO, 'packages', 'forwarder', 'bin', 'fargate-mirror-forward.js')],
  } as const;

  for (const [name, [bin, ...pre]] of Object.entries(bins)) {
    it(`${name}: the same help, exit codes and one-line errors`, async () => {
      const help = await exec(bin, [...pre, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toBe(FORWARD_USAGE);
      const bad = await exec(bin, [...pre, '--to', 'h:1', '--bogus']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe("fargate-mirror forward: unknown option '--bogus' (FORWARDER_BAD_OPTION)\n");
      const none = await exec(bin, [...pre]);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(
        /^fargate-mirror forward: required option '--to <host:port>' not specified/,
      );
    });
  }
});

describe('the forwarder log on stderr', () => {
  // Issue 22: `forward` logged JSON whatever --log-format said; text is for a person, JSON for awslogs.
  const logLine = async (format: string) => {
    const entry = join(REPO, 'packages', 'forwarder', 'dist', 'index.js');
    const script = `import { createForwarderLogger } from ${JSON.stringify(entry)};
(await createForwarderLogger('info', ${JSON.stringify(format)})).info({ vni: 7 }, 'capture started');`;
    const r = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    return r.stderr;
  };

  it('text: one human line with the level, the message and the fields', async () => {
    const line = await logLine('text');
    expect(line).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: capture started \{"component":"forwarder","vni":7\}\n$/,
    );
  });

  it('json: one JSON object per line', async () => {
    const entry = JSON.parse(await logLine('json')) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 30, msg: 'capture started', vni: 7, component: 'forwarder' });
  });
});
