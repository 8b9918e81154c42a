/**
 * ECS Task State Change events in the documented shape (AWS's ecs_cwe_events example and the
 * captured Fargate service events in arkime/aws-aio's tests): attachment type `eni`, details with
 * the ENI id once ATTACHED, `DELETED` with the same id on STOPPED, ISO timestamps.
 */
import type { TaskView } from '../../src/core/types.js';

export interface EventOptions {
  readonly lastStatus: 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'STOPPED' | string;
  readonly desiredStatus?: string;
  readonly version: number;
  /** Extra fields ECS might add one day. */
  readonly extra?: Record<string, unknown>;
}

export function taskEvent(task: TaskView, options: EventOptions): Record<string, unknown> {
  const eniId = task.network.kind === 'task-eni' ? task.network.eniId : undefined;
  const attached = options.lastStatus !== 'PROVISIONING' && eniId !== undefined;
  const stopped = options.lastStatus === 'STOPPED';
  const details = [{ name: 'subnetId', value: 'subnet-abcd1234' }];
  if (attached) {
    details.push(
      { name: 'networkInterfaceId', value: eniId },
      { name: 'macAddress', value: '0a:98:eb:a7:29:ba' },
      { name: 'privateDnsName', value: 'ip-10-0-0-139.us-west-2.compute.internal' },
      { name: 'privateIPv4Address', value: '10.0.0.139' },
    );
  }
  const attachments =
    task.network.kind === 'task-eni'
      ? [
          {
            id: '1789bcae-ddfb-4d10-8ebe-8ac87ddba5b8',
            type: 'eni',
            status: stopped ? 'DELETED' : attached ? 'ATTACHED' : 'PRECREATED',
            details,
          },
        ]
      : [];
  return {
    version: '0',
    id: `ev-${task.taskArn.slice(-6)}-${options.version}`,
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: '123456789012',
    time: '2024-05-01T12:00:00Z',
    region: 'us-east-1',
    resources: [task.taskArn],
    detail: {
      attachments,
      availabilityZone: 'us-east-1a',
      clusterArn: task.clusterArn,
      containers: [
        {
          containerArn: `${task.taskArn.replace(':task/', ':container/')}/app`,
          lastStatus: options.lastStatus,
          name: 'app',
          taskArn: task.taskArn,
          networkInterfaces: attached ? [{ attachmentId: '1789bcae', privateIpv4Address: '10.0.0.139' }] : [],
        },
      ],
      createdAt: '2024-05-01T11:59:00.000Z',
      launchType: task.launchType,
      cpu: '256',
      memory: '512',
      desiredStatus: options.desiredStatus ?? (stopped ? 'STOPPED' : 'RUNNING'),
      group: task.group,
      lastStatus: options.lastStatus,
      overrides: { containerOverrides: [{ name: 'app' }] },
      connectivity: 'CONNECTED',
      startedBy: task.serviceName ? 'ecs-svc/1234567890123456789' : undefined,
      taskArn: task.taskArn,
      taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${task.family}:3`,
      ...(task.network.kind === 'instance'
        ? { containerInstanceArn: task.network.containerInstanceArn }
        : {}),
      ...(stopped
        ? { stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Scaling activity initiated' }
        : {}),
      version: options.version,
      platformVersion: '1.4.0',
      ...options.extra,
    },
  };
}
