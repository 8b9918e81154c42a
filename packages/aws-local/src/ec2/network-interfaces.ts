import { ApiError } from '../errors.js';
import type { NetworkInterface } from '../state/types.js';
import type { Ec2Handler } from './context.js';
import { describe } from './describe.js';
import type { FilterSpec } from './filters.js';
import { find, KINDS, selectByIds } from './lookup.js';
import { createNetworkInterface as createEni, removeNetworkInterface } from './network-interface-ops.js';
import { tagSpecifications } from './query-params.js';
import { networkInterfaceWire, privateDnsName } from './wire.js';

function eniFilters(accountId: string, region: string): FilterSpec<NetworkInterface> {
  return {
    names: [
      'addresses.private-ip-address',
      'addresses.primary',
      'addresses.association.public-ip',
      'addresses.association.owner-id',
      'association.association-id',
      'association.allocation-id',
      'association.ip-owner-id',
      'association.public-ip',
      'association.public-dns-name',
      'attachment.attachment-id',
      'attachment.attach-time',
      'attachment.delete-on-termination',
      'attachment.device-index',
      'attachment.instance-id',
      'attachment.instance-owner-id',
      'attachment.status',
      'availability-zone',
      'description',
      'group-id',
      'group-name',
      'ipv6-addresses.ipv6-address',
      'interface-type',
      'mac-address',
      'network-interface-id',
      'owner-id',
      'private-ip-address',
      'private-dns-name',
      'requester-id',
      'requester-managed',
      'source-dest-check',
      'status',
      'subnet-id',
      'vpc-id',
    ],
    extract: {
      'addresses.private-ip-address': (e) => e.privateIpAddress,
      'addresses.primary': () => true,
      'attachment.attachment-id': (e) => e.attachment?.attachmentId,
      'attachment.attach-time': (e) => e.attachment && new Date(e.attachment.attachTime).toISOString(),
      'attachment.delete-on-termination': (e) => e.attachment?.deleteOnTermination,
      'attachment.device-index': (e) => e.attachment?.deviceIndex,
      'attachment.instance-id': (e) => e.attachment?.instanceId,
      'attachment.instance-owner-id': (e) => e.attachment?.instanceOwnerId,
      'attachment.status': (e) => e.attachment?.status,
      'availability-zone': (e) => e.availabilityZone,
      description: (e) => e.description,
      'group-id': (e) => e.groups,
      'group-name': (e) => e.groups.map((_, i) => (i === 0 ? 'default' : e.groups[i])),
      'interface-type': (e) => e.interfaceType,
      'mac-address': (e) => e.macAddress,
      'network-interface-id': (e) => e.networkInterfaceId,
      'owner-id': () => accountId,
      'private-ip-address': (e) => e.privateIpAddress,
      'private-dns-name': (e) => privateDnsName(e.privateIpAddress, region),
      'requester-id': (e) => e.requesterId,
      'requester-managed': (e) => e.requesterManaged,
      'source-dest-check': (e) => e.sourceDestCheck,
      status: (e) => e.status,
      'subnet-id': (e) => e.subnetId,
      'vpc-id': (e) => e.vpcId,
    },
    tags: (e) => e.tags,
  };
}

export const createNetworkInterface: Ec2Handler = (ctx, params) => {
  const subnet = find(KINDS.subnet, ctx.region, params.requiredStr('SubnetId'));
  const interfaceType = params.str('InterfaceType');
  if (interfaceType !== undefined && !['efa', 'branch', 'trunk'].includes(interfaceType)) {
    throw new ApiError(
      'InvalidParameterValue',
      `Value (${interfaceType}) for parameter interfaceType is invalid.`,
    );
  }
  const eni = createEni(ctx, {
    subnet,
    description: params.str('Description'),
    groups: params.list('SecurityGroupId'),
    privateIpAddress: params.str('PrivateIpAddress'),
    tags: tagSpecifications(params, 'network-interface'),
  });
  if (interfaceType) eni.interfaceType = interfaceType;
  return {
    networkInterface: networkInterfaceWire(eni, ctx.accountId, ctx.regionName),
    clientToken: params.str('ClientToken'),
  };
};

export const describeNetworkInterfaces: Ec2Handler = (ctx, params) => {
  const page = describe(params, {
    idParam: 'NetworkInterfaceId',
    select: (ids) => selectByIds(KINDS.networkInterface, ctx.region, ids),
    filters: eniFilters(ctx.accountId, ctx.regionName),
    refuseMaxResultsWithIds: true,
  });
  return {
    networkInterfaceSet: page.items.map((eni) => networkInterfaceWire(eni, ctx.accountId, ctx.regionName)),
    nextToken: page.nextToken,
  };
};

export const deleteNetworkInterface: Ec2Handler = (ctx, params) => {
  const id = params.requiredStr('NetworkInterfaceId');
  const eni = find(KINDS.networkInterface, ctx.region, id);
  if (eni.attachment) {
    throw new ApiError('InvalidNetworkInterface.InUse', `The network interface '${id}' is currently in use.`);
  }
  const target = Object.values(ctx.region.trafficMirrorTargets).find((t) => t.networkInterfaceId === id);
  if (target) {
    throw new ApiError(
      'DependencyViolation',
      `Network interface '${id}' is in use by traffic mirror target '${target.trafficMirrorTargetId}'.`,
    );
  }
  removeNetworkInterface(ctx.region, id);
  return { return: true };
};
