import { ec2Id } from '../util/ids.js';
import type { RegionState, Subnet, Vpc } from './types.js';

/** How many availability zones a fresh account sees; us-east-1 has six, most regions three. */
export function availabilityZoneCount(region: string): number {
  return region === 'us-east-1' ? 6 : 3;
}

/** AZ ids such as use1-az1: the region's initials and number, as AWS abbreviates them. */
export function availabilityZoneId(region: string, index: number): string {
  const [area = 'xx', direction = '', number = '1'] = region.split('-');
  const compass: Record<string, string> = {
    east: 'e',
    west: 'w',
    north: 'n',
    south: 's',
    central: 'c',
    northeast: 'ne',
    northwest: 'nw',
    southeast: 'se',
    southwest: 'sw',
  };
  return `${area}${compass[direction] ?? direction.slice(0, 1)}${number}-az${index + 1}`;
}

/**
 * A fresh account's default VPC: 172.31.0.0/16 with one /20 default subnet per AZ, in AZ order
 * (172.31.0.0/20 in a, 172.31.16.0/20 in b, ...).
 */
export function createDefaultVpc(state: RegionState, nextSeq: () => number): void {
  const vpc: Vpc = {
    seq: nextSeq(),
    vpcId: ec2Id('vpc'),
    cidrBlock: '172.31.0.0/16',
    cidrAssociationId: ec2Id('vpc-cidr-assoc'),
    dhcpOptionsId: ec2Id('dopt'),
    defaultSecurityGroupId: ec2Id('sg'),
    isDefault: true,
    tags: [],
  };
  state.vpcs[vpc.vpcId] = vpc;
  const zones = availabilityZoneCount(state.region);
  for (let index = 0; index < zones; index++) {
    const subnet: Subnet = {
      seq: nextSeq(),
      subnetId: ec2Id('subnet'),
      vpcId: vpc.vpcId,
      cidrBlock: `172.31.${index * 16}.0/20`,
      availabilityZone: `${state.region}${String.fromCharCode(97 + index)}`,
      availabilityZoneId: availabilityZoneId(state.region, index),
      defaultForAz: true,
      mapPublicIpOnLaunch: true,
      nextHost: 0,
      tags: [],
    };
    state.subnets[subnet.subnetId] = subnet;
  }
}
