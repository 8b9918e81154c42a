import type { Subnet, Vpc } from '../state/types.js';
import type { Ec2Handler } from './context.js';
import { describe } from './describe.js';
import type { FilterSpec } from './filters.js';
import { KINDS, selectByIds } from './lookup.js';
import { usedAddresses } from './network-interface-ops.js';
import { subnetWire, vpcWire } from './wire.js';

const VPC_FILTERS: FilterSpec<Vpc> = {
  names: [
    'cidr',
    'cidr-block-association.cidr-block',
    'cidr-block-association.association-id',
    'cidr-block-association.state',
    'dhcp-options-id',
    'ipv6-cidr-block-association.ipv6-cidr-block',
    'ipv6-cidr-block-association.ipv6-pool',
    'ipv6-cidr-block-association.association-id',
    'ipv6-cidr-block-association.state',
    'is-default',
    'owner-id',
    'state',
    'vpc-id',
  ],
  extract: {
    cidr: (v) => v.cidrBlock,
    'cidr-block-association.cidr-block': (v) => v.cidrBlock,
    'cidr-block-association.association-id': (v) => v.cidrAssociationId,
    'cidr-block-association.state': () => 'associated',
    'dhcp-options-id': (v) => v.dhcpOptionsId,
    'is-default': (v) => v.isDefault,
    state: () => 'available',
    'vpc-id': (v) => v.vpcId,
  },
  tags: (v) => v.tags,
};

function subnetFilters(accountId: string, region: string): FilterSpec<Subnet> {
  return {
    names: [
      'availability-zone',
      'availability-zone-id',
      'available-ip-address-count',
      'cidr-block',
      'customer-owned-ipv4-pool',
      'default-for-az',
      'enable-dns64',
      'enable-lni-at-device-index',
      'ipv6-cidr-block-association.ipv6-cidr-block',
      'ipv6-cidr-block-association.association-id',
      'ipv6-cidr-block-association.state',
      'ipv6-native',
      'map-customer-owned-ip-on-launch',
      'map-public-ip-on-launch',
      'outpost-arn',
      'owner-id',
      'private-dns-name-options-on-launch.hostname-type',
      'private-dns-name-options-on-launch.enable-resource-name-dns-a-record',
      'private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record',
      'state',
      'subnet-arn',
      'subnet-id',
      'vpc-id',
    ],
    extract: {
      'availability-zone': (s) => s.availabilityZone,
      'availability-zone-id': (s) => s.availabilityZoneId,
      'cidr-block': (s) => s.cidrBlock,
      'default-for-az': (s) => s.defaultForAz,
      'enable-dns64': () => false,
      'ipv6-native': () => false,
      'map-customer-owned-ip-on-launch': () => false,
      'map-public-ip-on-launch': (s) => s.mapPublicIpOnLaunch,
      'owner-id': () => accountId,
      'private-dns-name-options-on-launch.hostname-type': () => 'ip-name',
      state: () => 'available',
      'subnet-arn': (s) => `arn:aws:ec2:${region}:${accountId}:subnet/${s.subnetId}`,
      'subnet-id': (s) => s.subnetId,
      'vpc-id': (s) => s.vpcId,
    },
    tags: (s) => s.tags,
  };
}

export const describeVpcs: Ec2Handler = (ctx, params) => {
  const filters = { ...VPC_FILTERS, extract: { ...VPC_FILTERS.extract, 'owner-id': () => ctx.accountId } };
  const page = describe(params, {
    idParam: 'VpcId',
    select: (ids) => selectByIds(KINDS.vpc, ctx.region, ids),
    filters,
  });
  return { vpcSet: page.items.map((vpc) => vpcWire(vpc, ctx.accountId)), nextToken: page.nextToken };
};

export const describeSubnets: Ec2Handler = (ctx, params) => {
  const page = describe(params, {
    idParam: 'SubnetId',
    select: (ids) => selectByIds(KINDS.subnet, ctx.region, ids),
    filters: subnetFilters(ctx.accountId, ctx.regionName),
  });
  return {
    subnetSet: page.items.map((subnet) =>
      subnetWire(subnet, ctx.accountId, ctx.regionName, usedAddresses(ctx.region, subnet.subnetId).size),
    ),
    nextToken: page.nextToken,
  };
};
