import { isIPv4 } from 'node:net';
import { ArnFormat, CfnOutput, Duration, type IResource, Resource, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';
import { GENEVE_PORT, VXLAN_PORT } from './filter-rules.js';
import { addAlarm } from './private/alarm.js';
import { acknowledgeNag } from './private/nag.js';
import { validateAll } from './private/validate.js';
import { ReceiverFleet, type ReceiverFleetProps } from './receiver-fleet.js';

/** A traffic mirror target, defined here or imported. */
export interface IMirrorTarget extends IResource {
  /**
   * The target id (`tmt-...`).
   * @attribute
   */
  readonly trafficMirrorTargetId: string;
  /**
   * The target ARN (for IAM policies).
   * @attribute
   */
  readonly trafficMirrorTargetArn: string;
}

/** What the mirror sessions send to. */
export enum MirrorTargetType {
  /**
   * A Network Load Balancer with a UDP 4789 listener in front of the fleet: highly available,
   * any number of sources, packets may arrive out of order.
   */
  NETWORK_LOAD_BALANCER = 'network-load-balancer',
  /**
   * A Gateway Load Balancer endpoint: the GWLB wraps each mirrored VXLAN packet in GENEVE (UDP 6081)
   * to the fleet. Unlimited sessions per endpoint; reaches a fleet in another VPC or account.
   */
  GATEWAY_LOAD_BALANCER_ENDPOINT = 'gateway-load-balancer-endpoint',
}

export interface MirrorTargetProps extends ReceiverFleetProps {
  /**
   * The kind of target in front of the receiver fleet. For an existing network interface use
   * `MirrorTarget.fromNetworkInterfaceId`.
   * @default MirrorTargetType.NETWORK_LOAD_BALANCER
   */
  readonly targetType?: MirrorTargetType;
  /**
   * IPv4 CIDRs of the monitored VPCs: mirrored VXLAN keeps the source ENI's address (an NLB
   * preserves client IPs for UDP), so the receivers accept UDP 4789 from these ranges only: in the
   * security group, and in the receiver itself (`allowSources`, unless `receiverConfig` sets it).
   * @default - the CIDR of `vpc`
   */
  readonly monitoredCidrs?: readonly string[];
  /**
   * How long a deregistering receiver keeps getting traffic before its flows are cut over
   * (connection termination is on, so sticky flows move to a healthy receiver after this).
   * @default Duration.seconds(60)
   */
  readonly deregistrationDelay?: Duration;
  /**
   * The subnet of the Gateway Load Balancer endpoint (one subnet, so one zone).
   * @default - the first subnet of the fleet's subnets
   */
  readonly endpointSubnet?: ec2.ISubnet;
  /**
   * A description of the traffic mirror target.
   * @default 'fargate-mirror receivers'
   */
  readonly description?: string;
  /**
   * Where the receivers' alarms (kernel drops, records dropped, HEC spool, disk) notify.
   * @default - no actions (the alarms still show their state)
   */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
}

function targetArn(scope: Construct, targetId: string): string {
  return Stack.of(scope).formatArn({
    service: 'ec2',
    resource: 'traffic-mirror-target',
    resourceName: targetId,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

class ImportedTarget extends Resource implements IMirrorTarget {
  readonly trafficMirrorTargetArn: string;
  constructor(
    scope: Construct,
    id: string,
    readonly trafficMirrorTargetId: string,
  ) {
    super(scope, id);
    this.trafficMirrorTargetArn = targetArn(this, trafficMirrorTargetId);
  }
}

class NetworkInterfaceTarget extends Resource implements IMirrorTarget {
  readonly trafficMirrorTargetId: string;
  readonly trafficMirrorTargetArn: string;
  constructor(scope: Construct, id: string, networkInterfaceId: string, description: string) {
    super(scope, id);
    const target = new ec2.CfnTrafficMirrorTarget(this, 'Resource', { networkInterfaceId, description });
    this.trafficMirrorTargetId = target.ref;
    this.trafficMirrorTargetArn = targetArn(this, target.ref);
  }
}

/**
 * A traffic mirror target with its receiver fleet: an Auto Scaling group across zones behind a
 * Network Load Balancer (UDP 4789, cross-zone, `stickiness source_ip` so all packets of one ENI
 * reach one receiver, HTTP health checks on the receiver's health port, draining settings), or
 * behind a Gateway Load Balancer endpoint (GENEVE 6081 to the fleet).
 */
export class MirrorTarget extends Resource implements IMirrorTarget {
  /** Imports a target defined elsewhere. */
  static fromTrafficMirrorTargetId(
    scope: Construct,
    id: string,
    trafficMirrorTargetId: string,
  ): IMirrorTarget {
    return new ImportedTarget(scope, id, trafficMirrorTargetId);
  }

  /**
   * Defines a target on an existing network interface (a receiver you run yourself). No
   * reordering, but at most 10 sources (100 on the largest instance sizes) and truncation at the
   * target's MTU; its security group must allow UDP 4789 from the monitored VPC.
   */
  static fromNetworkInterfaceId(
    scope: Construct,
    id: string,
    networkInterfaceId: string,
    description = 'fargate-mirror receiver ENI',
  ): IMirrorTarget {
    return new NetworkInterfaceTarget(scope, id, networkInterfaceId, description);
  }

  readonly trafficMirrorTargetId: string;
  readonly trafficMirrorTargetArn: string;
  readonly targetType: MirrorTargetType;
  /** The receivers. */
  readonly fleet: ReceiverFleet;
  /** Alarms on the receivers' own metrics (none with `cloudWatchMetrics: false`). */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** The Network Load Balancer (NETWORK_LOAD_BALANCER targets only). */
  readonly networkLoadBalancer: elbv2.NetworkLoadBalancer | undefined;
  /**
   * `HOST:PORT` a sidecar forwarder sends its VXLAN to: the NLB's DNS name and 4789.
   * Undefined for a Gateway Load Balancer endpoint, which is not addressable that way.
   */
  readonly forwarderDestination: string | undefined;
  /** The Gateway Load Balancer endpoint id (GATEWAY_LOAD_BALANCER_ENDPOINT targets only). */
  readonly gatewayLoadBalancerEndpointId: string | undefined;

  constructor(scope: Construct, id: string, props: MirrorTargetProps) {
    super(scope, id);
    const targetType = props.targetType ?? MirrorTargetType.NETWORK_LOAD_BALANCER;
    const monitoredCidrs = props.monitoredCidrs ?? [props.vpc.vpcCidrBlock];
    const delay = props.deregistrationDelay ?? Duration.seconds(60);
    validateAll(this, [
      ...monitoredCidrs.map((cidr, i) => ({
        failed: !Token.isUnresolved(cidr) && !isIpv4Cidr(cidr),
        message: `monitoredCidrs[${i}]: must be an IPv4 CIDR such as 10.0.0.0/16 (mirrored traffic travels over IPv4), but ${cidr} was given`,
      })),
      {
        failed: monitoredCidrs.length === 0,
        message: 'monitoredCidrs: must list at least one CIDR, or be omitted to mean the VPC CIDR',
      },
      {
        failed: !delay.isUnresolved() && (delay.toSeconds() < 0 || delay.toSeconds() > 3600),
        message: `deregistrationDelay: must be 0-3600 seconds, but ${delay.toSeconds()} was given`,
      },
      {
        failed: !Object.values(MirrorTargetType).includes(targetType),
        message: `targetType: must be one of ${Object.values(MirrorTargetType).join(', ')}, but ${String(targetType)} was given`,
      },
    ]);
    this.targetType = targetType;
    // The receivers accept datagrams only from where mirrored traffic comes from (the security group
    // says the same at the network): the monitored CIDRs through the NLB (it keeps the source IP),
    // the GWLB's nodes in the VPC. `receiverConfig.allowSources` replaces this.
    const allowSources =
      targetType === MirrorTargetType.NETWORK_LOAD_BALANCER ? [...monitoredCidrs] : [props.vpc.vpcCidrBlock];
    this.fleet = new ReceiverFleet(this, 'Fleet', {
      ...props,
      receiverConfig: { allowSources, ...props.receiverConfig },
    });
    const subnets = props.vpc.selectSubnets(
      props.vpcSubnets ?? {
        subnetType:
          props.vpc.privateSubnets.length > 0
            ? ec2.SubnetType.PRIVATE_WITH_EGRESS
            : ec2.SubnetType.PRIVATE_ISOLATED,
      },
    );
    const description = props.description ?? 'fargate-mirror receivers';
    let target: ec2.CfnTrafficMirrorTarget;
    if (targetType === MirrorTargetType.NETWORK_LOAD_BALANCER) {
      for (const cidr of monitoredCidrs) this.fleet.allowVxlanFrom(ec2.Peer.ipv4(cidr));
      // NLB health checks come from the load balancer's addresses in the fleet's VPC.
      this.fleet.allowHealthChecksFrom(ec2.Peer.ipv4(props.vpc.vpcCidrBlock));
      const nlb = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
        vpc: props.vpc,
        vpcSubnets: subnets,
        internetFacing: false,
        crossZoneEnabled: true,
      });
      const targetGroup = new elbv2.NetworkTargetGroup(this, 'TargetGroup', {
        vpc: props.vpc,
        port: VXLAN_PORT,
        protocol: elbv2.Protocol.UDP,
        targetType: elbv2.TargetType.INSTANCE,
        targets: [this.fleet.autoScalingGroup],
        deregistrationDelay: delay,
        connectionTermination: true,
        healthCheck: {
          // UDP cannot be health-checked: the receiver answers HTTP on its health port.
          protocol: elbv2.Protocol.HTTP,
          port: String(this.fleet.healthCheckPort),
          path: '/healthz',
          interval: Duration.seconds(10),
          healthyThresholdCount: 2,
          unhealthyThresholdCount: 2,
        },
      });
      // every packet of one mirrored ENI (one outer source IP) reaches one receiver.
      targetGroup.setAttribute('stickiness.enabled', 'true');
      targetGroup.setAttribute('stickiness.type', 'source_ip');
      acknowledgeNag(nlb, [
        [
          'ELB2',
          'NLB access logs record TLS listeners only; this load balancer has a UDP listener, so there is nothing to log',
        ],
      ]);
      nlb.addListener('Vxlan', {
        port: VXLAN_PORT,
        protocol: elbv2.Protocol.UDP,
        defaultTargetGroups: [targetGroup],
      });
      target = new ec2.CfnTrafficMirrorTarget(this, 'Resource', {
        networkLoadBalancerArn: nlb.loadBalancerArn,
        description,
      });
      this.networkLoadBalancer = nlb;
      this.forwarderDestination = `${nlb.loadBalancerDnsName}:${VXLAN_PORT}`;
      new CfnOutput(this, 'ForwarderDestination', {
        value: this.forwarderDestination,
        description:
          'HOST:PORT for sidecar forwarders (FARGATE_MIRROR_TO, fargate-mirror sidecar definition --to, MirrorSidecar destination)',
      });
      this.gatewayLoadBalancerEndpointId = undefined;
    } else {
      // GENEVE comes from the Gateway Load Balancer's nodes, which sit in the fleet's VPC.
      this.fleet.allowGeneveFrom(ec2.Peer.ipv4(props.vpc.vpcCidrBlock));
      this.fleet.allowHealthChecksFrom(ec2.Peer.ipv4(props.vpc.vpcCidrBlock));
      const gwlb = new elbv2.CfnLoadBalancer(this, 'GatewayLoadBalancer', {
        type: 'gateway',
        subnets: subnets.subnetIds,
        loadBalancerAttributes: [{ key: 'load_balancing.cross_zone.enabled', value: 'true' }],
      });
      acknowledgeNag(gwlb, [
        ['ELB2', 'Gateway Load Balancers have no access logs; GWLB flow records come from VPC Flow Logs'],
      ]);
      const targetGroup = new elbv2.CfnTargetGroup(this, 'GatewayTargetGroup', {
        protocol: 'GENEVE',
        port: GENEVE_PORT,
        vpcId: props.vpc.vpcId,
        targetType: 'instance',
        healthCheckProtocol: 'HTTP',
        healthCheckPort: String(this.fleet.healthCheckPort),
        healthCheckPath: '/healthz',
        healthCheckIntervalSeconds: 10,
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
        targetGroupAttributes: [
          { key: 'deregistration_delay.timeout_seconds', value: String(delay.toSeconds()) },
          // existing flows move to healthy receivers instead of being dropped.
          { key: 'target_failover.on_deregistration', value: 'rebalance' },
          { key: 'target_failover.on_unhealthy', value: 'rebalance' },
        ],
      });
      this.fleet.autoScalingGroup.attachToNetworkTargetGroup(
        elbv2.NetworkTargetGroup.fromTargetGroupAttributes(this, 'GatewayTargetGroupRef', {
          targetGroupArn: targetGroup.ref,
        }),
      );
      new elbv2.CfnListener(this, 'GatewayListener', {
        loadBalancerArn: gwlb.ref,
        defaultActions: [{ type: 'forward', targetGroupArn: targetGroup.ref }],
      });
      const service = new ec2.CfnVPCEndpointService(this, 'EndpointService', {
        gatewayLoadBalancerArns: [gwlb.ref],
        acceptanceRequired: false,
      });
      const endpoint = new ec2.CfnVPCEndpoint(this, 'Endpoint', {
        vpcEndpointType: 'GatewayLoadBalancer',
        vpcId: props.vpc.vpcId,
        serviceName: `com.amazonaws.vpce.${Stack.of(this).region}.${service.ref}`,
        subnetIds: [props.endpointSubnet?.subnetId ?? subnets.subnetIds[0]!],
      });
      target = new ec2.CfnTrafficMirrorTarget(this, 'Resource', {
        gatewayLoadBalancerEndpointId: endpoint.ref,
        description,
      });
      this.networkLoadBalancer = undefined;
      this.forwarderDestination = undefined;
      this.gatewayLoadBalancerEndpointId = endpoint.ref;
    }
    this.trafficMirrorTargetId = target.ref;
    this.trafficMirrorTargetArn = targetArn(this, target.ref);
    if (this.fleet.metricsLogGroup !== undefined) this.#alarms(props.alarmActions ?? []);
  }

  #alarms(actions: readonly cloudwatch.IAlarmAction[]): void {
    const add = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string) =>
      addAlarm(this, id, { metric, threshold, description }, actions, this.alarms);
    const sum5 = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
    const max5 = { period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM };
    add(
      'KernelDropsAlarm',
      this.fleet.metric('KernelDrops', sum5),
      1,
      'fargate-mirror: a receiver lost mirrored packets in the kernel (receive buffer full: more receivers, or a larger buffer)',
    );
    add(
      'RecordsDroppedAlarm',
      this.fleet.metric('RecordsDropped', sum5),
      1,
      'fargate-mirror: a receiver dropped records (records disk full or slow, or the Splunk HEC spool over its bound)',
    );
    add(
      'HecSpoolAlarm',
      this.fleet.metric('HecSpoolUsedPercent', max5),
      50,
      'fargate-mirror: a receiver HEC spool is half full (Splunk unreachable or refusing)',
    );
    add(
      'DiskUsedAlarm',
      this.fleet.metric('DiskUsedPercent', max5),
      80,
      'fargate-mirror: a receiver disk is 80 % full',
    );
  }
}

function isIpv4Cidr(cidr: string): boolean {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(cidr);
  return m !== null && isIPv4(m[1]!) && Number(m[2]) <= 32;
}
