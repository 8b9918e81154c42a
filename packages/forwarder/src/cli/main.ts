#!/usr/bin/env node
// The forwarder's own program (the sidecar image's entrypoint): `fargate-mirror forward` without the
// rest of the CLI.
import { runForwardCommand } from './forward-command.js';

process.exitCode = await runForwardCommand(process.argv.slice(2), process.env);
