import type { ApiReply } from '../ec2/dispatch.js';
import type { Emulator } from '../emulator.js';
import { ApiError } from '../errors.js';
import { toApiError } from '../http/handler-failure.js';
import { ECS_ACTIONS } from './actions.js';
import type { EcsInput } from './context.js';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** Drops undefined members so the JSON has only what is set, as AWS answers. */
function serialize(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (v === null ? undefined : v));
}

function run(em: Emulator, target: string, rawBody: string, region: string): unknown {
  if (!target.startsWith(ECS_TARGET_PREFIX)) {
    throw new ApiError('UnknownOperationException', `Unknown operation ${target}`);
  }
  const operation = target.slice(ECS_TARGET_PREFIX.length);
  const entry = ECS_ACTIONS[operation];
  if (!entry) throw new ApiError('UnknownOperationException', `Unknown operation ${operation}`);
  em.counters.request(`ecs:${operation}`);
  let input: unknown;
  try {
    input = rawBody.trim() === '' ? {} : JSON.parse(rawBody);
  } catch {
    throw new ApiError('SerializationException', 'Request body is not valid JSON.');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ApiError('SerializationException', 'Request body must be a JSON object.');
  }
  const fault = em.rollFault();
  if (fault === 'throttle') throw new ApiError('ThrottlingException', 'Rate exceeded', 400);
  if (fault === 'error')
    throw new ApiError('ServerException', 'Service Unavailable. Please try again later.', 500);
  const output = entry.handler(em.ecsContext(region), input as EcsInput);
  if (entry.mutating) em.store.changed();
  return output;
}

/** One ECS JSON 1.1 request -> its JSON answer; errors as `{"__type", "message"}`. */
export function dispatchEcs(em: Emulator, target: string, rawBody: string, region: string): ApiReply {
  try {
    const output = run(em, target, rawBody, region);
    return { status: 200, contentType: CONTENT_TYPE, body: serialize(output) };
  } catch (error) {
    const apiError = toApiError(error, 'ECS', 'ServerException');
    em.counters.error(apiError.awsCode);
    return {
      status: apiError.httpStatus,
      contentType: CONTENT_TYPE,
      body: JSON.stringify({ __type: apiError.awsCode, message: apiError.message }),
    };
  }
}
