import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type ApiReply, dispatchEc2 } from '../ec2/dispatch.js';
import { renderEc2Error } from '../ec2/xml.js';
import { dispatchEcs } from '../ecs/dispatch.js';
import type { Emulator } from '../emulator.js';
import { AwsLocalError, isAwsLocalError } from '../errors.js';
import { handleS3 } from '../s3/s3-handler.js';
import type { S3Store } from '../s3/s3-store.js';
import { dispatchSts } from '../sts/sts-handler.js';
import type { StsSessions } from '../sts/sts-sessions.js';
import { uuid } from '../util/random.js';
import { handleAdmin } from './admin.js';
import { hostRegion, signingScope } from './signing.js';

const MAX_BODY_BYTES = 10 * 1024 * 1024;

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(
          new AwsLocalError('AWS_LOCAL_BODY_TOO_LARGE', `request body larger than ${MAX_BODY_BYTES} bytes`),
        );
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function missingAuthentication(isEcs: boolean, requestId: string): ApiReply {
  if (isEcs) {
    return {
      status: 400,
      contentType: 'application/x-amz-json-1.1',
      body: JSON.stringify({
        __type: 'MissingAuthenticationTokenException',
        message: 'Missing Authentication Token',
      }),
    };
  }
  return {
    status: 401,
    contentType: 'text/xml;charset=UTF-8',
    body: renderEc2Error(
      'AuthFailure',
      'AWS was not able to validate the provided access credentials',
      requestId,
    ),
  };
}

async function route(
  em: Emulator,
  sts: StsSessions,
  request: IncomingMessage,
  requestId: string,
): Promise<ApiReply> {
  const body = await readBody(request);
  if ((request.url ?? '').startsWith('/_admin/')) return handleAdmin(em, request, body);
  const target = request.headers['x-amz-target'];
  const isEcs = typeof target === 'string';
  // Any SigV4 signature is accepted, but like AWS an unsigned call is refused.
  const authorization = request.headers.authorization;
  if (!authorization) {
    em.counters.error('MissingAuthentication');
    return missingAuthentication(isEcs, requestId);
  }
  const scope = signingScope(authorization);
  if (scope.service === 'sts') return dispatchSts(sts, body, scope.accessKeyId, requestId);
  const region = scope.region ?? hostRegion(request.headers.host) ?? em.options.defaultRegion;
  if (isEcs) return dispatchEcs(em, target, body, region);
  return dispatchEc2(em, body, region, requestId);
}

export function createApiServer(em: Emulator, s3: S3Store, sts: StsSessions): Server {
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    const requestId = uuid();
    // S3 is told apart by its SigV4 credential scope (`.../s3/aws4_request`): its paths are buckets.
    if (signingScope(request.headers.authorization).service === 's3') {
      void handleS3(s3, request, response, requestId, (key, action) => sts.authorizeS3(key, action));
      return;
    }
    void (async () => {
      let reply: ApiReply;
      try {
        reply = await route(em, sts, request, requestId);
      } catch (error) {
        const tooLarge = isAwsLocalError(error) && error.code === 'AWS_LOCAL_BODY_TOO_LARGE';
        reply = {
          status: tooLarge ? 413 : 500,
          contentType: 'text/plain',
          body: tooLarge ? 'request body too large' : 'internal error',
        };
      }
      const latency = em.faults.latencyMs;
      if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
      if (response.destroyed) return;
      response.writeHead(reply.status, {
        'content-type': reply.contentType,
        'content-length': Buffer.byteLength(reply.body),
        'x-amzn-requestid': requestId,
        'x-amz-request-id': requestId,
      });
      response.end(reply.body);
    })();
  });
}
