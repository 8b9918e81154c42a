import { Annotations, Duration, Names, Size, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { GENEVE_PORT, VXLAN_PORT } from './filter-rules.js';
import type { IOcsfLake } from './ocsf-lake.js';
import { acknowledgeNag } from './private/nag.js';
import { receiverBootScript } from './private/receiver-boot-script.js';
import {
  receiverCliAsset,
  receiverNativeSourceAsset,
  receiverWorkerAsset,
} from './private/receiver-bundle.js';
import { RECEIVER_EMF_FILE, receiverConfig } from './private/receiver-config.js';
import { outOfRange, validateAll } from './private/validate.js';
import { ReceiverNodeRuntime } from './receiver-node-runtime.js';

/** The CloudWatch namespace of the receivers' own metrics (embedded metric format). */
export const RECEIVER_METRICS_NAMESPACE = 'FargateMirror/Receiver';

/** The receivers' own metrics (one data point a minute per receiver, dimension `Fleet`). */
export type ReceiverMetricName =
  | 'KernelDrops'
  | 'DatagramsPerSecond'
  | 'RecordsWritten'
  | 'RecordsDropped'
  | 'HecSpoolUsedPercent'
  | 'DiskUsedPercent'
  | 'Healthy';

/** The receiver's health and metrics port (`/healthz`, `/metrics`), the one load balancers check. */
export const DEFAULT_HEALTH_CHECK_PORT = 9180;

export interface ReceiverFleetProps {
  /** The VPC the receivers run in. */
  readonly vpc: ec2.IVpc;
  /**
   * Where the instances go: one subnet per Availability Zone spreads them across zones.
   * @default - the VPC's private subnets (with egress if it has any, else isolated ones)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The instance type. Mirrored traffic counts toward the instance's network bandwidth.
   * @default c6i.large
   */
  readonly instanceType?: ec2.InstanceType;
  /**
   * The image. The boot script needs bash, systemd and the AWS CLI v2 (Amazon Linux 2023 has all three).
   * @default - the latest Amazon Linux 2023 for x86_64
   */
  readonly machineImage?: ec2.IMachineImage;
  /**
   * How Node.js gets onto the instances.
   * @default ReceiverNodeRuntime.amazonLinuxPackage('nodejs22')
   */
  readonly nodeRuntime?: ReceiverNodeRuntime;
  /**
   * The fewest instances; keep at least one per Availability Zone.
   * @default 2
   */
  readonly minCapacity?: number;
  /**
   * The most instances (scaled on CPU).
   * @default 4
   */
  readonly maxCapacity?: number;
  /**
   * The encrypted gp3 root volume, which also holds pcap files and records.
   * @default Size.gibibytes(30)
   */
  readonly rootVolumeSize?: Size;
  /**
   * The port the receiver answers `/healthz` on; load balancers health-check it.
   * @default 9180
   */
  readonly healthCheckPort?: number;
  /**
   * `net.core.rmem_max` on the instances, the ceiling of the receiver's socket buffer.
   * @default 67108864 (64 MiB)
   */
  readonly receiveBufferMaxBytes?: number;
  /**
   * Splunk HTTP Event Collector URL (e.g. `https://splunk.example.com:8088`): records also go to
   * Splunk, spooled on disk while it is unreachable. Needs `splunkHecTokenSecret`.
   * @default - no Splunk output
   */
  readonly splunkHecUrl?: string;
  /**
   * The Secrets Manager secret whose value is the HEC token; read at boot into a file only the
   * receiver can read. Required with `splunkHecUrl`.
   * @default - no Splunk output
   */
  readonly splunkHecTokenSecret?: secretsmanager.ISecret;
  /**
   * Where the receivers deliver OCSF Parquet records and completed pcap files (an `OcsfLake`): each
   * receiver writes Parquet locally (`ocsf`, partitioned by the stack's region and account unless a
   * task's ARN says otherwise) and uploads it and its pcap files under the lake's prefix (`s3`); the
   * role may put objects under those two prefixes only.
   * @default - no lake: records and pcap stay on the instances' disks
   */
  readonly ocsfLake?: IOcsfLake;
  /**
   * More receiver configuration (keys of `fargate-mirror receive --config`), merged over the
   * generated keys; sections such as `identity` or `hec` merge key by key (see README.md).
   * @default - the generated configuration only
   */
  readonly receiverConfig?: { readonly [key: string]: unknown };
  /**
   * Every receiver reports its own health (kernel drops, ingest rate, records dropped, HEC spool
   * and disk use) as CloudWatch metrics: embedded metric format lines shipped by the CloudWatch
   * agent (installed at boot) to a log group of the fleet.
   * @default true
   */
  readonly cloudWatchMetrics?: boolean;
  /**
   * Attach AmazonSSMManagedInstanceCore so operators reach instances with Session Manager (no SSH).
   * @default true
   */
  readonly sessionManagerAccess?: boolean;
}

/**
 * An Auto Scaling group of receivers: IMDSv2 only, encrypted volumes, the receiver CLI bundled
 * into an S3 asset and run by systemd with the health port the load balancer checks, the
 * receive-buffer sysctl, configuration from props and the HEC token from Secrets Manager.
 */
export class ReceiverFleet extends Construct implements ec2.IConnectable, iam.IGrantable {
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly role: iam.IRole;
  readonly connections: ec2.Connections;
  readonly grantPrincipal: iam.IPrincipal;
  readonly healthCheckPort: number;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly userData: ec2.UserData;
  /** The log group of the receivers' EMF lines (undefined with `cloudWatchMetrics: false`). */
  readonly metricsLogGroup: logs.LogGroup | undefined;
  /** The `Fleet` dimension of the receivers' metrics. */
  readonly metricsFleet: string;

  constructor(scope: Construct, id: string, props: ReceiverFleetProps) {
    super(scope, id);
    const minCapacity = props.minCapacity ?? 2;
    const maxCapacity = props.maxCapacity ?? Math.max(4, minCapacity);
    const healthCheckPort = props.healthCheckPort ?? DEFAULT_HEALTH_CHECK_PORT;
    const rmem = props.receiveBufferMaxBytes ?? 64 * 1024 * 1024;
    validateAll(this, [
      {
        failed: outOfRange(minCapacity, 1, 1000),
        message: `minCapacity: must be 1-1000, but ${minCapacity} was given`,
      },
      {
        failed: outOfRange(maxCapacity, 1, 1000),
        message: `maxCapacity: must be 1-1000, but ${maxCapacity} was given`,
      },
      {
        failed: maxCapacity < minCapacity,
        message: `maxCapacity: must be at least minCapacity (${minCapacity}), but ${maxCapacity} was given`,
      },
      {
        failed: outOfRange(healthCheckPort, 1, 65535) || [VXLAN_PORT, GENEVE_PORT].includes(healthCheckPort),
        message: `healthCheckPort: must be a TCP port 1-65535 other than ${VXLAN_PORT} and ${GENEVE_PORT}, but ${healthCheckPort} was given`,
      },
      {
        failed: outOfRange(rmem, 212_992, 2 ** 31 - 1),
        message: `receiveBufferMaxBytes: must be 212992 (the kernel default) to 2147483647, but ${rmem} was given`,
      },
      {
        failed: props.splunkHecTokenSecret !== undefined && props.splunkHecUrl === undefined,
        message: 'splunkHecTokenSecret: given without splunkHecUrl; set both to send records to Splunk',
      },
      {
        failed: props.splunkHecUrl !== undefined && props.splunkHecTokenSecret === undefined,
        message:
          'splunkHecUrl: given without splunkHecTokenSecret; Splunk HEC needs a token, set both to send records to Splunk',
      },
    ]);
    this.healthCheckPort = healthCheckPort;

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'fargate-mirror receiver: identity lookups, its S3 asset, the HEC token',
    });
    if (props.sessionManagerAccess ?? true) {
      role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'));
    }
    // identity resolution: (outer source IP, VNI) -> session tags -> task. Describe calls take no resource.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReceiverIdentityLookups',
        actions: [
          'ec2:DescribeTrafficMirrorSessions',
          'ec2:DescribeNetworkInterfaces',
          'ecs:DescribeTasks',
          'ecs:ListTasks',
          'ecs:ListClusters',
        ],
        resources: ['*'],
      }),
    );
    this.role = role;
    this.grantPrincipal = role;

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'fargate-mirror receivers: mirrored traffic and health checks',
      allowAllOutbound: true,
    });
    this.securityGroup = securityGroup;
    this.connections = new ec2.Connections({ securityGroups: [securityGroup] });

    const bundle = receiverCliAsset(this, 'ReceiverBundle');
    bundle.grantRead(role);
    const workerBundle = receiverWorkerAsset(this, 'ReceiverWorkerBundle');
    workerBundle.grantRead(role);
    const nativeSource = receiverNativeSourceAsset(this, 'ReceiverNativeIntakeSource');
    if (nativeSource === undefined)
      Annotations.of(this).addWarningV2(
        '@fargate-mirror/cdk:receiverNativeIntake',
        'this @fargate-mirror/cdk was built without the native intake source (its build found no Node-API headers): the receivers will read with dgram, at a fraction of the rate',
      );
    nativeSource?.grantRead(role);
    props.splunkHecTokenSecret?.grantRead(role);
    props.ocsfLake?.grantWriteRecords(role);
    const node = (props.nodeRuntime ?? ReceiverNodeRuntime.amazonLinuxPackage()).bind(this, role);
    const region = Stack.of(this).region;
    this.metricsFleet = Names.uniqueId(this);
    this.metricsLogGroup =
      (props.cloudWatchMetrics ?? true)
        ? new logs.LogGroup(this, 'MetricsLogGroup', { retention: logs.RetentionDays.ONE_MONTH })
        : undefined;
    if (this.metricsLogGroup !== undefined) {
      // The CloudWatch agent on the instance writes the EMF lines: streams of this group only.
      this.metricsLogGroup.grantWrite(role);
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReceiverMetricsLogStreams',
          actions: ['logs:DescribeLogStreams'],
          resources: [this.metricsLogGroup.logGroupArn],
        }),
      );
    }
    const config = receiverConfig({
      healthPort: healthCheckPort,
      receiveBufferMaxBytes: rmem,
      hecUrl: props.splunkHecUrl,
      metricsFleet: this.metricsLogGroup !== undefined ? this.metricsFleet : undefined,
      lake:
        props.ocsfLake !== undefined
          ? {
              region,
              accountId: Stack.of(this).account,
              bucket: props.ocsfLake.bucket.bucketName,
              prefix: props.ocsfLake.objectKeyPrefix,
              securityLake: props.ocsfLake.securityLakeDestinations,
            }
          : undefined,
      extra: props.receiverConfig,
    });
    this.userData = ec2.UserData.forLinux();
    this.userData.addCommands(
      ...receiverBootScript({
        region,
        bundleS3Url: bundle.s3ObjectUrl,
        workerS3Url: workerBundle.s3ObjectUrl,
        nativeSourceS3Url: nativeSource?.s3ObjectUrl,
        packetCapture: config['intake'] === 'afpacket',
        nodeInstallCommands: node.installCommands,
        configJson: Stack.of(this).toJsonString(config),
        healthPort: healthCheckPort,
        hecTokenSecretArn: props.splunkHecTokenSecret?.secretArn,
        receiveBufferMaxBytes: rmem,
        emf:
          this.metricsLogGroup !== undefined
            ? { file: RECEIVER_EMF_FILE, logGroupName: this.metricsLogGroup.logGroupName }
            : undefined,
      }),
    );

    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.C6I, ec2.InstanceSize.LARGE),
      machineImage: props.machineImage ?? ec2.MachineImage.latestAmazonLinux2023(),
      role,
      securityGroup,
      userData: this.userData,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs((props.rootVolumeSize ?? Size.gibibytes(30)).toGibibytes(), {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });

    const vpcSubnets =
      props.vpcSubnets ??
      ({
        subnetType:
          props.vpc.privateSubnets.length > 0
            ? ec2.SubnetType.PRIVATE_WITH_EGRESS
            : ec2.SubnetType.PRIVATE_ISOLATED,
      } satisfies ec2.SubnetSelection);
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Resource', {
      vpc: props.vpc,
      vpcSubnets,
      launchTemplate,
      minCapacity,
      maxCapacity,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: Duration.minutes(5),
      }),
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        minInstancesInService: minCapacity > 1 ? 1 : 0,
      }),
    });
    this.autoScalingGroup.scaleOnCpuUtilization('CpuScaling', { targetUtilizationPercent: 60 });
    acknowledgeNag(role, [
      [
        'IAM5[Resource::*]',
        'identity lookups use Describe/List calls, which support no resource-level permissions; all read-only',
      ],
      [
        'IAM5[Action::s3:GetObject*]',
        'the CDK asset grant (read of the receiver bundle in the bootstrap asset bucket)',
      ],
      [
        'IAM5[Action::s3:GetBucket*]',
        'the CDK asset grant (read of the receiver bundle in the bootstrap asset bucket)',
      ],
      [
        'IAM5[Action::s3:List*]',
        'the CDK asset grant (read of the receiver bundle in the bootstrap asset bucket)',
      ],
      [
        'IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        'the CDK asset grant: read of the bootstrap asset bucket, where the receiver bundle is uploaded',
      ],
    ]);
    acknowledgeNag(securityGroup, [
      [
        'EC23',
        'cdk-nag cannot evaluate CIDR tokens; ingress is UDP 4789/6081 from the monitored VPC CIDRs and TCP health checks from the VPC CIDR, never 0.0.0.0/0',
      ],
    ]);
  }

  /**
   * One of the receivers' own metrics over the whole fleet (dimension `Fleet`); defaults: one
   * minute, Maximum. Sum for the counts (`KernelDrops`, `RecordsDropped`, `RecordsWritten`).
   */
  metric(name: ReceiverMetricName, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: RECEIVER_METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { Fleet: this.metricsFleet },
      period: Duration.minutes(1),
      statistic: cloudwatch.Stats.MAXIMUM,
      ...props,
    });
  }

  /** Lets mirrored VXLAN (UDP 4789) in from `peer` (the monitored VPC, or a load balancer). */
  allowVxlanFrom(peer: ec2.IPeer): void {
    this.connections.allowFrom(peer, ec2.Port.udp(VXLAN_PORT), 'mirrored traffic (VXLAN)');
  }

  /** Lets GENEVE (UDP 6081) in from `peer` (the Gateway Load Balancer's nodes). */
  allowGeneveFrom(peer: ec2.IPeer): void {
    this.connections.allowFrom(peer, ec2.Port.udp(GENEVE_PORT), 'mirrored traffic via GWLB (GENEVE)');
  }

  /** Lets load balancer health checks reach `/healthz`. */
  allowHealthChecksFrom(peer: ec2.IPeer): void {
    this.connections.allowFrom(peer, ec2.Port.tcp(this.healthCheckPort), 'load balancer health checks');
  }
}
