import { ApiError } from '../errors.js';
import { deleteSession, sessionList } from '../state/session-index.js';
import type { EniAttachment, NetworkInterface, RegionState, Subnet, Tag } from '../state/types.js';
import type { Clock } from '../util/clock.js';
import { ec2Id, macAddress } from '../util/ids.js';
import { hostAddress, isInCidr, usableHosts } from '../util/ip.js';

/** The part of a request context that ENI bookkeeping needs (EC2 handlers and the ECS agent alike). */
export interface RegionScope {
  accountId: string;
  regionName: string;
  region: RegionState;
  clock: Clock;
  nextSeq: () => number;
}

export function usedAddresses(region: RegionState, subnetId: string): Set<string> {
  const used = new Set<string>();
  for (const eni of Object.values(region.networkInterfaces)) {
    if (eni.subnetId === subnetId) used.add(eni.privateIpAddress);
  }
  return used;
}

function allocateAddress(region: RegionState, subnet: Subnet, requested?: string): string {
  const used = usedAddresses(region, subnet.subnetId);
  if (requested !== undefined) {
    if (!isInCidr(requested, subnet.cidrBlock)) {
      throw new ApiError(
        'InvalidParameterValue',
        `Address ${requested} does not fall within the subnet's address range`,
      );
    }
    if (used.has(requested)) {
      throw new ApiError('InvalidIPAddress.InUse', `The specified address is already in use: ${requested}`);
    }
    return requested;
  }
  const hosts = usableHosts(subnet.cidrBlock);
  for (let tried = 0; tried < hosts; tried++) {
    const index = (subnet.nextHost + tried) % hosts;
    const address = hostAddress(subnet.cidrBlock, index);
    if (!used.has(address)) {
      subnet.nextHost = (index + 1) % hosts;
      return address;
    }
  }
  throw new ApiError(
    'InsufficientFreeAddressesInSubnet',
    `There are not enough free addresses in subnet '${subnet.subnetId}' to satisfy the requested number of instances.`,
  );
}

export interface NewNetworkInterface {
  subnet: Subnet;
  description?: string;
  groups?: string[];
  privateIpAddress?: string;
  requesterManaged?: boolean;
  requesterId?: string;
  /** @default 'interface' */
  interfaceType?: string;
  attachment?: Omit<EniAttachment, 'attachmentId' | 'attachTime'>;
  tags?: Tag[];
}

export function createNetworkInterface(scope: RegionScope, spec: NewNetworkInterface): NetworkInterface {
  const { region } = scope;
  const { subnet } = spec;
  const vpc = region.vpcs[subnet.vpcId];
  const eni: NetworkInterface = {
    seq: scope.nextSeq(),
    networkInterfaceId: ec2Id('eni'),
    subnetId: subnet.subnetId,
    vpcId: subnet.vpcId,
    availabilityZone: subnet.availabilityZone,
    description: spec.description ?? '',
    privateIpAddress: allocateAddress(region, subnet, spec.privateIpAddress),
    macAddress: macAddress(),
    interfaceType: spec.interfaceType ?? 'interface',
    requesterManaged: spec.requesterManaged ?? false,
    requesterId: spec.requesterId,
    status: spec.attachment ? 'in-use' : 'available',
    groups: spec.groups && spec.groups.length > 0 ? spec.groups : vpc ? [vpc.defaultSecurityGroupId] : [],
    sourceDestCheck: true,
    attachment: spec.attachment && {
      ...spec.attachment,
      attachmentId: ec2Id('eni-attach'),
      attachTime: scope.clock.now(),
    },
    tags: spec.tags ?? [],
  };
  region.networkInterfaces[eni.networkInterfaceId] = eni;
  return eni;
}

/**
 * Deletes an ENI and, as AWS does, every traffic mirror session whose source it was.
 * Returns the ids of those sessions.
 */
export function removeNetworkInterface(region: RegionState, networkInterfaceId: string): string[] {
  delete region.networkInterfaces[networkInterfaceId];
  const removed = sessionList(region)
    .filter((s) => s.networkInterfaceId === networkInterfaceId)
    .map((s) => s.trafficMirrorSessionId);
  for (const id of removed) deleteSession(region, id);
  return removed;
}

/** The next free device index on an instance (0 is the primary ENI). */
export function nextDeviceIndex(region: RegionState, instanceId: string): number {
  const taken = Object.values(region.networkInterfaces)
    .filter((e) => e.attachment?.instanceId === instanceId)
    .map((e) => e.attachment?.deviceIndex ?? 0);
  let index = 0;
  while (taken.includes(index)) index++;
  return index;
}
