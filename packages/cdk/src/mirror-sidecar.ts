import { Duration, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { PropsValidationError } from './errors.js';
import {
  SIDECAR_CONTAINER_NAME,
  SIDECAR_DEFAULTS,
  sidecarContainerDefinition,
} from './private/forwarder-sidecar.js';
import { repoPath, requireSource } from './private/repo-paths.js';

/** The forwarder image's Docker build context in the fargate-mirror repository (not in the package). */
export const FORWARDER_DOCKER_DIRECTORY = repoPath('docker', 'forwarder');

export interface MirrorSidecarProps {
  /**
   * `HOST:PORT` the forwarder sends its VXLAN to, e.g. `MirrorTarget.forwarderDestination`
   * (the NLB's DNS name and 4789).
   */
  readonly destination: string;
  /**
   * The forwarder image (scripts/build-forwarder-image.sh, pushed to ECR:
   * `ecs.ContainerImage.fromEcrRepository(repo, tag)` or `fromRegistry(uri)`).
   * @default - built from docker/forwarder of the fargate-mirror repository (a DockerImageAsset; needs
   * Docker at synth and the repository checkout, so not available to an installed package)
   */
  readonly image?: ecs.ContainerImage;
  /**
   * The container name.
   * @default 'fargate-mirror-forwarder'
   */
  readonly containerName?: string;
  /**
   * CPU units (1024 = one vCPU).
   * @default 128
   */
  readonly cpu?: number;
  /**
   * Hard memory limit.
   * @default 128
   */
  readonly memoryLimitMiB?: number;
  /**
   * Soft memory reservation.
   * @default 64
   */
  readonly memoryReservationMiB?: number;
  /**
   * More `forward` arguments, the container's command (see `fargate-mirror forward --help`).
   * @default - none
   */
  readonly forwarderArgs?: readonly string[];
  /**
   * More FARGATE_MIRROR_* environment (e.g. `{ FARGATE_MIRROR_LOG_LEVEL: 'info' }`).
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Retention of the forwarder's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The sidecar forwarder: captures inside the task and sends the same VXLAN format AWS mirroring
 * produces, for tasks whose ENIs AWS will not mirror. The container definition (entrypoint, command,
 * environment, user, health check, non-essential, CPU/memory, awslogs) is the forwarder package's
 * `sidecarContainerDefinition`, the same one `fargate-mirror sidecar definition` prints. It needs no
 * added Linux capability: AF_PACKET capture needs NET_RAW, which is in Docker's default set, and
 * Fargate lets a container add only SYS_PTRACE anyway.
 */
// biome-ignore lint/complexity/noStaticOnlyClass: the issue's API is MirrorSidecar.addTo(taskDefinition, props), as CDK's static helpers
export class MirrorSidecar {
  /** Adds the forwarder container to `taskDefinition` and returns it. */
  static addTo(taskDefinition: ecs.TaskDefinition, props: MirrorSidecarProps): ecs.ContainerDefinition {
    const issues: string[] = [];
    if (!Token.isUnresolved(props.destination) && !/^[^\s:]+:\d{1,5}$/.test(props.destination)) {
      issues.push(
        `destination: must be HOST:PORT such as receivers.example.internal:4789, but "${props.destination}" was given`,
      );
    }
    const cpu = props.cpu ?? SIDECAR_DEFAULTS.cpu;
    const memoryLimitMiB = props.memoryLimitMiB ?? SIDECAR_DEFAULTS.memory;
    const memoryReservationMiB = props.memoryReservationMiB ?? SIDECAR_DEFAULTS.memoryReservation;
    if (cpu < 0 || cpu > 10_240) issues.push(`cpu: must be 0-10240 units, but ${cpu} was given`);
    if (memoryReservationMiB > memoryLimitMiB) {
      issues.push(
        `memoryReservationMiB: must not exceed memoryLimitMiB (${memoryLimitMiB}), but ${memoryReservationMiB} was given`,
      );
    }
    for (const name of Object.keys(props.environment ?? {})) {
      if (!name.startsWith('FARGATE_MIRROR_') || name === 'FARGATE_MIRROR_TO') {
        issues.push(
          `environment: ${name} is not a FARGATE_MIRROR_* setting other than FARGATE_MIRROR_TO (use destination)`,
        );
      }
    }
    if (issues.length > 0)
      throw new PropsValidationError(`${taskDefinition.node.path}/MirrorSidecar`, issues);
    const name = props.containerName ?? SIDECAR_CONTAINER_NAME;
    // The image is CDK's to render; every other field comes from the one definition.
    const { image: _rendered, ...definition } = sidecarContainerDefinition({
      to: props.destination,
      toIsToken: Token.isUnresolved(props.destination),
      image: 'rendered-by-cdk',
      name,
      cpu,
      memory: memoryLimitMiB,
      memoryReservation: memoryReservationMiB,
      args: props.forwarderArgs,
      environment: props.environment,
    });
    const image =
      props.image ??
      ecs.ContainerImage.fromAsset(
        requireSource(
          FORWARDER_DOCKER_DIRECTORY,
          'the forwarder Docker build context (pass image: ecs.ContainerImage.fromRegistry(URI) of an image built by scripts/build-forwarder-image.sh)',
        ),
      );
    const logGroup = new logs.LogGroup(taskDefinition, 'MirrorSidecarLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    const health = definition.healthCheck;
    return taskDefinition.addContainer(name, {
      containerName: definition.name,
      image,
      essential: definition.essential,
      entryPoint: definition.entryPoint,
      command: definition.command,
      environment:
        definition.environment.length > 0
          ? Object.fromEntries(definition.environment.map((e) => [e.name, e.value]))
          : undefined,
      user: definition.user,
      cpu: definition.cpu,
      memoryLimitMiB: definition.memory,
      memoryReservationMiB: definition.memoryReservation,
      healthCheck: {
        command: health.command,
        interval: Duration.seconds(health.interval),
        timeout: Duration.seconds(health.timeout),
        retries: health.retries,
        startPeriod: Duration.seconds(health.startPeriod),
      },
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'fargate-mirror', logGroup }),
    });
  }
}
