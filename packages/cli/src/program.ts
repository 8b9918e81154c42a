import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { applyCommandContract, commanderOutput } from './cli/command-contract.js';
import { applyHelpStyle } from './cli/help-style.js';
import { reportError } from './cli/report-error.js';

type CommandLoader = () => Promise<Command[]>;

// Commands load their modules on demand: running one command should not pay for loading every
// other (the AWS SDK, the CDK-free controller, the demo), which cost about half a second at start.
const COMMANDS: ReadonlyArray<readonly [readonly string[], CommandLoader]> = [
  [['read'], async () => [(await import('./commands/read.js')).createReadCommand()]],
  [['receive'], async () => [(await import('./commands/receive.js')).createReceiveCommand()]],
  [['summary'], async () => [(await import('./commands/summary.js')).createSummaryCommand()]],
  [['replay'], async () => [(await import('./commands/replay.js')).createReplayCommand()]],
  [['forward'], async () => [(await import('./commands/forward.js')).createForwardCommand()]],
  [['sidecar'], async () => [(await import('./commands/sidecar.js')).createSidecarCommand()]],
  [['aws-local'], async () => [(await import('@fargate-mirror/aws-local')).createAwsLocalCommand()]],
  [
    ['reconcile', 'handle-event', 'status', 'plan', 'cleanup'],
    async () => (await import('@fargate-mirror/controller')).createControllerCommands(),
  ],
  [['demo'], async () => [(await import('./commands/demo.js')).createDemoCommand()]],
];

/**
 * Set by esbuild's `define` when the CLI is bundled into one file (the CDK receiver asset), where no
 * package.json sits beside it; undeclared everywhere else, so `typeof` is 'undefined'.
 */
declare const FARGATE_MIRROR_VERSION: string | undefined;

/** The CLI's version: baked into a bundle, else from the package.json of the repository or npm install. */
function cliVersion(): string {
  if (typeof FARGATE_MIRROR_VERSION === 'string') return FARGATE_MIRROR_VERSION;
  try {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    if (typeof manifest.version === 'string') return manifest.version;
  } catch {
    // A copy without its package.json still runs; only --version loses its answer.
  }
  return 'unknown';
}

const version = cliVersion();

// Summaries for the command list, for the commands other packages define: each fits on its line of
// the 80-column list (their descriptions are whole sentences, for their own help).
const SUMMARIES: Readonly<Record<string, string>> = {
  forward: "The sidecar: send a task's traffic as VXLAN",
  sidecar: 'Add the sidecar to a service without the CDK',
  'aws-local': 'Run the local EC2 and ECS emulator',
  reconcile: 'Resync: one session on every selected task',
  'handle-event': 'Handle one ECS task event (a local invoke)',
  status: 'Coverage of the selected tasks',
  plan: 'What reconcile would do, and why',
  cleanup: 'Delete every session of this owner',
};

/**
 * The `fargate-mirror` program. With `argv`, only the command it names is loaded (all of them for
 * help or an unknown name).
 */
export async function createProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('fargate-mirror')
    .description(
      'Capture the full traffic of Amazon ECS services through VPC Traffic Mirroring: ' +
        'sessions that follow tasks, a receiver that turns VXLAN into pcap, flow and transaction records.',
    )
    .version(version);
  const name = argv?.[2];
  const named = COMMANDS.find(([names]) => name !== undefined && names.includes(name));
  const loaders = named !== undefined ? [named[1]] : COMMANDS.map(([, load]) => load);
  for (const commands of await Promise.all(loaders.map((load) => load()))) {
    for (const command of commands) program.addCommand(command);
  }
  applyHelpStyle(program, SUMMARIES);
  applyCommandContract(program);
  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage or input error), the same for every command. */
export async function runCli(argv: readonly string[]): Promise<number> {
  commanderOutput.printed = false;
  let label = 'fargate-mirror';
  try {
    const program = await createProgram(argv);
    const name = argv[2];
    if (name !== undefined && program.commands.some((c) => c.name() === name)) label += ` ${name}`;
    await program.parseAsync(argv as string[]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return reportError(error, label);
  }
}
