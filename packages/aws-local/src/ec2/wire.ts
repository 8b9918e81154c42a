import type {
  Instance,
  NetworkInterface,
  Subnet,
  Tag,
  TrafficMirrorFilter,
  TrafficMirrorFilterRule,
  TrafficMirrorSession,
  TrafficMirrorTarget,
  Vpc,
} from '../state/types.js';
import { usableHosts } from '../util/ip.js';
import { type WireObject, WireTime } from './xml.js';

/** Resource records -> the XML shapes of the EC2 2016-11-15 model (locationNames). */
export function tagSet(tags: Tag[]): WireObject[] {
  return tags.map((t) => ({ key: t.key, value: t.value }));
}

export function privateDnsName(ip: string, region: string): string {
  const suffix = region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`;
  return `ip-${ip.replaceAll('.', '-')}.${suffix}`;
}

export function vpcWire(vpc: Vpc, accountId: string): WireObject {
  return {
    vpcId: vpc.vpcId,
    ownerId: accountId,
    state: 'available',
    cidrBlock: vpc.cidrBlock,
    cidrBlockAssociationSet: [
      {
        cidrBlock: vpc.cidrBlock,
        associationId: vpc.cidrAssociationId,
        cidrBlockState: { state: 'associated' },
      },
    ],
    ipv6CidrBlockAssociationSet: [],
    dhcpOptionsId: vpc.dhcpOptionsId,
    tagSet: tagSet(vpc.tags),
    instanceTenancy: 'default',
    isDefault: vpc.isDefault,
  };
}

export function subnetWire(subnet: Subnet, accountId: string, region: string, usedIps: number): WireObject {
  return {
    subnetId: subnet.subnetId,
    subnetArn: `arn:aws:ec2:${region}:${accountId}:subnet/${subnet.subnetId}`,
    state: 'available',
    ownerId: accountId,
    vpcId: subnet.vpcId,
    cidrBlock: subnet.cidrBlock,
    ipv6CidrBlockAssociationSet: [],
    availableIpAddressCount: usableHosts(subnet.cidrBlock) - usedIps,
    availabilityZone: subnet.availabilityZone,
    availabilityZoneId: subnet.availabilityZoneId,
    defaultForAz: subnet.defaultForAz,
    mapPublicIpOnLaunch: subnet.mapPublicIpOnLaunch,
    mapCustomerOwnedIpOnLaunch: false,
    assignIpv6AddressOnCreation: false,
    enableDns64: false,
    ipv6Native: false,
    privateDnsNameOptionsOnLaunch: {
      hostnameType: 'ip-name',
      enableResourceNameDnsARecord: false,
      enableResourceNameDnsAAAARecord: false,
    },
    tagSet: tagSet(subnet.tags),
  };
}

export function groupSet(groups: string[]): WireObject[] {
  return groups.map((groupId) => ({ groupId, groupName: groupId === groups[0] ? 'default' : groupId }));
}

export function networkInterfaceWire(eni: NetworkInterface, accountId: string, region: string): WireObject {
  const dns = privateDnsName(eni.privateIpAddress, region);
  const attachment = eni.attachment;
  return {
    networkInterfaceId: eni.networkInterfaceId,
    subnetId: eni.subnetId,
    vpcId: eni.vpcId,
    availabilityZone: eni.availabilityZone,
    description: eni.description,
    ownerId: accountId,
    requesterId: eni.requesterId,
    requesterManaged: eni.requesterManaged,
    status: eni.status,
    macAddress: eni.macAddress,
    privateIpAddress: eni.privateIpAddress,
    privateDnsName: dns,
    sourceDestCheck: eni.sourceDestCheck,
    groupSet: groupSet(eni.groups),
    attachment: attachment && {
      attachmentId: attachment.attachmentId,
      instanceId: attachment.instanceId,
      instanceOwnerId: attachment.instanceOwnerId,
      deviceIndex: attachment.deviceIndex,
      networkCardIndex: 0,
      status: attachment.status,
      attachTime: new WireTime(attachment.attachTime),
      deleteOnTermination: attachment.deleteOnTermination,
    },
    tagSet: tagSet(eni.tags),
    privateIpAddressesSet: [{ privateIpAddress: eni.privateIpAddress, privateDnsName: dns, primary: true }],
    ipv6AddressesSet: [],
    interfaceType: eni.interfaceType,
  };
}

export function trafficMirrorTargetWire(target: TrafficMirrorTarget, accountId: string): WireObject {
  return {
    trafficMirrorTargetId: target.trafficMirrorTargetId,
    networkInterfaceId: target.networkInterfaceId,
    networkLoadBalancerArn: target.networkLoadBalancerArn,
    gatewayLoadBalancerEndpointId: target.gatewayLoadBalancerEndpointId,
    type: target.type,
    description: target.description,
    ownerId: accountId,
    tagSet: tagSet(target.tags),
  };
}

export function trafficMirrorFilterRuleWire(rule: TrafficMirrorFilterRule): WireObject {
  return {
    trafficMirrorFilterRuleId: rule.trafficMirrorFilterRuleId,
    trafficMirrorFilterId: rule.trafficMirrorFilterId,
    trafficDirection: rule.trafficDirection,
    ruleNumber: rule.ruleNumber,
    ruleAction: rule.ruleAction,
    protocol: rule.protocol,
    destinationPortRange: rule.destinationPortRange && { ...rule.destinationPortRange },
    sourcePortRange: rule.sourcePortRange && { ...rule.sourcePortRange },
    destinationCidrBlock: rule.destinationCidrBlock,
    sourceCidrBlock: rule.sourceCidrBlock,
    description: rule.description,
  };
}

export function trafficMirrorFilterWire(
  filter: TrafficMirrorFilter,
  rules: TrafficMirrorFilterRule[],
): WireObject {
  const ordered = rules
    .filter((r) => r.trafficMirrorFilterId === filter.trafficMirrorFilterId)
    .sort((a, b) => a.ruleNumber - b.ruleNumber);
  return {
    trafficMirrorFilterId: filter.trafficMirrorFilterId,
    ingressFilterRuleSet: ordered
      .filter((r) => r.trafficDirection === 'ingress')
      .map(trafficMirrorFilterRuleWire),
    egressFilterRuleSet: ordered
      .filter((r) => r.trafficDirection === 'egress')
      .map(trafficMirrorFilterRuleWire),
    networkServiceSet: [...filter.networkServices],
    description: filter.description,
    tagSet: tagSet(filter.tags),
  };
}

export function trafficMirrorSessionWire(session: TrafficMirrorSession, accountId: string): WireObject {
  return {
    trafficMirrorSessionId: session.trafficMirrorSessionId,
    trafficMirrorTargetId: session.trafficMirrorTargetId,
    trafficMirrorFilterId: session.trafficMirrorFilterId,
    networkInterfaceId: session.networkInterfaceId,
    ownerId: accountId,
    packetLength: session.packetLength,
    sessionNumber: session.sessionNumber,
    virtualNetworkId: session.virtualNetworkId,
    description: session.description,
    tagSet: tagSet(session.tags),
  };
}

export function instanceWire(
  instance: Instance,
  enis: NetworkInterface[],
  accountId: string,
  region: string,
): WireObject {
  const primary = enis.find((e) => e.networkInterfaceId === instance.primaryNetworkInterfaceId);
  const groups = primary?.groups ?? [];
  return {
    instanceId: instance.instanceId,
    imageId: instance.imageId,
    instanceState: { code: 16, name: 'running' },
    privateDnsName: privateDnsName(instance.privateIpAddress, region),
    dnsName: '',
    reason: '',
    amiLaunchIndex: 0,
    productCodes: [],
    instanceType: instance.instanceType,
    launchTime: new WireTime(instance.launchTime),
    placement: { availabilityZone: instance.availabilityZone, groupName: '', tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: instance.subnetId,
    vpcId: instance.vpcId,
    privateIpAddress: instance.privateIpAddress,
    sourceDestCheck: true,
    groupSet: groupSet(groups),
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/xvda',
    blockDeviceMapping: [],
    virtualizationType: 'hvm',
    tagSet: tagSet(instance.tags),
    hypervisor: 'xen',
    networkInterfaceSet: enis
      .filter((e) => e.attachment?.instanceId === instance.instanceId)
      .sort((a, b) => (a.attachment?.deviceIndex ?? 0) - (b.attachment?.deviceIndex ?? 0))
      .map((eni) => ({
        networkInterfaceId: eni.networkInterfaceId,
        subnetId: eni.subnetId,
        vpcId: eni.vpcId,
        description: eni.description,
        ownerId: accountId,
        status: eni.status,
        macAddress: eni.macAddress,
        privateIpAddress: eni.privateIpAddress,
        privateDnsName: privateDnsName(eni.privateIpAddress, region),
        sourceDestCheck: eni.sourceDestCheck,
        groupSet: groupSet(eni.groups),
        attachment: eni.attachment && {
          attachmentId: eni.attachment.attachmentId,
          deviceIndex: eni.attachment.deviceIndex,
          status: eni.attachment.status,
          attachTime: new WireTime(eni.attachment.attachTime),
          deleteOnTermination: eni.attachment.deleteOnTermination,
          networkCardIndex: 0,
        },
        privateIpAddressesSet: [
          {
            privateIpAddress: eni.privateIpAddress,
            privateDnsName: privateDnsName(eni.privateIpAddress, region),
            primary: true,
          },
        ],
        ipv6AddressesSet: [],
        interfaceType: eni.interfaceType,
      })),
    ebsOptimized: false,
    enaSupport: true,
  };
}
