import type { IncomingMessage } from 'node:http';
import { createControl } from '../control.js';
import type { ApiReply } from '../ec2/dispatch.js';
import type { Emulator } from '../emulator.js';
import { type AwsLocalErrorCode, isAwsLocalError } from '../errors.js';
import { ManualClock } from '../util/clock.js';

function json(status: number, value: unknown): ApiReply {
  return { status, contentType: 'application/json', body: `${JSON.stringify(value)}\n` };
}

function badRequest(em: Emulator, code: AwsLocalErrorCode, message: string): ApiReply {
  em.counters.badAdminRequests++;
  return json(400, { code, message });
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body === '' ? '{}' : body);
  } catch {
    return undefined;
  }
}

/**
 * The admin endpoint, beside the AWS APIs on the same port:
 * - GET  /_admin/state   resource counts, counters, faults
 * - GET  /_admin/faults  current faults; POST a partial JSON object to change them,
 *                        DELETE to clear them all
 * - POST /_admin/advance {"ms": N} moves a manual clock
 * - POST /_admin/flush-events delivers held and delayed events now
 * - POST /_admin/stop-container {"taskArn", "containerName", "exitCode"?, "reason"?} makes one
 *                        container of a running task exit (the task stops if it is essential)
 */
export async function handleAdmin(em: Emulator, request: IncomingMessage, body: string): Promise<ApiReply> {
  const path = (request.url ?? '').split('?')[0];
  const method = request.method ?? 'GET';
  if (path === '/_admin/state' && method === 'GET') return json(200, em.summary());
  if (path === '/_admin/faults') {
    if (method === 'GET') return json(200, em.faults);
    if (method === 'DELETE') {
      em.clearFaults();
      return json(200, em.faults);
    }
    if (method === 'POST') {
      const update = parse(body);
      if (update === undefined) return badRequest(em, 'AWS_LOCAL_ADMIN_BAD_JSON', 'body must be JSON');
      try {
        return json(200, em.setFaults(update as Record<string, number>));
      } catch (error) {
        if (isAwsLocalError(error)) return badRequest(em, error.code, error.message);
        throw error;
      }
    }
  }
  if (path === '/_admin/advance' && method === 'POST') {
    const request = parse(body) as { ms?: unknown } | undefined;
    if (!(em.clock instanceof ManualClock)) {
      return badRequest(em, 'AWS_LOCAL_CLOCK_NOT_MANUAL', 'advance needs the manual clock (clock: "manual")');
    }
    if (typeof request?.ms !== 'number' || !(request.ms >= 0)) {
      return badRequest(em, 'AWS_LOCAL_ADMIN_BAD_REQUEST', 'body must be {"ms": <number >= 0>}');
    }
    em.clock.advance(request.ms);
    return json(200, { now: new Date(em.clock.now()).toISOString() });
  }
  if (path === '/_admin/flush-events' && method === 'POST') {
    await em.events.flush();
    return json(200, em.events.counters);
  }
  if (path === '/_admin/stop-container' && method === 'POST') {
    const r = parse(body) as Record<string, unknown> | undefined;
    if (
      typeof r?.taskArn !== 'string' ||
      typeof r.containerName !== 'string' ||
      (r.exitCode !== undefined && !Number.isInteger(r.exitCode)) ||
      (r.reason !== undefined && typeof r.reason !== 'string')
    ) {
      return badRequest(
        em,
        'AWS_LOCAL_ADMIN_BAD_REQUEST',
        'body must be {"taskArn": string, "containerName": string, "exitCode"?: integer, "reason"?: string}',
      );
    }
    try {
      return json(
        200,
        createControl(em).stopContainer({
          taskArn: r.taskArn,
          containerName: r.containerName,
          ...(r.exitCode !== undefined ? { exitCode: r.exitCode as number } : {}),
          ...(typeof r.reason === 'string' ? { reason: r.reason } : {}),
        }),
      );
    } catch (error) {
      if (isAwsLocalError(error)) return badRequest(em, error.code, error.message);
      throw error;
    }
  }
  const code: AwsLocalErrorCode = 'AWS_LOCAL_ADMIN_NOT_FOUND';
  return json(404, { code, message: `no admin route ${method} ${path}` });
}
