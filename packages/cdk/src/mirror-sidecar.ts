import { Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { PropsValidationError } from './errors.js';
import { repoPath, requireSource } from './private/repo-paths.js';

/** The forwarder image's build context in this repository. */
export const FORWARDER_DOCKER_DIRECTORY = repoPath('docker', 'forwarder');

export interface MirrorSidecarProps {
  /**
   * `HOST:PORT` the forwarder sends its VXLAN to, e.g. `MirrorTarget.forwarderDestination`
   * (the NLB's DNS name and 4789).
   */
  readonly destination: string;
  /**
   * The forwarder image; its entrypoint is the `fargate-mirror` CLI.
   * @default - built from docker/forwarder of this repository (a DockerImageAsset; needs Docker at synth)
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
   * @default 256
   */
  readonly memoryLimitMiB?: number;
  /**
   * Soft memory reservation.
   * @default 64
   */
  readonly memoryReservationMiB?: number;
  /**
   * More arguments after `forward --to HOST:PORT` (see `fargate-mirror forward --help`).
   * @default - none
   */
  readonly forwarderArgs?: readonly string[];
  /**
   * Retention of the forwarder's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The sidecar forwarder: captures inside the task and sends the same VXLAN format AWS mirroring
 * produces, for tasks whose ENIs AWS will not mirror. It is non-essential (a forwarder failure never
 * stops the application) and small. It needs no added Linux capability: AF_PACKET capture needs
 * NET_RAW, which is in Docker's default set, and Fargate lets a container add only SYS_PTRACE anyway.
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
    const cpu = props.cpu ?? 128;
    const memoryLimitMiB = props.memoryLimitMiB ?? 256;
    const memoryReservationMiB = props.memoryReservationMiB ?? 64;
    if (cpu < 0 || cpu > 10_240) issues.push(`cpu: must be 0-10240 units, but ${cpu} was given`);
    if (memoryReservationMiB > memoryLimitMiB) {
      issues.push(
        `memoryReservationMiB: must not exceed memoryLimitMiB (${memoryLimitMiB}), but ${memoryReservationMiB} was given`,
      );
    }
    if (issues.length > 0)
      throw new PropsValidationError(`${taskDefinition.node.path}/MirrorSidecar`, issues);
    const name = props.containerName ?? 'fargate-mirror-forwarder';
    const image =
      props.image ??
      ecs.ContainerImage.fromAsset(
        requireSource(FORWARDER_DOCKER_DIRECTORY, 'the forwarder Docker build context'),
      );
    const logGroup = new logs.LogGroup(taskDefinition, 'MirrorSidecarLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    return taskDefinition.addContainer(name, {
      containerName: name,
      image,
      essential: false,
      cpu,
      memoryLimitMiB,
      memoryReservationMiB,
      command: ['forward', '--to', props.destination, ...(props.forwarderArgs ?? [])],
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'fargate-mirror', logGroup }),
    });
  }
}
