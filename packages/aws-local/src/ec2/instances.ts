import type { Instance, NetworkInterface, Subnet } from '../state/types.js';
import { ec2Id } from '../util/ids.js';
import type { Ec2Handler } from './context.js';
import { describe } from './describe.js';
import type { FilterSpec } from './filters.js';
import { KINDS, selectByIds } from './lookup.js';
import { createNetworkInterface, type RegionScope } from './network-interface-ops.js';
import { instanceWire, privateDnsName } from './wire.js';

const INSTANCE_FILTER_NAMES = [
  'affinity',
  'architecture',
  'availability-zone',
  'block-device-mapping.attach-time',
  'block-device-mapping.delete-on-termination',
  'block-device-mapping.device-name',
  'block-device-mapping.status',
  'block-device-mapping.volume-id',
  'capacity-reservation-id',
  'client-token',
  'dns-name',
  'group-id',
  'group-name',
  'hibernation-options.configured',
  'host-id',
  'hypervisor',
  'iam-instance-profile.arn',
  'image-id',
  'instance-id',
  'instance-lifecycle',
  'instance-state-code',
  'instance-state-name',
  'instance-type',
  'instance.group-id',
  'instance.group-name',
  'ip-address',
  'kernel-id',
  'key-name',
  'launch-index',
  'launch-time',
  'metadata-options.http-tokens',
  'metadata-options.http-put-response-hop-limit',
  'metadata-options.http-endpoint',
  'metadata-options.instance-metadata-tags',
  'monitoring-state',
  'network-interface.addresses.private-ip-address',
  'network-interface.addresses.primary',
  'network-interface.addresses.association.public-ip',
  'network-interface.addresses.association.ip-owner-id',
  'network-interface.association.public-ip',
  'network-interface.association.ip-owner-id',
  'network-interface.association.allocation-id',
  'network-interface.association.association-id',
  'network-interface.attachment.attachment-id',
  'network-interface.attachment.instance-id',
  'network-interface.attachment.instance-owner-id',
  'network-interface.attachment.device-index',
  'network-interface.attachment.status',
  'network-interface.attachment.attach-time',
  'network-interface.attachment.delete-on-termination',
  'network-interface.availability-zone',
  'network-interface.description',
  'network-interface.group-id',
  'network-interface.group-name',
  'network-interface.ipv6-addresses.ipv6-address',
  'network-interface.mac-address',
  'network-interface.network-interface-id',
  'network-interface.owner-id',
  'network-interface.private-dns-name',
  'network-interface.requester-id',
  'network-interface.requester-managed',
  'network-interface.status',
  'network-interface.source-dest-check',
  'network-interface.subnet-id',
  'network-interface.vpc-id',
  'outpost-arn',
  'owner-id',
  'placement-group-name',
  'placement-partition-number',
  'platform',
  'private-dns-name',
  'private-ip-address',
  'product-code',
  'product-code.type',
  'ramdisk-id',
  'reason',
  'requester-id',
  'reservation-id',
  'root-device-name',
  'root-device-type',
  'source-dest-check',
  'spot-instance-request-id',
  'state-reason-code',
  'state-reason-message',
  'subnet-id',
  'tenancy',
  'virtualization-type',
  'vpc-id',
] as const;

function instanceFilters(accountId: string, region: string, enis: NetworkInterface[]): FilterSpec<Instance> {
  const attached = (i: Instance) => enis.filter((e) => e.attachment?.instanceId === i.instanceId);
  return {
    names: INSTANCE_FILTER_NAMES,
    extract: {
      architecture: () => 'x86_64',
      'availability-zone': (i) => i.availabilityZone,
      hypervisor: () => 'xen',
      'image-id': (i) => i.imageId,
      'instance-id': (i) => i.instanceId,
      'instance-state-code': () => 16,
      'instance-state-name': () => 'running',
      'instance-type': (i) => i.instanceType,
      'launch-time': (i) => new Date(i.launchTime).toISOString(),
      'monitoring-state': () => 'disabled',
      'network-interface.network-interface-id': (i) => attached(i).map((e) => e.networkInterfaceId),
      'network-interface.addresses.private-ip-address': (i) => attached(i).map((e) => e.privateIpAddress),
      'network-interface.attachment.device-index': (i) => attached(i).map((e) => e.attachment?.deviceIndex),
      'network-interface.mac-address': (i) => attached(i).map((e) => e.macAddress),
      'network-interface.requester-managed': (i) => attached(i).map((e) => e.requesterManaged),
      'network-interface.subnet-id': (i) => attached(i).map((e) => e.subnetId),
      'network-interface.vpc-id': (i) => attached(i).map((e) => e.vpcId),
      'owner-id': () => accountId,
      'private-dns-name': (i) => privateDnsName(i.privateIpAddress, region),
      'private-ip-address': (i) => i.privateIpAddress,
      'reservation-id': (i) => i.reservationId,
      'root-device-name': () => '/dev/xvda',
      'root-device-type': () => 'ebs',
      'subnet-id': (i) => i.subnetId,
      tenancy: () => 'default',
      'virtualization-type': () => 'hvm',
      'vpc-id': (i) => i.vpcId,
    },
    tags: (i) => i.tags,
  };
}

export const describeInstances: Ec2Handler = (ctx, params) => {
  const enis = Object.values(ctx.region.networkInterfaces);
  const page = describe(params, {
    idParam: 'InstanceId',
    select: (ids) => selectByIds(KINDS.instance, ctx.region, ids),
    filters: instanceFilters(ctx.accountId, ctx.regionName, enis),
    refuseMaxResultsWithIds: true,
  });
  return {
    reservationSet: page.items.map((instance) => ({
      reservationId: instance.reservationId,
      ownerId: ctx.accountId,
      groupSet: [],
      instancesSet: [instanceWire(instance, enis, ctx.accountId, ctx.regionName)],
    })),
    nextToken: page.nextToken,
  };
};

/** An EC2 instance (an ECS container instance's host) with its own primary ENI at device index 0. */
export function launchInstance(
  scope: RegionScope,
  spec: { subnet: Subnet; instanceId?: string; instanceType?: string },
): Instance {
  const instanceId = spec.instanceId ?? ec2Id('i');
  const eni = createNetworkInterface(scope, {
    subnet: spec.subnet,
    description: '',
    attachment: {
      instanceId,
      instanceOwnerId: scope.accountId,
      deviceIndex: 0,
      status: 'attached',
      deleteOnTermination: true,
    },
  });
  const instance: Instance = {
    seq: scope.nextSeq(),
    instanceId,
    reservationId: ec2Id('r'),
    instanceType: spec.instanceType ?? 'm5.large',
    imageId: 'ami-0c7217cdde317cfec',
    availabilityZone: spec.subnet.availabilityZone,
    subnetId: spec.subnet.subnetId,
    vpcId: spec.subnet.vpcId,
    privateIpAddress: eni.privateIpAddress,
    primaryNetworkInterfaceId: eni.networkInterfaceId,
    launchTime: scope.clock.now(),
    tags: [],
  };
  scope.region.instances[instanceId] = instance;
  return instance;
}
