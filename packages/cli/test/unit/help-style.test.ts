// Issue 22: one help style: one-line summaries in the command list, descriptions that commander
// wraps (never hard-wrapped mid-sentence), and defaults always written `(default: X)`.
import { runCli } from '@fargate-mirror/testkit/cli';
import { describe, expect, it } from 'vitest';

const COMMANDS = [
  'read',
  'receive',
  'summary',
  'replay',
  'forward',
  'aws-local',
  'reconcile',
  'handle-event',
  'status',
  'plan',
  'cleanup',
  'demo',
];

/** The lines of a help section (`Commands:`, `Options:`) up to the next blank line. */
function section(help: string, title: string): string[] {
  const lines = help.split('\n');
  const start = lines.indexOf(`${title}:`);
  expect(start, help).toBeGreaterThan(-1);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

describe('help', () => {
  it('lists every command with a summary that fits on its line', async () => {
    const { stdout } = await runCli(['--help']);
    const entries = section(stdout, 'Commands');
    for (const line of entries) expect(line, `wrapped: ${line}`).toMatch(/^ {2}\S/);
    for (const name of COMMANDS) {
      expect(entries).toContainEqual(expect.stringMatching(new RegExp(`^  ${name} .*\\s{2}[A-Z]`)));
    }
  });

  it.each(COMMANDS)('%s: the description is wrapped by width only, never mid-sentence', async (command) => {
    const { stdout } = await runCli([command, '--help']);
    // Usage line, blank, then the description paragraph up to the next blank line.
    const paragraph = stdout.split('\n\n')[1].split('\n');
    // Commander fills each line to the 80-column width; a hard line break leaves a short one.
    for (const line of paragraph.slice(0, -1)) expect(line.length, line).toBeGreaterThan(60);
  });

  it.each(COMMANDS)('%s: every default is written (default: X), strings unquoted', async (command) => {
    const { stdout } = await runCli([command, '--help']);
    const text = stdout.replace(/\s+/g, ' ');
    expect(text).not.toMatch(/\(default (?!: )|; default:|default: "/);
  });
});
