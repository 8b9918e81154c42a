import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export const OWNER_TAG = 'fargate-mirror:owner';

export interface ControllerPolicyOptions {
  readonly owner: string;
  readonly targetArn: string;
  readonly filterArn: string;
}

/**
 * The controller's permissions, least privilege: it may create a session only with its owner tag,
 * only on its own target and filter; tag only while creating; delete only sessions carrying its
 * owner tag; and read ECS and EC2. No `ec2:*`, and no `Resource: *` on anything that writes.
 */
export function controllerPolicyStatements(
  scope: Construct,
  o: ControllerPolicyOptions,
): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const ec2Arn = (resource: string, resourceName: string) =>
    stack.formatArn({ service: 'ec2', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  const ecsArn = (resource: string, resourceName: string) =>
    stack.formatArn({ service: 'ecs', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  const anySession = ec2Arn('traffic-mirror-session', '*');
  return [
    new iam.PolicyStatement({
      sid: 'CreateSessionsWithOwnerTag',
      actions: ['ec2:CreateTrafficMirrorSession'],
      resources: [anySession],
      conditions: {
        StringEquals: { [`aws:RequestTag/${OWNER_TAG}`]: o.owner },
        'ForAllValues:StringLike': { 'aws:TagKeys': ['fargate-mirror:*'] },
      },
    }),
    new iam.PolicyStatement({
      sid: 'CreateSessionsOnOwnTargetAndFilter',
      actions: ['ec2:CreateTrafficMirrorSession'],
      // the source ENIs are task ENIs that come and go: any ENI, but only this target and filter.
      resources: [o.targetArn, o.filterArn, ec2Arn('network-interface', '*')],
    }),
    new iam.PolicyStatement({
      sid: 'TagSessionsOnlyWhenCreating',
      actions: ['ec2:CreateTags'],
      resources: [anySession],
      conditions: { StringEquals: { 'ec2:CreateAction': 'CreateTrafficMirrorSession' } },
    }),
    new iam.PolicyStatement({
      sid: 'DeleteOwnSessions',
      actions: ['ec2:DeleteTrafficMirrorSession'],
      resources: [anySession],
      conditions: { StringEquals: { [`aws:ResourceTag/${OWNER_TAG}`]: o.owner } },
    }),
    new iam.PolicyStatement({
      sid: 'ReadEc2',
      // Describe calls support no resource-level permissions.
      actions: [
        'ec2:DescribeTrafficMirrorSessions',
        'ec2:DescribeTrafficMirrorTargets',
        'ec2:DescribeTrafficMirrorFilters',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeInstances',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'ListEcs',
      // List calls take no resource ARN. Only what the controller calls (no ListServices: services
      // are matched by the task's group).
      actions: ['ecs:ListClusters', 'ecs:ListTasks'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'DescribeEcs',
      actions: ['ecs:DescribeTasks', 'ecs:DescribeContainerInstances'],
      // read-only, and tasks of unselected clusters are filtered out by the controller itself.
      resources: [ecsArn('task', '*'), ecsArn('container-instance', '*')],
    }),
  ];
}
