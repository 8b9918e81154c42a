import { ApiError } from '../errors.js';
import type { PortRange, TrafficMirrorFilterRule } from '../state/types.js';
import { ec2Id } from '../util/ids.js';
import { isIpv6Cidr, parseCidr } from '../util/ip.js';
import { invalidParameterValue, missingParameter } from './api-errors.js';
import type { Ec2Handler } from './context.js';
import { find, KINDS } from './lookup.js';
import type { QueryParams } from './query-params.js';
import { trafficMirrorFilterRuleWire } from './wire.js';

function oneOf<T extends string>(params: QueryParams, name: string, allowed: readonly T[]): T {
  const value = params.requiredStr(name);
  if (!allowed.includes(value as T)) {
    throw invalidParameterValue(
      `Value (${value}) for parameter ${name} is invalid. Valid values: ${allowed.join(', ')}`,
    );
  }
  return value as T;
}

function portRange(params: QueryParams, name: string): PortRange | undefined {
  if (!params.has(name)) return undefined;
  const scoped = params.scope(name);
  const fromPort = scoped.int('FromPort') ?? 0;
  const toPort = scoped.int('ToPort') ?? 65535;
  if (fromPort < 0 || toPort > 65535 || fromPort > toPort) {
    throw invalidParameterValue(
      `Invalid port range ${fromPort}-${toPort} for ${name}: ports are 0-65535, from <= to.`,
    );
  }
  return { fromPort, toPort };
}

function cidrFamily(params: QueryParams, name: string): 4 | 6 {
  const cidr = params.str(name);
  if (cidr === undefined) throw missingParameter(name);
  if (parseCidr(cidr)) return 4;
  if (isIpv6Cidr(cidr)) return 6;
  throw invalidParameterValue(`Value (${cidr}) for parameter ${name} is invalid. Expected a CIDR block.`);
}

export const createTrafficMirrorFilterRule: Ec2Handler = (ctx, params) => {
  const filter = find(KINDS.trafficMirrorFilter, ctx.region, params.requiredStr('TrafficMirrorFilterId'));
  const direction = oneOf(params, 'TrafficDirection', ['ingress', 'egress'] as const);
  const ruleNumber = params.requiredInt('RuleNumber');
  if (ruleNumber < 1 || ruleNumber > 32766) {
    throw invalidParameterValue(
      `Value (${ruleNumber}) for parameter RuleNumber is invalid. Valid values: 1-32766.`,
    );
  }
  const ruleAction = oneOf(params, 'RuleAction', ['accept', 'reject'] as const);
  const protocol = params.int('Protocol');
  if (protocol !== undefined && (protocol < 0 || protocol > 255)) {
    throw invalidParameterValue(
      `Value (${protocol}) for parameter Protocol is invalid. Valid values: 0-255.`,
    );
  }
  const destinationPortRange = portRange(params, 'DestinationPortRange');
  const sourcePortRange = portRange(params, 'SourcePortRange');
  if ((destinationPortRange || sourcePortRange) && protocol !== 6 && protocol !== 17) {
    throw invalidParameterValue('Port ranges can only be specified for the TCP (6) and UDP (17) protocols.');
  }
  if (cidrFamily(params, 'DestinationCidrBlock') !== cidrFamily(params, 'SourceCidrBlock')) {
    throw invalidParameterValue(
      'SourceCidrBlock and DestinationCidrBlock must both be IPv4 or both be IPv6.',
    );
  }
  const sameDirection = Object.values(ctx.region.trafficMirrorFilterRules).filter(
    (r) => r.trafficMirrorFilterId === filter.trafficMirrorFilterId && r.trafficDirection === direction,
  );
  if (sameDirection.some((r) => r.ruleNumber === ruleNumber)) {
    throw new ApiError(
      'TrafficMirrorFilterRuleAlreadyExists',
      `A ${direction} rule with number ${ruleNumber} already exists in traffic mirror filter '${filter.trafficMirrorFilterId}'.`,
    );
  }
  if (sameDirection.length >= ctx.quotas.rulesPerFilterDirection) {
    throw new ApiError(
      'TrafficMirrorFilterRuleLimitExceeded',
      `The maximum number of ${direction} rules (${ctx.quotas.rulesPerFilterDirection}) for traffic mirror filter '${filter.trafficMirrorFilterId}' has been reached.`,
    );
  }
  const rule: TrafficMirrorFilterRule = {
    seq: ctx.nextSeq(),
    trafficMirrorFilterRuleId: ec2Id('tmfr'),
    trafficMirrorFilterId: filter.trafficMirrorFilterId,
    trafficDirection: direction,
    ruleNumber,
    ruleAction,
    protocol,
    destinationPortRange,
    sourcePortRange,
    destinationCidrBlock: params.requiredStr('DestinationCidrBlock'),
    sourceCidrBlock: params.requiredStr('SourceCidrBlock'),
    description: params.str('Description'),
  };
  ctx.region.trafficMirrorFilterRules[rule.trafficMirrorFilterRuleId] = rule;
  return {
    trafficMirrorFilterRule: trafficMirrorFilterRuleWire(rule),
    clientToken: params.str('ClientToken'),
  };
};

export const deleteTrafficMirrorFilterRule: Ec2Handler = (ctx, params) => {
  const id = params.requiredStr('TrafficMirrorFilterRuleId');
  find(KINDS.trafficMirrorFilterRule, ctx.region, id);
  delete ctx.region.trafficMirrorFilterRules[id];
  return { trafficMirrorFilterRuleId: id };
};
