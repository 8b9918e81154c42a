import type { AwsApiErrorCode } from '../aws-error-codes.js';
import { ApiError } from '../errors.js';
import type {
  Instance,
  NetworkInterface,
  RegionState,
  Subnet,
  TrafficMirrorFilter,
  TrafficMirrorFilterRule,
  TrafficMirrorSession,
  TrafficMirrorTarget,
  Vpc,
} from '../state/types.js';
import { isWellFormedEc2Id } from '../util/ids.js';

/** Per id prefix: the record table and AWS's not-found / malformed codes and wording. */
interface Kind<T> {
  prefix: string;
  table: (region: RegionState) => Record<string, T>;
  notFound: AwsApiErrorCode;
  malformed?: AwsApiErrorCode;
  noun: string;
}

function kind<T>(k: Kind<T>): Kind<T> {
  return k;
}

export const KINDS = {
  vpc: kind<Vpc>({ prefix: 'vpc', table: (r) => r.vpcs, notFound: 'InvalidVpcID.NotFound', noun: 'vpc' }),
  subnet: kind<Subnet>({
    prefix: 'subnet',
    table: (r) => r.subnets,
    notFound: 'InvalidSubnetID.NotFound',
    noun: 'subnet',
  }),
  networkInterface: kind<NetworkInterface>({
    prefix: 'eni',
    table: (r) => r.networkInterfaces,
    notFound: 'InvalidNetworkInterfaceID.NotFound',
    malformed: 'InvalidNetworkInterfaceId.Malformed',
    noun: 'networkInterface',
  }),
  instance: kind<Instance>({
    prefix: 'i',
    table: (r) => r.instances,
    notFound: 'InvalidInstanceID.NotFound',
    malformed: 'InvalidInstanceID.Malformed',
    noun: 'instance',
  }),
  trafficMirrorTarget: kind<TrafficMirrorTarget>({
    prefix: 'tmt',
    table: (r) => r.trafficMirrorTargets,
    notFound: 'InvalidTrafficMirrorTargetId.NotFound',
    noun: 'traffic mirror target',
  }),
  trafficMirrorFilter: kind<TrafficMirrorFilter>({
    prefix: 'tmf',
    table: (r) => r.trafficMirrorFilters,
    notFound: 'InvalidTrafficMirrorFilterId.NotFound',
    noun: 'traffic mirror filter',
  }),
  trafficMirrorFilterRule: kind<TrafficMirrorFilterRule>({
    prefix: 'tmfr',
    table: (r) => r.trafficMirrorFilterRules,
    notFound: 'InvalidTrafficMirrorFilterRuleId.NotFound',
    noun: 'traffic mirror filter rule',
  }),
  trafficMirrorSession: kind<TrafficMirrorSession>({
    prefix: 'tms',
    table: (r) => r.trafficMirrorSessions,
    notFound: 'InvalidTrafficMirrorSessionId.NotFound',
    noun: 'traffic mirror session',
  }),
};

export function notFound<T>(k: Kind<T>, id: string): ApiError {
  if (k.malformed && !isWellFormedEc2Id(id, k.prefix)) {
    return new ApiError(k.malformed, `Invalid id: "${id}" (expecting "${k.prefix}-...")`);
  }
  return new ApiError(k.notFound, `The ${k.noun} ID '${id}' does not exist`);
}

export function find<T>(k: Kind<T>, region: RegionState, id: string): T {
  const record = k.table(region)[id];
  if (!record) throw notFound(k, id);
  return record;
}

/** Records for explicit ids (every id must exist, as AWS requires) or all of them. */
export function selectByIds<T extends { seq: number }>(k: Kind<T>, region: RegionState, ids: string[]): T[] {
  const table = k.table(region);
  if (ids.length === 0) return Object.values(table).sort((a, b) => a.seq - b.seq);
  const missing = ids.filter((id) => !table[id]);
  if (missing.length > 0) {
    const error = notFound(k, missing[0]);
    if (missing.length > 1 && error.awsCode === k.notFound) {
      throw new ApiError(k.notFound, `The ${k.noun} IDs '${missing.join(', ')}' do not exist`);
    }
    throw error;
  }
  return [...new Set(ids)].map((id) => table[id]).sort((a, b) => a.seq - b.seq);
}
