import {
  CreateNetworkInterfaceCommand,
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorFilterRuleCommand,
  CreateTrafficMirrorTargetCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import {
  type ContainerDefinition,
  CreateClusterCommand,
  CreateServiceCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { sidecarContainerDefinition } from '@fargate-mirror/forwarder';
import { DemoError } from '../errors.js';
import type { DemoMode } from '../options.js';
import type { DemoClients } from './clients.js';
import { setupStep } from './setup-step.js';

export const DEMO_CLUSTER = 'demo';

/** The two demo services: `web` calls `api`, `api` checks on `web`. */
export interface DemoServiceSpec {
  readonly name: 'web' | 'api';
  readonly port: number;
  readonly desiredCount: number;
}

export const DEMO_SERVICES: readonly DemoServiceSpec[] = [
  { name: 'web', port: 80, desiredCount: 2 },
  { name: 'api', port: 8080, desiredCount: 2 },
];

/** What `createMirrorResources` made: the ids the controller configuration needs. */
export interface DemoCloud {
  readonly vpcCidr: string;
  /** The VPC's DNS resolver, base + 2 (the Amazon-provided DNS server). */
  readonly resolverIp: string;
  readonly subnetIds: readonly string[];
  readonly receiverEniId: string;
  readonly receiverIp: string;
  readonly targetId: string;
  readonly filterId: string;
}

/**
 * The mirroring side of the demo account, made through the public EC2 API like any user would: a
 * receiver ENI as the mirror target and a filter that accepts everything, both directions.
 */
export async function createMirrorResources(clients: DemoClients): Promise<DemoCloud> {
  return setupStep('create the receiver ENI, mirror target and filter', async () => {
    const { ec2 } = clients;
    const vpc = (
      await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))
    ).Vpcs?.[0];
    if (vpc?.CidrBlock === undefined)
      throw new DemoError('DEMO_SETUP_FAILED', 'aws-local has no default VPC');
    const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
    const usable = subnets
      .filter((s) => s.DefaultForAz && s.SubnetId !== undefined)
      .sort((a, b) => (a.AvailabilityZone ?? '').localeCompare(b.AvailabilityZone ?? ''));
    if (usable.length < 2) throw new DemoError('DEMO_SETUP_FAILED', 'aws-local has no default subnets');
    const subnetIds = usable.slice(0, 2).map((s) => s.SubnetId as string);

    const receiverEni = (
      await ec2.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: subnetIds[0],
          Description: 'fargate-mirror demo receiver',
        }),
      )
    ).NetworkInterface;
    const target = (
      await ec2.send(
        new CreateTrafficMirrorTargetCommand({
          NetworkInterfaceId: receiverEni?.NetworkInterfaceId,
          Description: 'fargate-mirror demo receiver',
        }),
      )
    ).TrafficMirrorTarget;
    const filter = (
      await ec2.send(new CreateTrafficMirrorFilterCommand({ Description: 'fargate-mirror demo: everything' }))
    ).TrafficMirrorFilter;
    if (
      !receiverEni?.NetworkInterfaceId ||
      !target?.TrafficMirrorTargetId ||
      !filter?.TrafficMirrorFilterId
    ) {
      throw new DemoError('DEMO_SETUP_FAILED', 'aws-local did not return the receiver ENI, target or filter');
    }
    for (const direction of ['ingress', 'egress'] as const) {
      await ec2.send(
        new CreateTrafficMirrorFilterRuleCommand({
          TrafficMirrorFilterId: filter.TrafficMirrorFilterId,
          TrafficDirection: direction,
          RuleNumber: 100,
          RuleAction: 'accept',
          SourceCidrBlock: '0.0.0.0/0',
          DestinationCidrBlock: '0.0.0.0/0',
        }),
      );
    }

    return {
      vpcCidr: vpc.CidrBlock,
      resolverIp: resolverOf(vpc.CidrBlock),
      subnetIds,
      receiverEniId: receiverEni.NetworkInterfaceId,
      receiverIp: receiverEni.PrivateIpAddress ?? '',
      targetId: target.TrafficMirrorTargetId,
      filterId: filter.TrafficMirrorFilterId,
    };
  });
}

/** The Amazon-provided DNS server: the VPC's base address plus two. */
function resolverOf(cidr: string): string {
  const [base = '0.0.0.0'] = cidr.split('/');
  const n = base.split('.').reduce((acc, part) => acc * 256 + Number(part), 0) + 2;
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** The demo cluster, made before anything watches it. */
export async function createCluster(clients: DemoClients): Promise<void> {
  await setupStep('create the demo cluster', () =>
    clients.ecs.send(new CreateClusterCommand({ clusterName: DEMO_CLUSTER })),
  );
}

/**
 * Services `web` and `api` (Fargate, awsvpc, in the mirror's subnets), as a user
 * would create them. In forwarder mode the task definitions carry the forwarder sidecar.
 */
export async function createServices(clients: DemoClients, cloud: DemoCloud, mode: DemoMode): Promise<void> {
  await setupStep('create the demo services', async () => {
    const { ecs } = clients;
    const subnetIds = cloud.subnetIds;
    for (const service of DEMO_SERVICES) {
      const containers: ContainerDefinition[] = [
        {
          name: service.name,
          image: `public.ecr.aws/demo/${service.name}:latest`,
          essential: true,
          portMappings: [{ containerPort: service.port, protocol: 'tcp' }],
        },
      ];
      if (mode === 'forwarder') {
        // The same container definition `fargate-mirror sidecar add` and MirrorSidecar register,
        // sending to the receiver ENI as in AWS (the demo's forwarders then send on loopback).
        containers.push(
          sidecarContainerDefinition({
            to: `${cloud.receiverIp}:4789`,
            image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fargate-mirror-forwarder:0.1.0',
          }),
        );
      }
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: `demo-${service.name}`,
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          // The sidecar takes 256 CPU units and up to 256 MiB: the task is one Fargate size up.
          cpu: mode === 'forwarder' ? '512' : '256',
          memory: mode === 'forwarder' ? '1024' : '512',
          containerDefinitions: containers,
        }),
      );
      await ecs.send(
        new CreateServiceCommand({
          cluster: DEMO_CLUSTER,
          serviceName: service.name,
          taskDefinition: `demo-${service.name}`,
          desiredCount: service.desiredCount,
          launchType: 'FARGATE',
          networkConfiguration: {
            awsvpcConfiguration: { subnets: [...subnetIds], assignPublicIp: 'DISABLED' },
          },
        }),
      );
    }
  });
}

/** Scales a demo service (UpdateService desiredCount), as an operator would. */
export async function scaleService(
  clients: DemoClients,
  service: string,
  desiredCount: number,
): Promise<void> {
  await clients.ecs.send(new UpdateServiceCommand({ cluster: DEMO_CLUSTER, service, desiredCount }));
}
