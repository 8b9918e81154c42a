/**
 * The observed world as the pure core sees it: tasks, their network sources, and mirror sessions.
 * Adapters build these from AWS answers; nothing here knows about the SDK.
 */

export type LaunchType = 'FARGATE' | 'EC2' | 'EXTERNAL';

/**
 * Where a task's traffic can be mirrored.
 * - `task-eni`: an `awsvpc` task (Fargate or EC2) owns an ENI; `eniId` is absent until ECS reports
 *   the attachment with its `networkInterfaceId` (PROVISIONING has only a subnet).
 * - `instance`: a `bridge`/`host` task on EC2 has no ENI of its own; its traffic crosses the
 *   container instance's primary ENI.
 * - `none`: neither (e.g. EXTERNAL launch type).
 */
export type TaskNetwork =
  | {
      readonly kind: 'task-eni';
      readonly eniId: string | undefined;
      readonly attachmentStatus: string | undefined;
    }
  | { readonly kind: 'instance'; readonly containerInstanceArn: string }
  | { readonly kind: 'none' };

export interface TaskView {
  readonly taskArn: string;
  readonly clusterArn: string;
  readonly clusterName: string;
  /** `service:NAME` for service tasks, `family:NAME` (or a custom group) for standalone ones. */
  readonly group: string | undefined;
  /** NAME from a `service:NAME` group; undefined for standalone tasks. */
  readonly serviceName: string | undefined;
  readonly family: string;
  readonly launchType: LaunchType | undefined;
  readonly lastStatus: string;
  readonly desiredStatus: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly network: TaskNetwork;
  /** DescribeTasks' `containers[]` (absent from some events): where a forwarder sidecar shows. */
  readonly containers?: readonly ContainerView[];
}

/** One container of a task as DescribeTasks reports it. */
export interface ContainerView {
  readonly name: string;
  readonly image: string | undefined;
  readonly lastStatus: string;
  readonly exitCode: number | undefined;
  readonly reason: string | undefined;
}

/** A container instance and the primary ENI of its EC2 instance (undefined when not resolvable). */
export interface InstanceView {
  readonly containerInstanceArn: string;
  readonly clusterArn: string;
  readonly ec2InstanceId: string | undefined;
  readonly eniId: string | undefined;
}

export interface SessionView {
  readonly sessionId: string;
  readonly eniId: string;
  readonly targetId: string;
  readonly filterId: string;
  readonly sessionNumber: number;
  readonly vni: number | undefined;
  readonly packetLength: number | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

/** What EC2 says about an ENI that decides whether AWS accepts it as a mirror source. */
export interface SourceEniFacts {
  readonly eniId: string;
  readonly requesterManaged: boolean;
  /** Who created a requester-managed ENI (`amazon-rds`, an AWS account id for ECS, ...). */
  readonly requesterId: string | undefined;
  /** `interface` for an ordinary ENI; `efa`, `trunk`, `branch`, ... otherwise. */
  readonly interfaceType: string | undefined;
}

/** An ENI that should carry exactly one session of ours, and what it stands for. */
export interface DesiredSource {
  readonly eniId: string;
  readonly kind: 'task-eni' | 'instance';
  readonly clusterArn: string;
  readonly clusterName: string;
  /** Service name for tags and the per-service VNI; undefined for standalone or shared instance sources. */
  readonly serviceName: string | undefined;
  /** The stable key the per-service VNI is derived from (`cluster/service` or `cluster/family:NAME`). */
  readonly vniKey: string;
  /** The selected running tasks this source carries (one for a task ENI, one or more for an instance). */
  readonly taskArns: readonly string[];
  readonly containerInstanceArn: string | undefined;
  /**
   * Active tasks the selection excludes that share this ENI (bridge/host tasks on the same container
   * instance): the session captures their traffic too.
   */
  readonly alsoCaptured?: readonly string[];
}

export const TAG_OWNER = 'fargate-mirror:owner';
export const TAG_CLUSTER = 'fargate-mirror:cluster';
export const TAG_SERVICE = 'fargate-mirror:service';
export const TAG_TASK_ARN = 'fargate-mirror:task-arn';
export const TAG_CONTAINER_INSTANCE = 'fargate-mirror:container-instance';

/** The kinds of traffic mirror target: their defaults differ (an NLB target's sessions get PacketLength 8500). */
export type MirrorTargetType =
  | 'network-interface'
  | 'network-load-balancer'
  | 'gateway-load-balancer-endpoint';
