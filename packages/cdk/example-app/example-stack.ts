import {
  type IMirrorTarget,
  MirrorFilter,
  MirrorSidecar,
  MirrorTarget,
  MirrorTargetType,
  OcsfLake,
  TaskMirroring,
} from '@fargate-mirror/cdk';
import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { readSettings } from './context.ts';
import { acknowledgeNagFindings } from './nag-acknowledgements.ts';

/**
 * The whole system in one stack: a VPC, the mirror filter, a receiver fleet behind the chosen
 * target, the controller, and (when an image is available) a demo task with the sidecar.
 */
export class FargateMirrorExampleStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const s = readSettings(this);

    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(s.vpcCidr),
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      // the receivers fetch their asset and the AL2023 Node package through S3 without the NAT.
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.ALL } },
    });

    const filter = new MirrorFilter(this, 'Filter', { mirrorAmazonDns: s.mirrorAmazonDns });
    const hecSecret = s.splunkHecSecretName
      ? secretsmanager.Secret.fromSecretNameV2(this, 'HecToken', s.splunkHecSecretName)
      : undefined;

    const lake =
      s.lake || s.securityLake
        ? new OcsfLake(this, 'Lake', {
            objectKeyPrefix: 'fargate-mirror/',
            securityLakeCustomSources: s.securityLake,
          })
        : undefined;

    let target: IMirrorTarget;
    let forwarderDestination: string | undefined;
    if (s.targetType === 'network-interface') {
      if (!s.targetEniId)
        throw new Error('fargate-mirror:targetEniId is required with targetType network-interface');
      target = MirrorTarget.fromNetworkInterfaceId(this, 'Target', s.targetEniId);
    } else {
      const mirrorTarget = new MirrorTarget(this, 'Target', {
        vpc,
        targetType:
          s.targetType === 'gateway-load-balancer-endpoint'
            ? MirrorTargetType.GATEWAY_LOAD_BALANCER_ENDPOINT
            : MirrorTargetType.NETWORK_LOAD_BALANCER,
        ...(s.monitoredCidrs ? { monitoredCidrs: s.monitoredCidrs } : {}),
        ...(s.splunkHecUrl ? { splunkHecUrl: s.splunkHecUrl } : {}),
        ...(hecSecret ? { splunkHecTokenSecret: hecSecret } : {}),
        ...(lake ? { ocsfLake: lake } : {}),
      });
      target = mirrorTarget;
      forwarderDestination = mirrorTarget.forwarderDestination;
    }

    const clusters = s.clusterNames.map((clusterName) =>
      ecs.Cluster.fromClusterAttributes(this, `Cluster-${clusterName}`, { clusterName, vpc }),
    );
    new TaskMirroring(this, 'Mirroring', {
      owner: s.owner,
      target,
      filter,
      ...(clusters.length > 0 ? { clusters } : {}),
      ...(s.services.length > 0 ? { services: s.services } : {}),
    });

    if (s.buildForwarderImage || s.forwarderImageUri) {
      if (!forwarderDestination) {
        Annotations.of(this).addWarningV2(
          'fargate-mirror:sidecarNeedsNlb',
          'the demo sidecar task is defined only with a network-load-balancer target',
        );
      } else {
        const task = new ecs.FargateTaskDefinition(this, 'DemoTask', { cpu: 256, memoryLimitMiB: 512 });
        task.addContainer('app', {
          image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
          portMappings: [{ containerPort: 80 }],
          logging: ecs.LogDrivers.awsLogs({
            streamPrefix: 'app',
            logGroup: new logs.LogGroup(this, 'DemoAppLogs', { retention: logs.RetentionDays.ONE_WEEK }),
          }),
        });
        MirrorSidecar.addTo(task, {
          destination: forwarderDestination,
          ...(s.forwarderImageUri ? { image: ecs.ContainerImage.fromRegistry(s.forwarderImageUri) } : {}),
        });
      }
    }

    new CfnOutput(this, 'TrafficMirrorTargetId', { value: target.trafficMirrorTargetId });
    new CfnOutput(this, 'TrafficMirrorFilterId', { value: filter.trafficMirrorFilterId });
    if (lake) {
      new CfnOutput(this, 'LakeBucket', { value: lake.bucket.bucketName });
      new CfnOutput(this, 'LakeAthenaWorkGroup', { value: lake.workGroupName });
      new CfnOutput(this, 'LakeGlueDatabase', { value: lake.databaseName });
    }
    acknowledgeNagFindings(this);
  }
}
