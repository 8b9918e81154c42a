// Runs `fargate-mirror forward` with the CLI's own command definition (packages/cli/src/commands/
// forward.ts, built) and the CLI's error handling, whether or not program.ts registers it yet.
import { CommanderError } from 'commander';
import { createForwardCommand } from '../../../cli/dist/commands/forward.js';
import { isUserFacing } from '../../../cli/dist/errors.js';
import { createProgram } from '../../../cli/dist/program.js';

const program = createProgram();
if (!program.commands.some((c) => c.name() === 'forward')) program.addCommand(createForwardCommand());
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? 0 : 2;
  else if (isUserFacing(error)) {
    process.stderr.write(`fargate-mirror: ${error.message} (${error.code})\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`fargate-mirror: unexpected error: ${error?.stack ?? error}\n`);
    process.exitCode = 1;
  }
}
