import type { Command } from 'commander';
import { oneLine } from './one-line.js';

/** Whether commander has already printed the error it is about to throw (set by the hook below). */
export const commanderOutput = { printed: false };

/**
 * The same contract for every command, whichever package defines it: commander throws instead of
 * calling process.exit (addCommand does not pass exitOverride on, so subcommands exited 1 on their
 * own), and its usage errors are one line naming the command and where the help is.
 */
export function applyCommandContract(command: Command, path: readonly string[] = []): void {
  const names = [...path, command.name()];
  const label = names.join(' ');
  command.exitOverride();
  command.configureOutput({
    outputError: (text, write) => {
      commanderOutput.printed = true;
      // commander puts its did-you-mean on a line of its own.
      const message = text.replace(/^error: /, '').replace(/\n\(/g, ' (');
      write(`${label}: ${oneLine(message)} (see '${label} --help')\n`);
    },
  });
  for (const sub of command.commands) applyCommandContract(sub, names);
}
