// Runs `fargate-mirror forward` through the CLI's own program and error handling (built dist).
import { runCli } from '../../../cli/dist/program.js';

process.exitCode = await runCli(process.argv);
