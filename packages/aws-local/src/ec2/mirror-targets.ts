import { ApiError } from '../errors.js';
import type { TrafficMirrorTarget } from '../state/types.js';
import { ec2Id } from '../util/ids.js';
import { invalidParameterValue } from './api-errors.js';
import type { Ec2Handler } from './context.js';
import { describe } from './describe.js';
import type { FilterSpec } from './filters.js';
import { find, KINDS, selectByIds } from './lookup.js';
import { tagSpecifications } from './query-params.js';
import { trafficMirrorTargetWire } from './wire.js';

function targetFilters(accountId: string): FilterSpec<TrafficMirrorTarget> {
  return {
    names: [
      'description',
      'network-interface-id',
      'network-load-balancer-arn',
      'owner-id',
      'traffic-mirror-target-id',
    ],
    extract: {
      description: (t) => t.description,
      'network-interface-id': (t) => t.networkInterfaceId,
      'network-load-balancer-arn': (t) => t.networkLoadBalancerArn,
      'owner-id': () => accountId,
      'traffic-mirror-target-id': (t) => t.trafficMirrorTargetId,
    },
  };
}

export const createTrafficMirrorTarget: Ec2Handler = (ctx, params) => {
  const networkInterfaceId = params.str('NetworkInterfaceId');
  const networkLoadBalancerArn = params.str('NetworkLoadBalancerArn');
  const gatewayLoadBalancerEndpointId = params.str('GatewayLoadBalancerEndpointId');
  const given = [networkInterfaceId, networkLoadBalancerArn, gatewayLoadBalancerEndpointId].filter(
    (v) => v !== undefined,
  );
  if (given.length !== 1) {
    throw new ApiError(
      'InvalidParameterCombination',
      'Specify exactly one of NetworkInterfaceId, NetworkLoadBalancerArn or GatewayLoadBalancerEndpointId',
    );
  }
  if (Object.keys(ctx.region.trafficMirrorTargets).length >= ctx.quotas.targetsPerAccount) {
    throw new ApiError(
      'TrafficMirrorTargetLimitExceeded',
      `The maximum number of traffic mirror targets (${ctx.quotas.targetsPerAccount}) has been reached.`,
    );
  }
  if (networkInterfaceId !== undefined) {
    const eni = find(KINDS.networkInterface, ctx.region, networkInterfaceId);
    if (eni.interfaceType !== 'interface') {
      throw invalidParameterValue(`Network interface '${networkInterfaceId}' must be of type 'interface'.`);
    }
    if (
      Object.values(ctx.region.trafficMirrorSessions).some((s) => s.networkInterfaceId === networkInterfaceId)
    ) {
      throw invalidParameterValue(
        `Network interface '${networkInterfaceId}' is a traffic mirror source and cannot also be a target.`,
      );
    }
  }
  if (
    networkLoadBalancerArn !== undefined &&
    !/^arn:aws[a-z-]*:elasticloadbalancing:/.test(networkLoadBalancerArn)
  ) {
    throw invalidParameterValue(`'${networkLoadBalancerArn}' is not a valid load balancer ARN.`);
  }
  if (gatewayLoadBalancerEndpointId !== undefined && !gatewayLoadBalancerEndpointId.startsWith('vpce-')) {
    throw invalidParameterValue(`'${gatewayLoadBalancerEndpointId}' is not a valid VPC endpoint id.`);
  }
  const target: TrafficMirrorTarget = {
    seq: ctx.nextSeq(),
    trafficMirrorTargetId: ec2Id('tmt'),
    type: networkInterfaceId
      ? 'network-interface'
      : networkLoadBalancerArn
        ? 'network-load-balancer'
        : 'gateway-load-balancer-endpoint',
    networkInterfaceId,
    networkLoadBalancerArn,
    gatewayLoadBalancerEndpointId,
    description: params.str('Description'),
    tags: tagSpecifications(params, 'traffic-mirror-target'),
  };
  ctx.region.trafficMirrorTargets[target.trafficMirrorTargetId] = target;
  return {
    trafficMirrorTarget: trafficMirrorTargetWire(target, ctx.accountId),
    clientToken: params.str('ClientToken'),
  };
};

export const describeTrafficMirrorTargets: Ec2Handler = (ctx, params) => {
  const page = describe(params, {
    idParam: 'TrafficMirrorTargetId',
    select: (ids) => selectByIds(KINDS.trafficMirrorTarget, ctx.region, ids),
    filters: targetFilters(ctx.accountId),
  });
  return {
    trafficMirrorTargetSet: page.items.map((t) => trafficMirrorTargetWire(t, ctx.accountId)),
    nextToken: page.nextToken,
  };
};

export const deleteTrafficMirrorTarget: Ec2Handler = (ctx, params) => {
  const id = params.requiredStr('TrafficMirrorTargetId');
  find(KINDS.trafficMirrorTarget, ctx.region, id);
  if (Object.values(ctx.region.trafficMirrorSessions).some((s) => s.trafficMirrorTargetId === id)) {
    throw new ApiError(
      'TrafficMirrorTargetInUseException',
      `Traffic mirror target '${id}' is in use by a traffic mirror session. Remove it from all sessions first.`,
    );
  }
  delete ctx.region.trafficMirrorTargets[id];
  return { trafficMirrorTargetId: id };
};
