import type { Emulator } from '../emulator.js';
import { ApiError } from '../errors.js';
import { toApiError } from '../http/handler-failure.js';
import type { IdempotencyRecord } from '../state/types.js';
import type { BucketConfig } from '../throttle/limits.js';
import {
  MUTATING,
  NON_MUTATING,
  UNCATEGORIZED,
  UNFILTERED_NON_MUTATING,
  UNFILTERED_SENSITIVE_ACTIONS,
} from '../throttle/limits.js';
import { EC2_ACTIONS } from './actions.js';
import type { Ec2Action } from './context.js';
import { QueryParams } from './query-params.js';
import { renderEc2Error, renderEc2Response, type WireObject } from './xml.js';

export interface ApiReply {
  status: number;
  contentType: string;
  body: string;
}

const API_VERSION = '2016-11-15';
/** Parameters that do not make two calls with one ClientToken different. */
const NOT_FINGERPRINTED = new Set(['ClientToken', 'DryRun', 'Action', 'Version']);

function bucketFor(
  em: Emulator,
  action: string,
  entry: Ec2Action,
  params: QueryParams,
): { key: string; config: BucketConfig } {
  const override = em.options.throttleOverrides[action];
  if (override) return { key: action, config: override };
  if (entry.category === 'uncategorized') return { key: action, config: UNCATEGORIZED[action] ?? MUTATING };
  if (entry.category === 'mutating') return { key: action, config: MUTATING };
  // Filtering or paging keeps a call in the larger bucket; bare calls of a few heavy APIs go to a smaller one.
  const unfiltered =
    !params.has('Filter') &&
    !params.has('MaxResults') &&
    params.entries(new Set()).every(([k]) => !/Id\.\d+$/.test(k));
  if (UNFILTERED_SENSITIVE_ACTIONS.has(action) && unfiltered) {
    return { key: `${action}:unfiltered`, config: UNFILTERED_NON_MUTATING };
  }
  return { key: action, config: NON_MUTATING };
}

function run(em: Emulator, params: QueryParams, region: string): { action: string; body: WireObject } {
  const action = params.str('Action');
  if (!action) throw new ApiError('MissingAction', 'The request must contain the parameter Action');
  const version = params.str('Version');
  if (version !== API_VERSION) {
    throw new ApiError(
      'NoSuchVersion',
      `The requested version (${version ?? ''}) of service AmazonEC2 does not exist`,
    );
  }
  const entry = EC2_ACTIONS[action];
  if (!entry) throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
  em.counters.request(action);
  const fault = em.rollFault();
  if (fault === 'throttle') throw new ApiError('RequestLimitExceeded', 'Request limit exceeded.', 503);
  if (fault === 'error') throw new ApiError('InternalError', 'An internal error has occurred.', 500);
  if (em.options.throttling) {
    const bucket = bucketFor(em, action, entry, params);
    if (!em.throttler.take(region, bucket.key, bucket.config)) {
      em.counters.throttled++;
      throw new ApiError('RequestLimitExceeded', 'Request limit exceeded.', 503);
    }
  }
  if (params.bool('DryRun')) {
    throw new ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
  }
  const ctx = em.ec2Context(region);
  const token = entry.idempotent ? params.str('ClientToken') : undefined;
  const fingerprint = JSON.stringify(params.entries(NOT_FINGERPRINTED));
  if (token !== undefined) {
    const key = `${action}:${token}`;
    let seen: IdempotencyRecord | undefined = ctx.region.clientTokens[key];
    if (seen && em.clock.now() - (seen.at ?? em.clock.now()) >= em.options.clientTokenTtlMs) {
      // Expired: EC2 no longer knows the token, so the call is a new request.
      delete ctx.region.clientTokens[key];
      seen = undefined;
    }
    if (seen) {
      if (seen.fingerprint !== fingerprint) {
        throw new ApiError(
          'IdempotentParameterMismatch',
          `The client token you have provided is associated with a resource that is already deleted or has different parameters. Please use a different client token.`,
        );
      }
      if (
        em.options.clientTokenAfterDelete === 'mismatch' &&
        seen.sessionId !== undefined &&
        ctx.region.trafficMirrorSessions[seen.sessionId] === undefined
      ) {
        throw new ApiError(
          'IdempotentParameterMismatch',
          `The client token you have provided is associated with a resource that is already deleted or has different parameters. Please use a different client token.`,
        );
      }
      // The original answer, even if that resource has been deleted since.
      return { action, body: seen.response as WireObject };
    }
  }
  const body = entry.handler(ctx, params);
  if (token !== undefined) {
    const session = (body as { trafficMirrorSession?: { trafficMirrorSessionId?: unknown } })
      .trafficMirrorSession?.trafficMirrorSessionId;
    ctx.region.clientTokens[`${action}:${token}`] = {
      action,
      fingerprint,
      response: body,
      at: em.clock.now(),
      ...(typeof session === 'string' ? { sessionId: session } : {}),
    };
  }
  if (entry.category !== 'non-mutating') em.store.changed();
  return { action, body };
}

/** One EC2 Query request -> its XML answer (success or AWS-style error). */
export function dispatchEc2(em: Emulator, rawBody: string, region: string, requestId: string): ApiReply {
  const params = QueryParams.fromBody(rawBody);
  try {
    const { action, body } = run(em, params, region);
    return {
      status: 200,
      contentType: 'text/xml;charset=UTF-8',
      body: renderEc2Response(action, requestId, body),
    };
  } catch (error) {
    const apiError = toApiError(error, 'EC2', 'InternalError');
    em.counters.error(apiError.awsCode);
    return {
      status: apiError.httpStatus,
      contentType: 'text/xml;charset=UTF-8',
      body: renderEc2Error(apiError.awsCode, apiError.message, requestId),
    };
  }
}
