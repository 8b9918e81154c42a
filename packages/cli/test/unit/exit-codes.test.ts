// Issue 22, one command-line contract: exit code 2 and one line for every usage error, whichever
// package defines the command; 0 for help and version.
import { runCli } from '@fargate-mirror/testkit/cli';
import { describe, expect, it } from 'vitest';
import { expectOneLine } from './support/expect-one-line.ts';
import { SAMPLE } from './support/sample.ts';

// Each command with what it requires, so that the unknown option is the only mistake left.
const COMMANDS: [string, string[]][] = [
  ['read', [SAMPLE]],
  ['receive', []],
  ['replay', [SAMPLE, '--to', '127.0.0.1:9']],
  ['forward', ['--to', '127.0.0.1:9']],
  ['aws-local', []],
  ['reconcile', ['--config', 'c.yaml']],
  ['handle-event', ['event.json', '--config', 'c.yaml']],
  ['status', ['--config', 'c.yaml']],
  ['plan', ['--config', 'c.yaml']],
  ['cleanup', ['--config', 'c.yaml']],
  ['demo', []],
];

describe('exit codes and one-line usage errors', () => {
  it.each(COMMANDS)(
    '%s with an unknown option exits 2 with one line naming it',
    async (command, required) => {
      const result = await runCli([command, ...required, '--no-such-option']);
      expect(result.code).toBe(2);
      expectOneLine(result.stderr, command, /unknown option '--no-such-option'/);
    },
  );

  it('an unknown command exits 2 with one line naming it', async () => {
    const result = await runCli(['no-such-command']);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, '', /unknown command 'no-such-command'/);
  });

  it.each(COMMANDS.filter(([, required]) => required.includes('--to') || required.includes('--config')))(
    '%s without its required option exits 2 with one line naming it',
    async (command, required) => {
      const option = required.includes('--to') ? '--to' : '--config';
      const result = await runCli([
        command,
        ...required.filter((a) => a !== option && !/^(127|c\.yaml)/.test(a)),
      ]);
      expect(result.code).toBe(2);
      expectOneLine(result.stderr, command, new RegExp(`required option '${option} <[^>]+>' not specified`));
    },
  );

  it('a missing argument exits 2 with one line naming it', async () => {
    const result = await runCli(['read']);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, 'read', /missing required argument 'file'/);
  });

  it('a did-you-mean suggestion stays on the same line', async () => {
    const result = await runCli(['read', SAMPLE, '--recods', 'x']);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, 'read', /unknown option '--recods'.*Did you mean --records\?/);
  });

  it('replay with both --rate and --speed exits 2 and says so', async () => {
    const result = await runCli(['replay', SAMPLE, '--to', '127.0.0.1:9', '--rate', '10', '--speed', '2']);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, 'replay', /give --rate or --speed, not both/);
  });

  it.each(['--help', '--version', 'read --help', 'status --help'])('%s exits 0', async (line) => {
    const result = await runCli(line.split(' '));
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });
});
