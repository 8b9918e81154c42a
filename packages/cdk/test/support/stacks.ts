/**
 * Stacks the tests share. Synth is slow, so each test file builds its stacks once. Bundling is
 * skipped (`aws:cdk:bundling-stacks: []`) unless a test needs the bundled code itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterAll } from 'vitest';
import {
  FilterProtocol,
  FilterRuleAction,
  MirrorFilter,
  MirrorSidecar,
  MirrorTarget,
  MirrorTargetType,
  ReceiverNodeRuntime,
  SelectedLaunchType,
  TaskMirroring,
  TrafficDirection,
} from '../../src/index.js';

export const OWNER = 'shop-prod';

let appsDir: string | undefined;
// Registered as the test file imports this module: the file's App folders go when its tests end.
afterAll(() => {
  if (appsDir !== undefined) rmSync(appsDir, { recursive: true, force: true });
  appsDir = undefined;
});

/**
 * A fresh cloud assembly folder for an App, below one folder of this test file that is removed after
 * its tests: an App given none makes its own `cdk.out*` in /tmp and leaves it there.
 */
export function testOutdir(): string {
  appsDir ??= mkdtempSync(join(tmpdir(), 'fm-cdk-test-'));
  return mkdtempSync(join(appsDir, 'app-'));
}

export function newStack(options: { bundle?: boolean; outdir?: string } = {}): Stack {
  const app = new App({
    outdir: options.outdir ?? testOutdir(),
    context: options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] },
  });
  return new Stack(app, 'Test');
}

export function testVpc(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', {
    ipAddresses: ec2.IpAddresses.cidr('10.1.0.0/16'),
    maxAzs: 2,
    natGateways: 1,
  });
}

export interface Built {
  readonly stack: Stack;
  readonly template: Template;
  readonly target: MirrorTarget;
  readonly mirroring: TaskMirroring;
  readonly filter: MirrorFilter;
}

/** Everything with defaults. */
export function buildDefaults(options: { bundle?: boolean; outdir?: string } = {}): Built {
  const stack = newStack(options);
  const vpc = testVpc(stack);
  const filter = new MirrorFilter(stack, 'Filter');
  const target = new MirrorTarget(stack, 'Target', { vpc });
  const mirroring = new TaskMirroring(stack, 'Mirroring', { owner: OWNER, target, filter });
  return { stack, template: Template.fromStack(stack), target, mirroring, filter };
}

/** Every option set (NLB target). */
export function buildAllOptions(
  options: { bundle?: boolean; outdir?: string } = {},
): Built & { taskDefinition: ecs.FargateTaskDefinition } {
  const stack = newStack(options);
  const vpc = testVpc(stack);
  const filter = new MirrorFilter(stack, 'Filter', {
    description: 'shop filter',
    mirrorAmazonDns: true,
    rules: [
      {
        direction: TrafficDirection.INGRESS,
        action: FilterRuleAction.REJECT,
        protocol: FilterProtocol.UDP,
        destinationPortRange: { fromPort: 4789, toPort: 4789 },
      },
      {
        direction: TrafficDirection.INGRESS,
        protocol: FilterProtocol.TCP,
        destinationPortRange: { fromPort: 80, toPort: 443 },
        sourceCidr: '10.0.0.0/8',
      },
      {
        direction: TrafficDirection.EGRESS,
        protocol: FilterProtocol.TCP,
        sourcePortRange: { fromPort: 80, toPort: 443 },
        ruleNumber: 5,
        description: 'replies',
      },
      { direction: TrafficDirection.EGRESS, sourceCidr: '2001:db8::/32' },
    ],
  });
  const secret = new secretsmanager.Secret(stack, 'HecToken');
  const target = new MirrorTarget(stack, 'Target', {
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    targetType: MirrorTargetType.NETWORK_LOAD_BALANCER,
    monitoredCidrs: ['10.20.0.0/16', '10.30.0.0/16'],
    deregistrationDelay: Duration.seconds(30),
    description: 'shop receivers',
    instanceType: ec2.InstanceType.of(ec2.InstanceClass.C7I, ec2.InstanceSize.XLARGE),
    machineImage: ec2.MachineImage.latestAmazonLinux2023(),
    nodeRuntime: ReceiverNodeRuntime.preinstalled('/opt/node/bin/node'),
    minCapacity: 3,
    maxCapacity: 6,
    rootVolumeSize: Size.gibibytes(100),
    healthCheckPort: 9200,
    receiveBufferMaxBytes: 128 * 1024 * 1024,
    splunkHecUrl: 'https://splunk.example.com:8088',
    splunkHecTokenSecret: secret,
    // ui: the live page on the health port, served from inside the single-file receiver bundle.
    receiverConfig: { workers: 2, ui: true },
    sessionManagerAccess: false,
  });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const topic = new sns.Topic(stack, 'Alarms');
  const mirroring = new TaskMirroring(stack, 'Mirroring', {
    owner: OWNER,
    target,
    filter,
    clusters: [cluster, ecs.Cluster.fromClusterAttributes(stack, 'Other', { clusterName: 'other', vpc })],
    services: ['web', 'api'],
    launchTypes: [SelectedLaunchType.FARGATE],
    vni: 4242,
    packetLength: 128,
    mirrorContainerInstances: false,
    accountSessionQuota: 5000,
    sessionQuotaAlarmPercent: 70,
    resyncInterval: Duration.minutes(10),
    logRetention: logs.RetentionDays.ONE_WEEK,
    eventMaxAge: Duration.minutes(30),
    eventRetryAttempts: 1,
    workerConcurrency: 4,
    alarmActions: [new cwActions.SnsAction(topic)],
    runtime: lambda.Runtime.NODEJS_22_X,
  });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
  taskDefinition.addContainer('app', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
  });
  MirrorSidecar.addTo(taskDefinition, {
    destination: target.forwarderDestination!,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/fargate-mirror-forwarder:1'),
    containerName: 'mirror',
    cpu: 64,
    memoryLimitMiB: 128,
    memoryReservationMiB: 32,
    forwarderArgs: ['--interface', 'eth1'],
    logRetention: logs.RetentionDays.ONE_WEEK,
  });
  return { stack, template: Template.fromStack(stack), target, mirroring, filter, taskDefinition };
}
