import { ApiError } from '../errors.js';
import type { TrafficMirrorFilter } from '../state/types.js';
import { ec2Id } from '../util/ids.js';
import { invalidParameterValue } from './api-errors.js';
import type { Ec2Handler } from './context.js';
import { describe } from './describe.js';
import type { FilterSpec } from './filters.js';
import { find, KINDS, selectByIds } from './lookup.js';
import { tagSpecifications } from './query-params.js';
import { trafficMirrorFilterWire } from './wire.js';

const FILTER_FILTERS: FilterSpec<TrafficMirrorFilter> = {
  names: ['description', 'traffic-mirror-filter-id'],
  extract: {
    description: (f) => f.description,
    'traffic-mirror-filter-id': (f) => f.trafficMirrorFilterId,
  },
};

/** The only network service AWS lets a filter add. */
const NETWORK_SERVICES = ['amazon-dns'];

export const createTrafficMirrorFilter: Ec2Handler = (ctx, params) => {
  if (Object.keys(ctx.region.trafficMirrorFilters).length >= ctx.quotas.filtersPerAccount) {
    throw new ApiError(
      'TrafficMirrorFilterLimitExceeded',
      `The maximum number of traffic mirror filters (${ctx.quotas.filtersPerAccount}) has been reached.`,
    );
  }
  const filter: TrafficMirrorFilter = {
    seq: ctx.nextSeq(),
    trafficMirrorFilterId: ec2Id('tmf'),
    description: params.str('Description'),
    networkServices: [],
    tags: tagSpecifications(params, 'traffic-mirror-filter'),
  };
  ctx.region.trafficMirrorFilters[filter.trafficMirrorFilterId] = filter;
  return {
    trafficMirrorFilter: trafficMirrorFilterWire(filter, []),
    clientToken: params.str('ClientToken'),
  };
};

export const describeTrafficMirrorFilters: Ec2Handler = (ctx, params) => {
  const page = describe(params, {
    idParam: 'TrafficMirrorFilterId',
    select: (ids) => selectByIds(KINDS.trafficMirrorFilter, ctx.region, ids),
    filters: FILTER_FILTERS,
  });
  const rules = Object.values(ctx.region.trafficMirrorFilterRules);
  return {
    trafficMirrorFilterSet: page.items.map((f) => trafficMirrorFilterWire(f, rules)),
    nextToken: page.nextToken,
  };
};

export const deleteTrafficMirrorFilter: Ec2Handler = (ctx, params) => {
  const id = params.requiredStr('TrafficMirrorFilterId');
  find(KINDS.trafficMirrorFilter, ctx.region, id);
  if (Object.values(ctx.region.trafficMirrorSessions).some((s) => s.trafficMirrorFilterId === id)) {
    throw new ApiError(
      'TrafficMirrorFilterInUse',
      `Traffic mirror filter '${id}' is in use by a traffic mirror session. Remove it from all sessions first.`,
    );
  }
  for (const rule of Object.values(ctx.region.trafficMirrorFilterRules)) {
    if (rule.trafficMirrorFilterId === id)
      delete ctx.region.trafficMirrorFilterRules[rule.trafficMirrorFilterRuleId];
  }
  delete ctx.region.trafficMirrorFilters[id];
  return { trafficMirrorFilterId: id };
};

export const modifyTrafficMirrorFilterNetworkServices: Ec2Handler = (ctx, params) => {
  const filter = find(KINDS.trafficMirrorFilter, ctx.region, params.requiredStr('TrafficMirrorFilterId'));
  const add = params.list('AddNetworkService');
  const remove = params.list('RemoveNetworkService');
  for (const service of [...add, ...remove]) {
    if (!NETWORK_SERVICES.includes(service)) {
      throw invalidParameterValue(
        `Value (${service}) for parameter networkService is invalid. Valid values: ${NETWORK_SERVICES.join(', ')}`,
      );
    }
  }
  filter.networkServices = [...new Set([...filter.networkServices, ...add])].filter(
    (s) => !remove.includes(s),
  );
  return {
    trafficMirrorFilter: trafficMirrorFilterWire(filter, Object.values(ctx.region.trafficMirrorFilterRules)),
  };
};
