import { FORWARD_DESCRIPTION, runForwardCommand } from '@fargate-mirror/forwarder';
import { Command } from 'commander';

/**
 * `forward` is the forwarder's own command line (packages/forwarder/src/cli/forward-command.ts, also
 * the sidecar image's entrypoint): its arguments, help and exit code pass through unchanged.
 */
export function createForwardCommand(): Command {
  return new Command('forward')
    .description(`${FORWARD_DESCRIPTION} Options: fargate-mirror forward --help.`)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[options...]', 'see fargate-mirror forward --help')
    .action(async (_options: string[], _flags: unknown, command: Command) => {
      process.exitCode = await runForwardCommand(command.args, process.env);
    });
}
