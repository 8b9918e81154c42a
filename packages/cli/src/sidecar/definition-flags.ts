import { type SidecarDefinitionOptions, sidecarContainerDefinition } from '@fargate-mirror/forwarder';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';

/** The flags of `sidecar definition` and `sidecar add`: every knob sidecarContainerDefinition takes. */
export interface DefinitionFlags {
  to: string;
  image: string;
  name?: string;
  cpu?: string;
  memory?: string;
  memoryReservation?: string;
  forwardArg?: string[];
  env?: string[];
  awslogsGroup?: string;
  awslogsRegion?: string;
  awslogsStreamPrefix?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function withDefinitionFlags(command: Command): Command {
  return command
    .requiredOption('--to <host:port>', 'the mirror target: the NLB DNS name and 4789, or a receiver')
    .requiredOption('--image <uri>', 'the forwarder image (scripts/build-forwarder-image.sh, pushed to ECR)')
    .option('--name <name>', 'container name (default: fargate-mirror-forwarder)')
    .option('--cpu <units>', 'container CPU units (default: the forwarder default)')
    .option('--memory <mib>', 'container hard memory limit, MiB (default: the forwarder default)')
    .option('--memory-reservation <mib>', 'container soft memory reservation, MiB')
    .option('--forward-arg <arg>', 'one more `forward` argument (repeat it)', collect)
    .option('--env <NAME=VALUE>', 'a FARGATE_MIRROR_* variable for the forwarder (repeat it)', collect)
    .option('--awslogs-group <group>', 'CloudWatch Logs group (awslogs driver; needs --awslogs-region)')
    .option('--awslogs-region <region>', 'region of the log group')
    .option('--awslogs-stream-prefix <prefix>', 'log stream prefix (default: fargate-mirror)');
}

function integer(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new UsageError('USAGE_INVALID', `${flag}: must be a whole number, but "${value}" was given`);
  }
  return Number(value);
}

/** The options of sidecarContainerDefinition from the flags; a malformed flag is a usage error. */
export function definitionOptions(flags: DefinitionFlags): SidecarDefinitionOptions {
  const environment: Record<string, string> = {};
  for (const pair of flags.env ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError('USAGE_INVALID', `--env: must be NAME=VALUE, but "${pair}" was given`);
    environment[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  if ((flags.awslogsGroup === undefined) !== (flags.awslogsRegion === undefined)) {
    throw new UsageError(
      'USAGE_INVALID',
      '--awslogs-group and --awslogs-region go together: give both or neither',
    );
  }
  if (flags.awslogsStreamPrefix !== undefined && flags.awslogsGroup === undefined) {
    throw new UsageError(
      'USAGE_INVALID',
      '--awslogs-stream-prefix needs --awslogs-group and --awslogs-region',
    );
  }
  return {
    to: flags.to,
    image: flags.image,
    name: flags.name,
    cpu: integer('--cpu', flags.cpu),
    memory: integer('--memory', flags.memory),
    memoryReservation: integer('--memory-reservation', flags.memoryReservation),
    args: flags.forwardArg,
    environment,
    awslogs:
      flags.awslogsGroup !== undefined && flags.awslogsRegion !== undefined
        ? { group: flags.awslogsGroup, region: flags.awslogsRegion, streamPrefix: flags.awslogsStreamPrefix }
        : undefined,
  };
}

export type SidecarDefinition = ReturnType<typeof sidecarContainerDefinition>;

/** The container definition, the one MirrorSidecar renders; the forwarder's checks are usage errors. */
export function sidecarDefinitionOf(flags: DefinitionFlags): SidecarDefinition {
  return sidecarContainerDefinition(definitionOptions(flags));
}
