import { SIDECAR_CONTAINER_NAME } from '@fargate-mirror/forwarder';
import { Command } from 'commander';
import { addSidecar, removeSidecar, type SidecarResult } from '../sidecar/apply.js';
import {
  type DefinitionFlags,
  sidecarDefinitionOf,
  withDefinitionFlags,
} from '../sidecar/definition-flags.js';
import { formatDiff } from '../sidecar/diff.js';
import { sdkSidecarEcs } from '../sidecar/ecs-adapter.js';
import { type AwsFlags, applyAwsFlags, checkAwsConfig } from './aws-config.js';

interface ServiceFlags extends AwsFlags {
  cluster: string;
  service: string;
  dryRun?: boolean;
  json?: boolean;
}

function withServiceFlags(command: Command): Command {
  return command
    .requiredOption('--cluster <cluster>', 'the ECS cluster (name or ARN)')
    .requiredOption('--service <service>', 'the ECS service (name or ARN)')
    .option('--dry-run', 'print what would change in the task definition; change nothing')
    .option('--json', 'print the result as one JSON object')
    .option('--endpoint-url <url>', 'ECS endpoint, e.g. aws-local (default: AWS_ENDPOINT_URL, else AWS)')
    .option('--region <region>', 'AWS region (default: the SDK default configuration)');
}

/**
 * `sidecar`: the forwarder sidecar for services made without the CDK construct (console, Terraform,
 * Copilot): print its container definition, or add it to (remove it from) a service's task definition.
 */
export function createSidecarCommand(): Command {
  const sidecar = new Command('sidecar').description(
    'The forwarder sidecar without the CDK: print its container definition, add it to a service, remove it.',
  );
  sidecar.addCommand(
    withDefinitionFlags(
      new Command('definition').description(
        'Print the sidecar container definition JSON (the one MirrorSidecar renders), to paste into a task definition.',
      ),
    ).action((flags: DefinitionFlags) => {
      process.stdout.write(`${JSON.stringify(sidecarDefinitionOf(flags), null, 2)}\n`);
    }),
  );
  sidecar.addCommand(
    withServiceFlags(
      withDefinitionFlags(
        new Command('add').description(
          "Register a revision of the service's task definition with the sidecar and deploy it (a no-op if it is there).",
        ),
      ),
    ).action(async (flags: DefinitionFlags & ServiceFlags) => {
      const definition = sidecarDefinitionOf(flags);
      const target = prepare(flags);
      print(await addSidecar(sdkSidecarEcs(), target, definition), flags.json === true, 'add');
    }),
  );
  sidecar.addCommand(
    withServiceFlags(
      new Command('remove').description(
        "Register a revision of the service's task definition without the sidecar and deploy it (a no-op if it is not there).",
      ),
    )
      .option('--name <name>', `sidecar container name (default: ${SIDECAR_CONTAINER_NAME})`)
      .action(async (flags: ServiceFlags & { name?: string }) => {
        const target = prepare(flags);
        print(
          await removeSidecar(sdkSidecarEcs(), target, flags.name ?? SIDECAR_CONTAINER_NAME),
          flags.json === true,
          'remove',
        );
      }),
  );
  return sidecar;
}

function prepare(flags: ServiceFlags) {
  applyAwsFlags(flags);
  checkAwsConfig();
  return { cluster: flags.cluster, service: flags.service, dryRun: flags.dryRun === true };
}

function print(result: SidecarResult, json: boolean, command: 'add' | 'remove'): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const where = `service ${result.service} (cluster ${result.cluster})`;
  const lines: string[] = [];
  if (result.outcome === 'unchanged') {
    lines.push(
      command === 'add'
        ? `${where}: ${result.from} already has ${result.container} with these settings: nothing to do`
        : `${where}: ${result.from} has no container ${result.container}: nothing to do`,
    );
  } else if (result.dryRun) {
    lines.push(
      `${where}: would ${VERBS[result.outcome]} ${result.container} in a new revision of ${result.from} (dry run: nothing changed)`,
    );
  } else {
    lines.push(
      `${where}: ${result.outcome} ${result.container}: registered ${result.to}, service updated to it`,
    );
  }
  if (result.resized) lines.push(`raised to fit the sidecar: ${result.resized}`);
  process.stdout.write(`${lines.join('\n')}\n${formatDiff(result.changes)}`);
}

const VERBS = { added: 'add', replaced: 'replace', removed: 'remove', unchanged: 'keep' } as const;
