#!/usr/bin/env node
/**
 * A standalone runner of the controller commands (development and tests). The product binary is
 * `fargate-mirror` in packages/cli, which mounts the same `createControllerCommands()`.
 */
import { Command } from 'commander';
import { createControllerCommands } from './commands.js';

const program = new Command('fargate-mirror-controller').description('fargate-mirror controller commands');
for (const c of createControllerCommands()) program.addCommand(c);
await program.parseAsync(process.argv);
