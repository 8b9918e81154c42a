/**
 * An in-memory model of the few EC2 and ECS behaviours the reconciler depends on, behind the same
 * ports as the SDK adapters: ClientToken idempotency (a repeated token returns the first answer,
 * even after that session was deleted), the 3-sessions-per-ENI limit, NotFound on deleting a
 * missing session, refusals of requester-managed task ENIs, and sessions vanishing with their ENI.
 * The integration tests prove the same behaviour against aws-local over the real wire protocols.
 */
import type {
  ContainerInstanceRef,
  Ec2Port,
  EcsPort,
  MirrorResources,
  MirrorTargetType,
} from '../../src/aws/ports.js';
import type { SessionSpec } from '../../src/core/plan.js';
import type { SessionView, TaskView } from '../../src/core/types.js';
import { AwsCallError } from '../../src/errors.js';

export interface FakeTaskInput {
  readonly id: string;
  readonly cluster?: string;
  readonly service?: string;
  readonly family?: string;
  readonly launchType?: 'FARGATE' | 'EC2';
  readonly lastStatus?: string;
  readonly desiredStatus?: string;
  readonly tags?: Record<string, string>;
  /** 'awsvpc' (default) gets a task ENI; 'bridge' runs on `containerInstance`. */
  readonly mode?: 'awsvpc' | 'bridge';
  readonly containerInstance?: string;
  /** false: the ENI is not attached yet (PROVISIONING). */
  readonly eniAttached?: boolean;
}

const REGION_ACCOUNT = 'us-east-1:123456789012';

export class FakeCloud implements Ec2Port, EcsPort {
  readonly tasks = new Map<string, TaskView>();
  readonly sessions = new Map<string, SessionView>();
  readonly containerInstances = new Map<string, { clusterArn: string; ec2InstanceId: string }>();
  readonly instanceEnis = new Map<string, string>();
  readonly tokens = new Map<string, { sessionId: string; fingerprint: string }>();
  /** ENIs that refuse to be sources (requester-managed task ENIs in `reject` mode). */
  readonly refusedEnis = new Set<string>();
  rejectTaskEnis = false;
  /** Traffic mirror targets that exist, by id, with their type (an NLB target defaults PacketLength 8500). */
  readonly targets = new Map<string, MirrorTargetType>();
  readonly filters = new Set<string>();
  /** Cluster names ECS answers ClusterNotFoundException for (deleted clusters). */
  readonly goneClusters = new Set<string>();
  /** What a token repeated after its session's delete gets (see aws-local `clientTokenAfterDelete`). */
  tokenAfterDelete: 'original' | 'mismatch' = 'original';
  /** Every ClientToken createSession was called with, in order. */
  readonly tokensSent: string[] = [];
  /** Runs before an unfiltered listSessions answers (the fleet read): lets a test change the world meanwhile. */
  beforeListAll: (() => void) | undefined;
  readonly calls: Record<string, number> = {};
  #seq = 0;

  #count(op: string): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
  }

  static clusterArn(name: string): string {
    return `arn:aws:ecs:${REGION_ACCOUNT}:cluster/${name}`;
  }

  addTask(input: FakeTaskInput): TaskView {
    const clusterName = input.cluster ?? 'shop';
    const clusterArn = FakeCloud.clusterArn(clusterName);
    const taskArn = `arn:aws:ecs:${REGION_ACCOUNT}:task/${clusterName}/${input.id}`;
    const family = input.family ?? input.service ?? 'job';
    const mode = input.mode ?? 'awsvpc';
    const eniId = `eni-${input.id.padStart(17, '0').slice(-17)}`;
    const task: TaskView = {
      taskArn,
      clusterArn,
      clusterName,
      group: input.service ? `service:${input.service}` : `family:${family}`,
      serviceName: input.service,
      family,
      launchType: input.launchType ?? (mode === 'bridge' ? 'EC2' : 'FARGATE'),
      lastStatus: input.lastStatus ?? 'RUNNING',
      desiredStatus: input.desiredStatus ?? 'RUNNING',
      tags: input.tags ?? {},
      network:
        mode === 'bridge'
          ? { kind: 'instance', containerInstanceArn: input.containerInstance ?? 'missing' }
          : {
              kind: 'task-eni',
              eniId: input.eniAttached === false ? undefined : eniId,
              attachmentStatus: 'ATTACHED',
            },
    };
    this.tasks.set(taskArn, task);
    return task;
  }

  addContainerInstance(cluster: string, id: string): string {
    const arn = `arn:aws:ecs:${REGION_ACCOUNT}:container-instance/${cluster}/${id}`;
    const ec2InstanceId = `i-${id.padStart(17, '0').slice(-17)}`;
    this.containerInstances.set(arn, { clusterArn: FakeCloud.clusterArn(cluster), ec2InstanceId });
    this.instanceEnis.set(ec2InstanceId, `eni-i${id.padStart(16, '0').slice(-16)}`);
    return arn;
  }

  /** ECS stops a task: STOPPED, the ENI id stays, and AWS deletes the ENI's sessions with it. */
  stopTask(taskArn: string, options: { deleteEni?: boolean } = {}): void {
    const t = this.tasks.get(taskArn);
    if (!t) throw new Error(`no task ${taskArn}`);
    this.tasks.set(taskArn, { ...t, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });
    if (options.deleteEni && t.network.kind === 'task-eni' && t.network.eniId) {
      for (const [id, s] of this.sessions) if (s.eniId === t.network.eniId) this.sessions.delete(id);
    }
  }

  /** Another tool's (or another owner's) session. */
  addForeignSession(
    eniId: string,
    sessionNumber: number,
    tags: Record<string, string> = { tool: 'other' },
  ): string {
    const sessionId = `tms-f${(++this.#seq).toString(16).padStart(16, '0')}`;
    this.sessions.set(sessionId, {
      sessionId,
      eniId,
      targetId: 'tmt-0other',
      filterId: 'tmf-0other',
      sessionNumber,
      vni: 999,
      packetLength: undefined,
      tags,
    });
    return sessionId;
  }

  ownedSessions(owner: string): SessionView[] {
    return [...this.sessions.values()].filter((s) => s.tags['fargate-mirror:owner'] === owner);
  }

  // EC2 port

  async listSessions(filter?: { readonly eniIds?: readonly string[] }): Promise<SessionView[]> {
    this.#count('DescribeTrafficMirrorSessions');
    if (!filter?.eniIds) this.beforeListAll?.();
    const all = [...this.sessions.values()];
    return filter?.eniIds ? all.filter((s) => filter.eniIds?.includes(s.eniId)) : all;
  }

  async createSession(spec: SessionSpec, clientToken: string): Promise<{ readonly sessionId: string }> {
    this.#count('CreateTrafficMirrorSession');
    this.tokensSent.push(clientToken);
    const fingerprint = JSON.stringify(spec);
    const earlier = this.tokens.get(clientToken);
    if (earlier) {
      if (
        earlier.fingerprint !== fingerprint ||
        (this.tokenAfterDelete === 'mismatch' && !this.sessions.has(earlier.sessionId))
      ) {
        throw new AwsCallError(
          'IDEMPOTENCY_MISMATCH',
          'CreateTrafficMirrorSession',
          'IdempotentParameterMismatch',
          {
            awsCode: 'IdempotentParameterMismatch',
          },
        );
      }
      return { sessionId: earlier.sessionId };
    }
    const isTaskEni = [...this.tasks.values()].some(
      (t) => t.network.kind === 'task-eni' && t.network.eniId === spec.eniId,
    );
    if (this.refusedEnis.has(spec.eniId) || (this.rejectTaskEnis && isTaskEni)) {
      throw new AwsCallError(
        'SOURCE_NOT_SUPPORTED',
        'CreateTrafficMirrorSession',
        'NetworkInterfaceNotSupported',
        {
          awsCode: 'NetworkInterfaceNotSupported',
        },
      );
    }
    if ([...this.sessions.values()].filter((s) => s.eniId === spec.eniId).length >= 3) {
      throw new AwsCallError('ENI_SESSION_LIMIT', 'CreateTrafficMirrorSession', 'limit', {
        awsCode: 'TrafficMirrorSessionsPerInterfaceLimitExceeded',
      });
    }
    const sessionId = `tms-${(++this.#seq).toString(16).padStart(17, '0')}`;
    this.sessions.set(sessionId, {
      sessionId,
      eniId: spec.eniId,
      targetId: spec.targetId,
      filterId: spec.filterId,
      sessionNumber: spec.sessionNumber,
      vni: spec.vni ?? 1_000_000 + this.#seq,
      packetLength:
        spec.packetLength ?? (this.targets.get(spec.targetId) === 'network-load-balancer' ? 8500 : undefined),
      tags: { ...spec.tags },
    });
    this.tokens.set(clientToken, { sessionId, fingerprint });
    return { sessionId };
  }

  async describeMirrorResources(targetId: string, filterId: string): Promise<MirrorResources> {
    this.#count('DescribeTrafficMirrorTargets');
    this.#count('DescribeTrafficMirrorFilters');
    return { targetType: this.targets.get(targetId), filterFound: this.filters.has(filterId) };
  }

  #checkCluster(cluster: string, operation: string): void {
    const name = cluster.includes(':cluster/') ? cluster.split(':cluster/')[1] : cluster;
    if (name !== undefined && this.goneClusters.has(name)) {
      throw new AwsCallError('CLUSTER_NOT_FOUND', operation, 'ClusterNotFoundException: Cluster not found.', {
        awsCode: 'ClusterNotFoundException',
      });
    }
  }

  async deleteSession(sessionId: string): Promise<'deleted' | 'already-gone'> {
    this.#count('DeleteTrafficMirrorSession');
    return this.sessions.delete(sessionId) ? 'deleted' : 'already-gone';
  }

  async primaryEnis(instanceIds: readonly string[]): Promise<Map<string, string>> {
    this.#count('DescribeInstances');
    const out = new Map<string, string>();
    for (const id of instanceIds) {
      const eni = this.instanceEnis.get(id);
      if (eni) out.set(id, eni);
    }
    return out;
  }

  // ECS port

  async listClusters(): Promise<string[]> {
    this.#count('ListClusters');
    return [...new Set([...this.tasks.values()].map((t) => t.clusterArn))].filter(
      (arn) => !this.goneClusters.has(arn.split(':cluster/')[1] ?? ''),
    );
  }

  async listTasks(
    cluster: string,
    options: { readonly containerInstance?: string; readonly desiredStatus?: 'RUNNING' | 'STOPPED' } = {},
  ): Promise<string[]> {
    this.#count('ListTasks');
    this.#checkCluster(cluster, 'ListTasks');
    const want = options.desiredStatus ?? 'RUNNING';
    return [...this.tasks.values()]
      .filter((t) => t.clusterArn === cluster || t.clusterName === cluster)
      .filter((t) => t.desiredStatus === want)
      .filter(
        (t) =>
          options.containerInstance === undefined ||
          (t.network.kind === 'instance' && t.network.containerInstanceArn === options.containerInstance),
      )
      .map((t) => t.taskArn);
  }

  async describeTasks(
    cluster: string,
    taskArns: readonly string[],
  ): Promise<{ tasks: TaskView[]; missing: string[] }> {
    this.#count('DescribeTasks');
    this.#checkCluster(cluster, 'DescribeTasks');
    const tasks: TaskView[] = [];
    const missing: string[] = [];
    for (const arn of taskArns) {
      const t = this.tasks.get(arn);
      if (t && (t.clusterArn === cluster || t.clusterName === cluster)) tasks.push(t);
      else missing.push(arn);
    }
    return { tasks, missing };
  }

  async describeContainerInstances(
    _cluster: string,
    arns: readonly string[],
  ): Promise<ContainerInstanceRef[]> {
    this.#count('DescribeContainerInstances');
    return arns.flatMap((arn) => {
      const ci = this.containerInstances.get(arn);
      return ci ? [{ containerInstanceArn: arn, ec2InstanceId: ci.ec2InstanceId }] : [];
    });
  }
}
