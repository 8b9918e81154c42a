// The sidecar's ECS container definition, once: MirrorSidecar (CDK), `fargate-mirror sidecar
// definition` and the docs all take it from here, and the image test runs exactly this against the
// built image. The image (scripts/build-forwarder-image.sh, docker/forwarder/Dockerfile) is built to
// match these constants.
import { ForwarderError, ForwarderErrorCode } from '../errors.js';

/** Where the image keeps Node and the forwarder bundle. */
export const SIDECAR_NODE = '/usr/local/bin/node';
export const SIDECAR_BUNDLE = '/opt/fargate-mirror/forward.mjs';
/**
 * V8 flags for the sidecar's node: bench/forwarder measured where the memory goes (README "Cost").
 * --jitless: the image runs the native engine, where JavaScript runs at start and once a second (the
 * stats line), never per packet; without the compilers node touches about 3 MiB fewer pages.
 */
export const IMAGE_NODE_FLAGS: readonly string[] = [
  '--max-old-space-size=32',
  '--max-semi-space-size=1',
  '--single-threaded',
  '--jitless',
];
/** The image's entrypoint: tini as PID 1 (reaps the capture child, forwards SIGTERM), then the forwarder. */
export const SIDECAR_ENTRYPOINT: readonly string[] = [
  '/usr/bin/tini',
  '--',
  SIDECAR_NODE,
  ...IMAGE_NODE_FLAGS,
  SIDECAR_BUNDLE,
];
/** The non-root user the image runs as (uid:gid). */
export const SIDECAR_USER = '10001:10001';
export const SIDECAR_CONTAINER_NAME = 'fargate-mirror-forwarder';
/**
 * From bench/forwarder (README "Cost"), native engine: 1.54-1.67 us CPU per forwarded packet of small
 * UDP at 10k-100k pps on a quiet machine (the bench's veth charges the collector's receive to the
 * sender; the sidecar's own send path is 0.73-0.80 us), so 128 units (an eighth of a vCPU, 125 ms of
 * CPU a second) carry about 74k pps; peak RSS 61.3 MiB (node 51.7, of
 * which about 39 MiB are file-backed pages of the node binary; fm-capture 9.7 with the default 8 MiB
 * ring), hence a 64 MiB reservation; the 128 MiB limit leaves room for the health check's own node
 * (it runs in the container every 30 s) and a larger --capture-buffer. ECS CPU units of a container
 * are a share, not a cap: a busier task gets more while the task has CPU to spare.
 */
export const SIDECAR_DEFAULTS = { cpu: 128, memory: 128, memoryReservation: 64 } as const;
/** `--health-check`: a live tcpdump in the container; ECS runs it in the container every interval. */
export const SIDECAR_HEALTH_CHECK = {
  command: ['CMD', SIDECAR_NODE, ...IMAGE_NODE_FLAGS, SIDECAR_BUNDLE, '--health-check'],
  interval: 30,
  timeout: 5,
  retries: 3,
  startPeriod: 15,
} as const;

/** The fields of an ECS container definition this sidecar sets (RegisterTaskDefinition's shape). */
export interface SidecarContainerDefinition {
  name: string;
  image: string;
  essential: false;
  entryPoint: string[];
  command: string[];
  environment: { name: string; value: string }[];
  user: string;
  cpu: number;
  memory: number;
  memoryReservation: number;
  healthCheck: {
    command: string[];
    interval: number;
    timeout: number;
    retries: number;
    startPeriod: number;
  };
  logConfiguration?: { logDriver: 'awslogs'; options: Record<string, string> };
}

export interface SidecarDefinitionOptions {
  /** HOST:PORT of the mirror target (the NLB's DNS name and 4789, or a receiver). */
  readonly to: string;
  /** Image URI, e.g. ACCOUNT.dkr.ecr.REGION.amazonaws.com/fargate-mirror-forwarder:0.1.0. */
  readonly image: string;
  /** @default 'fargate-mirror-forwarder' */
  readonly name?: string;
  /** CPU units. @default 256 */
  readonly cpu?: number;
  /** Hard memory limit, MiB. @default 256 */
  readonly memory?: number;
  /** Soft memory reservation, MiB. @default 128 */
  readonly memoryReservation?: number;
  /** More `forward` arguments (see `fargate-mirror forward --help`). @default - none */
  readonly args?: readonly string[];
  /** FARGATE_MIRROR_* environment (e.g. FARGATE_MIRROR_LOG_LEVEL). @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** CloudWatch Logs through the awslogs driver. @default - no log configuration */
  readonly awslogs?: { readonly group: string; readonly region: string; readonly streamPrefix?: string };
  /**
   * Skips the HOST:PORT check of `to`, for values resolved later (CDK tokens).
   * @default false
   */
  readonly toIsToken?: boolean;
}

/**
 * The forwarder's container definition (ECS RegisterTaskDefinition JSON). Non-essential, so a
 * forwarder failure never stops the application; no linuxParameters (capture needs only NET_RAW, in
 * Docker's and Fargate's default set). Throws FORWARDER_BAD_OPTION naming every invalid field.
 */
export function sidecarContainerDefinition(options: SidecarDefinitionOptions): SidecarContainerDefinition {
  const cpu = options.cpu ?? SIDECAR_DEFAULTS.cpu;
  const memory = options.memory ?? SIDECAR_DEFAULTS.memory;
  const memoryReservation = options.memoryReservation ?? SIDECAR_DEFAULTS.memoryReservation;
  const issues: string[] = [];
  if (
    !options.toIsToken &&
    !/^[^\s:]+:\d{1,5}$/.test(options.to) &&
    !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(options.to)
  ) {
    issues.push(
      `to: must be HOST:PORT such as receivers.example.internal:4789, but "${options.to}" was given`,
    );
  }
  if (options.image.trim() === '') issues.push('image: must be an image URI');
  if (!Number.isInteger(cpu) || cpu < 0 || cpu > 10_240)
    issues.push(`cpu: must be 0-10240 units, but ${cpu} was given`);
  if (!Number.isInteger(memory) || memory < 6)
    issues.push(`memory: must be an integer >= 6 MiB, but ${memory} was given`);
  if (!Number.isInteger(memoryReservation) || memoryReservation > memory) {
    issues.push(`memoryReservation: must not exceed memory (${memory}), but ${memoryReservation} was given`);
  }
  for (const name of Object.keys(options.environment ?? {})) {
    if (!name.startsWith('FARGATE_MIRROR_') || name === 'FARGATE_MIRROR_TO') {
      issues.push(`environment: ${name} is not a FARGATE_MIRROR_* setting other than FARGATE_MIRROR_TO`);
    }
  }
  if (issues.length > 0)
    throw new ForwarderError(ForwarderErrorCode.BAD_OPTION, `sidecar definition: ${issues.join('; ')}`);
  // The destination is an argument, not a variable: cdk-nag (AwsSolutions-ECS2) flags every task
  // definition with environment variables, and it is no secret either way.
  const environment = Object.entries(options.environment ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value }));
  return {
    name: options.name ?? SIDECAR_CONTAINER_NAME,
    image: options.image,
    essential: false,
    entryPoint: [...SIDECAR_ENTRYPOINT],
    command: ['--to', options.to, ...(options.args ?? [])],
    environment,
    user: SIDECAR_USER,
    cpu,
    memory,
    memoryReservation,
    healthCheck: { ...SIDECAR_HEALTH_CHECK, command: [...SIDECAR_HEALTH_CHECK.command] },
    ...(options.awslogs
      ? {
          logConfiguration: {
            logDriver: 'awslogs' as const,
            options: {
              'awslogs-group': options.awslogs.group,
              'awslogs-region': options.awslogs.region,
              'awslogs-stream-prefix': options.awslogs.streamPrefix ?? 'fargate-mirror',
            },
          },
        }
      : {}),
  };
}
