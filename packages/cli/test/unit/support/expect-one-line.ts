// The contract's error shape: exactly one line on stderr, naming the command, never a stack trace.
import { expect } from 'vitest';

export function expectOneLine(stderr: string, command: string, names: RegExp): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^fargate-mirror${command ? ` ${command}` : ''}: `));
  expect(lines[0]).toMatch(names);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0];
}
