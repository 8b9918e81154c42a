import type { Command } from 'commander';
import type { ControllerCommandsIo, Io } from './command-base.js';
import { cleanupCommand } from './commands/cleanup.js';
import { handleEventCommand } from './commands/handle-event.js';
import { planCommand } from './commands/plan.js';
import { reconcileCommand } from './commands/reconcile.js';
import { statusCommand } from './commands/status.js';

export type { ControllerCommandsIo } from './command-base.js';

/**
 * The controller's commands for the `fargate-mirror` binary: `reconcile`, `handle-event`, `status`,
 * `plan`, `cleanup`. Each takes `--config FILE`, `--endpoint-url URL` and `--region`.
 */
export function createControllerCommands(streams: ControllerCommandsIo = {}): Command[] {
  const io: Io = {
    out: streams.stdout ?? process.stdout,
    err: streams.stderr ?? process.stderr,
    stdin: streams.stdin ?? process.stdin,
  };
  return [
    reconcileCommand(io),
    handleEventCommand(io),
    statusCommand(io),
    planCommand(io),
    cleanupCommand(io),
  ];
}
