import { ApiError } from '../errors.js';
import { addSession, deleteSession, sessionList } from '../state/session-index.js';
import type { NetworkInterface, TrafficMirrorSession, TrafficMirrorTarget } from '../state/types.js';
import { ec2Id } from '../util/ids.js';
import { cryptoRandom } from '../util/random.js';
import { invalidParameterValue, missingParameter } from './api-errors.js';
import type { Ec2Context, Ec2Handler } from './context.js';
import { describe } from './describe.js';
import type { FilterSpec } from './filters.js';
import { find, KINDS, selectByIds } from './lookup.js';
import type { QueryParams } from './query-params.js';
import { tagSpecifications } from './query-params.js';
import { describedSessions, lingeringIds, sessionCreated, sessionDeleted } from './session-visibility.js';
import { trafficMirrorSessionWire } from './wire.js';

/** Requester-managed ENIs AWS documents as valid sources: those created by RDS or ElastiCache. */
const MIRRORABLE_REQUESTERS = ['amazon-rds', 'amazon-elasticache'];
const MAX_VNI = 16_777_215;
/**
 * AWS gives a session with a Network Load Balancer target this PacketLength when none is given
 * (CreateTrafficMirrorSession docs: "default PacketLength will be set to 8500"), so a Describe
 * answers 8500 where the caller sent nothing.
 */
export const NLB_DEFAULT_PACKET_LENGTH = 8500;

function defaultPacketLength(target: TrafficMirrorTarget): number | undefined {
  return target.type === 'network-load-balancer' ? NLB_DEFAULT_PACKET_LENGTH : undefined;
}

function sessionFilters(accountId: string): FilterSpec<TrafficMirrorSession> {
  return {
    names: [
      'description',
      'network-interface-id',
      'owner-id',
      'packet-length',
      'session-number',
      'traffic-mirror-filter-id',
      'traffic-mirror-session-id',
      'traffic-mirror-target-id',
      'virtual-network-id',
    ],
    extract: {
      description: (s) => s.description,
      'network-interface-id': (s) => s.networkInterfaceId,
      'owner-id': () => accountId,
      'packet-length': (s) => s.packetLength,
      'session-number': (s) => s.sessionNumber,
      'traffic-mirror-filter-id': (s) => s.trafficMirrorFilterId,
      'traffic-mirror-session-id': (s) => s.trafficMirrorSessionId,
      'traffic-mirror-target-id': (s) => s.trafficMirrorTargetId,
      'virtual-network-id': (s) => s.virtualNetworkId,
    },
  };
}

function sessions(ctx: Ec2Context): TrafficMirrorSession[] {
  return sessionList(ctx.region);
}

function checkSessionNumber(value: number): void {
  if (value < 1 || value > 32766) {
    throw invalidParameterValue(
      `Value (${value}) for parameter SessionNumber is invalid. Valid values: 1-32766.`,
    );
  }
}

function checkVirtualNetworkId(value: number): void {
  if (value < 0 || value > MAX_VNI) {
    throw invalidParameterValue(
      `Value (${value}) for parameter VirtualNetworkId is invalid. Valid values: 0-${MAX_VNI}.`,
    );
  }
}

function checkPacketLength(value: number, target: TrafficMirrorTarget): void {
  const max = target.type === 'network-load-balancer' ? 8500 : 9001;
  if (value < 1 || value > max) {
    throw invalidParameterValue(
      `Value (${value}) for parameter PacketLength is invalid. Valid values: 1-${max}.`,
    );
  }
}

/** An account-unique random VNI, as AWS picks when none is given. */
function randomVirtualNetworkId(ctx: Ec2Context): number {
  const all = sessions(ctx);
  for (;;) {
    const vni = 1 + Math.floor(cryptoRandom() * MAX_VNI);
    if (!all.some((s) => s.virtualNetworkId === vni)) return vni;
  }
}

function checkSource(ctx: Ec2Context, eni: NetworkInterface): void {
  if (ctx.taskEniSources === 'reject' && eni.interfaceType !== 'interface') {
    // AWS's sources: "the network interface of type `interface`" (docs/aws-facts.md §1.1); a branch
    // ENI of ECS's ENI trunking is of type `branch`. The exact error is unverified: the one AWS gives
    // for unsupported sources.
    throw new ApiError(
      'NetworkInterfaceNotSupported',
      `${eni.networkInterfaceId} must be attached to a supported instance. Network interfaces of type ${eni.interfaceType} cannot be traffic mirror sources.`,
    );
  }
  if (
    ctx.taskEniSources === 'reject' &&
    eni.requesterManaged &&
    !MIRRORABLE_REQUESTERS.includes(eni.requesterId ?? '')
  ) {
    // AWS's limitations page: only requester-managed ENIs created by RDS or ElastiCache may be
    // sources. The code and text are those AWS gives for unsupported sources (docs/aws-facts.md §1.4).
    throw new ApiError(
      'NetworkInterfaceNotSupported',
      `${eni.networkInterfaceId} must be attached to a supported instance. Requester-managed network interfaces can be traffic mirror sources only when created by Amazon RDS or Amazon ElastiCache.`,
    );
  }
  if (
    Object.values(ctx.region.trafficMirrorTargets).some(
      (t) => t.networkInterfaceId === eni.networkInterfaceId,
    )
  ) {
    throw invalidParameterValue(
      `Network interface '${eni.networkInterfaceId}' is a traffic mirror target and cannot also be a source.`,
    );
  }
}

function checkSourcesPerTarget(
  ctx: Ec2Context,
  target: TrafficMirrorTarget,
  source: string,
  except?: string,
): void {
  if (target.type !== 'network-interface') return;
  const sources = new Set(
    sessions(ctx)
      .filter(
        (s) =>
          s.trafficMirrorTargetId === target.trafficMirrorTargetId && s.trafficMirrorSessionId !== except,
      )
      .map((s) => s.networkInterfaceId),
  );
  if (!sources.has(source) && sources.size >= ctx.quotas.sourcesPerNetworkInterfaceTarget) {
    throw new ApiError(
      'TrafficMirrorSourcesPerTargetLimitExceeded',
      `The maximum number of sources (${ctx.quotas.sourcesPerNetworkInterfaceTarget}) for traffic mirror target '${target.trafficMirrorTargetId}' has been reached.`,
    );
  }
}

function checkSessionNumberFree(ctx: Ec2Context, eniId: string, number: number, except?: string): void {
  const clash = sessions(ctx).find(
    (s) =>
      s.networkInterfaceId === eniId && s.sessionNumber === number && s.trafficMirrorSessionId !== except,
  );
  if (clash) {
    throw invalidParameterValue(
      `Session number ${number} is already used by traffic mirror session '${clash.trafficMirrorSessionId}' on network interface '${eniId}'.`,
    );
  }
}

export const createTrafficMirrorSession: Ec2Handler = (ctx, params) => {
  const eni = find(KINDS.networkInterface, ctx.region, params.requiredStr('NetworkInterfaceId'));
  const target = find(KINDS.trafficMirrorTarget, ctx.region, params.requiredStr('TrafficMirrorTargetId'));
  const filter = find(KINDS.trafficMirrorFilter, ctx.region, params.requiredStr('TrafficMirrorFilterId'));
  const sessionNumber = params.int('SessionNumber');
  if (sessionNumber === undefined) throw missingParameter('SessionNumber');
  checkSessionNumber(sessionNumber);
  const requestedVni = params.int('VirtualNetworkId');
  if (requestedVni !== undefined) checkVirtualNetworkId(requestedVni);
  const packetLength = params.int('PacketLength');
  if (packetLength !== undefined) checkPacketLength(packetLength, target);
  checkSource(ctx, eni);
  const onEni = sessions(ctx).filter((s) => s.networkInterfaceId === eni.networkInterfaceId);
  if (onEni.length >= ctx.quotas.sessionsPerNetworkInterface) {
    throw new ApiError(
      'TrafficMirrorSessionsPerInterfaceLimitExceeded',
      `The maximum number of traffic mirror sessions (${ctx.quotas.sessionsPerNetworkInterface}) for network interface '${eni.networkInterfaceId}' has been reached.`,
    );
  }
  checkSessionNumberFree(ctx, eni.networkInterfaceId, sessionNumber);
  checkSourcesPerTarget(ctx, target, eni.networkInterfaceId);
  if (sessions(ctx).length >= ctx.quotas.sessionsPerAccount) {
    throw new ApiError(
      'TrafficMirrorSessionLimitExceeded',
      `The maximum number of traffic mirror sessions (${ctx.quotas.sessionsPerAccount}) for this account has been reached.`,
    );
  }
  const session: TrafficMirrorSession = {
    seq: ctx.nextSeq(),
    trafficMirrorSessionId: ec2Id('tms'),
    networkInterfaceId: eni.networkInterfaceId,
    trafficMirrorTargetId: target.trafficMirrorTargetId,
    trafficMirrorFilterId: filter.trafficMirrorFilterId,
    packetLength: packetLength ?? defaultPacketLength(target),
    sessionNumber,
    virtualNetworkId: requestedVni ?? randomVirtualNetworkId(ctx),
    description: params.str('Description'),
    tags: tagSpecifications(params, 'traffic-mirror-session'),
  };
  addSession(ctx.region, session);
  sessionCreated(ctx, session);
  return {
    trafficMirrorSession: trafficMirrorSessionWire(session, ctx.accountId),
    clientToken: params.str('ClientToken'),
  };
};

export const describeTrafficMirrorSessions: Ec2Handler = (ctx, params) => {
  const page = describe(params, {
    idParam: 'TrafficMirrorSessionId',
    select: (ids) => {
      // A deleted session still lingering is not "not found" while EC2 has not caught up.
      const lingering = lingeringIds(ctx);
      const liveIds = ids.filter((id) => !lingering.has(id));
      const live =
        ids.length > 0 && liveIds.length === 0
          ? []
          : selectByIds(KINDS.trafficMirrorSession, ctx.region, liveIds);
      return describedSessions(ctx, live, ids);
    },
    filters: sessionFilters(ctx.accountId),
  });
  return {
    trafficMirrorSessionSet: page.items.map((s) => trafficMirrorSessionWire(s, ctx.accountId)),
    nextToken: page.nextToken,
  };
};

export const deleteTrafficMirrorSession: Ec2Handler = (ctx, params) => {
  const id = params.requiredStr('TrafficMirrorSessionId');
  const session = find(KINDS.trafficMirrorSession, ctx.region, id);
  deleteSession(ctx.region, id);
  sessionDeleted(ctx, session);
  return { trafficMirrorSessionId: id };
};

const REMOVABLE_FIELDS = ['packet-length', 'description', 'virtual-network-id'];

function applyModification(ctx: Ec2Context, params: QueryParams, session: TrafficMirrorSession): void {
  const targetId = params.str('TrafficMirrorTargetId');
  const target = find(KINDS.trafficMirrorTarget, ctx.region, targetId ?? session.trafficMirrorTargetId);
  if (targetId !== undefined) {
    checkSourcesPerTarget(ctx, target, session.networkInterfaceId, session.trafficMirrorSessionId);
  }
  const filterId = params.str('TrafficMirrorFilterId');
  if (filterId !== undefined) find(KINDS.trafficMirrorFilter, ctx.region, filterId);
  const sessionNumber = params.int('SessionNumber');
  if (sessionNumber !== undefined) {
    checkSessionNumber(sessionNumber);
    checkSessionNumberFree(ctx, session.networkInterfaceId, sessionNumber, session.trafficMirrorSessionId);
  }
  const vni = params.int('VirtualNetworkId');
  if (vni !== undefined) checkVirtualNetworkId(vni);
  const packetLength = params.int('PacketLength');
  if (packetLength !== undefined) checkPacketLength(packetLength, target);
  const remove = params.list('RemoveField');
  for (const field of remove) {
    if (!REMOVABLE_FIELDS.includes(field)) {
      throw invalidParameterValue(
        `Value (${field}) for parameter RemoveField is invalid. Valid values: ${REMOVABLE_FIELDS.join(', ')}`,
      );
    }
  }
  // Validation is complete: only now change the session, so a refused call changes nothing.
  session.trafficMirrorTargetId = target.trafficMirrorTargetId;
  if (filterId !== undefined) session.trafficMirrorFilterId = filterId;
  if (sessionNumber !== undefined) session.sessionNumber = sessionNumber;
  if (vni !== undefined) session.virtualNetworkId = vni;
  if (packetLength !== undefined) session.packetLength = packetLength;
  const description = params.str('Description');
  if (description !== undefined) session.description = description;
  if (remove.includes('packet-length')) session.packetLength = defaultPacketLength(target);
  if (remove.includes('description')) session.description = undefined;
  if (remove.includes('virtual-network-id')) session.virtualNetworkId = randomVirtualNetworkId(ctx);
}

export const modifyTrafficMirrorSession: Ec2Handler = (ctx, params) => {
  const session = find(KINDS.trafficMirrorSession, ctx.region, params.requiredStr('TrafficMirrorSessionId'));
  applyModification(ctx, params, session);
  return { trafficMirrorSession: trafficMirrorSessionWire(session, ctx.accountId) };
};
