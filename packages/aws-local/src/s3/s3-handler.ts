import type { IncomingMessage, ServerResponse } from 'node:http';
import { signingScope } from '../http/signing.js';
import type { S3Action } from '../sts/sts-sessions.js';
import { decodeAwsChunked } from './aws-chunked.js';
import { listObjectsV2 } from './list-objects.js';
import { md5Etag, S3Failure, type S3Object, type S3Store } from './s3-store.js';
import { completedParts, deleteKeys, document, element, errorDocument } from './s3-xml.js';

/** The largest request body S3 takes here (a part or a single PUT); S3 allows 5 GiB. */
const MAX_S3_BODY_BYTES = 512 * 1024 * 1024;

interface Reply {
  status: number;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  /** HEAD: the headers of a body, without it. */
  headOnly?: boolean;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_S3_BODY_BYTES) {
        reject(
          new S3Failure('EntityTooLarge', 400, `Your proposed upload exceeds ${MAX_S3_BODY_BYTES} bytes.`),
        );
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** The payload: aws-chunked bodies (streaming SigV4, checksum trailers) decoded. */
async function payloadOf(request: IncomingMessage): Promise<Buffer> {
  const raw = await readBody(request);
  const encoding = request.headers['content-encoding'] ?? '';
  const sha = String(request.headers['x-amz-content-sha256'] ?? '');
  return encoding.includes('aws-chunked') || sha.startsWith('STREAMING-') ? decodeAwsChunked(raw) : raw;
}

function metadataOf(request: IncomingMessage): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name.slice(11)] = value;
  }
  return metadata;
}

function objectHeaders(o: S3Object): Record<string, string | number> {
  const headers: Record<string, string | number> = {
    etag: o.etag,
    'last-modified': o.lastModified.toUTCString(),
    'content-type': o.contentType,
    'accept-ranges': 'bytes',
  };
  for (const [name, value] of Object.entries(o.metadata)) headers[`x-amz-meta-${name}`] = value;
  return headers;
}

/** GetObject's `Range: bytes=a-b`, `a-` or `-n`. */
function ranged(o: S3Object, range: string | undefined, headOnly: boolean): Reply {
  const headers = objectHeaders(o);
  const size = o.body.length;
  if (range === undefined) return { status: 200, headers, body: o.body, headOnly };
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (m === null || (m[1] === '' && m[2] === '')) return { status: 200, headers, body: o.body, headOnly };
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) {
    throw new S3Failure('InvalidRange', 416, 'The requested range is not satisfiable');
  }
  headers['content-range'] = `bytes ${start}-${end}/${size}`;
  return { status: 206, headers, body: o.body.subarray(start, end + 1), headOnly };
}

/**
 * `If-None-Match: *` (write only where no object is): S3 takes `*` alone on PutObject and
 * CompleteMultipartUpload; an ETag there is refused as S3 does, 501.
 */
function ifNoneMatch(request: IncomingMessage): boolean {
  const value = request.headers['if-none-match'];
  if (value === undefined) return false;
  if (value.trim() === '*') return true;
  throw new S3Failure(
    'NotImplemented',
    501,
    'A header you provided implies functionality that is not implemented',
  );
}

const xml = (body: string, status = 200): Reply => ({
  status,
  headers: { 'content-type': 'application/xml' },
  body,
});

/** Whether the request's signer may do an object action: the failure to answer with, if not. */
export type S3Authorizer = (accessKeyId: string | undefined, action: S3Action) => S3Failure | undefined;

function actionOf(method: string): S3Action | undefined {
  if (method === 'GET' || method === 'HEAD') return 's3:GetObject';
  if (method === 'PUT' || method === 'POST') return 's3:PutObject';
  if (method === 'DELETE') return 's3:DeleteObject';
  return undefined;
}

async function dispatch(store: S3Store, request: IncomingMessage, authorize: S3Authorizer): Promise<Reply> {
  const url = new URL(request.url ?? '/', 'http://s3.local');
  const q = url.searchParams;
  const method = request.method ?? 'GET';
  // Path-style: /bucket/key (the key may hold slashes, percent-encoded or not).
  const path = url.pathname.slice(1);
  const slash = path.indexOf('/');
  const bucket = decodeURIComponent(slash < 0 ? path : path.slice(0, slash));
  const key = slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1));

  if (bucket === '') {
    if (method !== 'GET')
      throw new S3Failure(
        'MethodNotAllowed',
        405,
        'The specified method is not allowed against this resource.',
      );
    const buckets = store
      .listBuckets()
      .map(
        (b) =>
          `<Bucket>${element('Name', b.name)}${element('CreationDate', b.created.toISOString())}</Bucket>`,
      )
      .join('');
    return xml(
      document(
        'ListAllMyBucketsResult',
        `<Owner>${element('ID', 'aws-local')}</Owner><Buckets>${buckets}</Buckets>`,
      ),
    );
  }

  if (key === '') {
    switch (method) {
      case 'PUT':
        await readBody(request);
        store.createBucket(bucket);
        return { status: 200, headers: { location: `/${bucket}` } };
      case 'HEAD':
        store.objects(bucket);
        return { status: 200, headers: { 'x-amz-bucket-region': 'us-east-1' } };
      case 'DELETE':
        store.deleteBucket(bucket);
        return { status: 204 };
      case 'GET':
        if (q.has('location')) {
          store.objects(bucket);
          return xml(document('LocationConstraint', ''));
        }
        return xml(listObjectsV2(bucket, store.objects(bucket), q));
      case 'POST':
        if (q.has('delete')) {
          const keys = deleteKeys((await payloadOf(request)).toString('utf8'));
          for (const k of keys) store.delete(bucket, k);
          return xml(
            document('DeleteResult', keys.map((k) => `<Deleted>${element('Key', k)}</Deleted>`).join('')),
          );
        }
        break;
    }
    throw new S3Failure(
      'NotImplemented',
      501,
      'A header or query you provided implies functionality that is not implemented.',
    );
  }

  const action = actionOf(method);
  const refused =
    action === undefined
      ? undefined
      : authorize(signingScope(request.headers.authorization).accessKeyId, action);
  if (refused !== undefined) {
    await readBody(request);
    throw refused;
  }
  const uploadId = q.get('uploadId');
  switch (method) {
    case 'PUT': {
      if (request.headers['x-amz-copy-source'] !== undefined) {
        throw new S3Failure('NotImplemented', 501, 'CopyObject is not emulated.');
      }
      const body = await payloadOf(request);
      if (uploadId !== null) {
        const partNumber = Number(q.get('partNumber'));
        if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
          throw new S3Failure(
            'InvalidArgument',
            400,
            'Part number must be an integer between 1 and 10000, inclusive',
          );
        }
        const etag = md5Etag(body);
        store.upload(bucket, key, uploadId).parts.set(partNumber, { body, etag });
        return { status: 200, headers: { etag } };
      }
      const stored = store.put(
        bucket,
        key,
        {
          body,
          etag: md5Etag(body),
          contentType: request.headers['content-type'] ?? 'binary/octet-stream',
          metadata: metadataOf(request),
          writtenBy: signingScope(request.headers.authorization).accessKeyId,
        },
        ifNoneMatch(request),
      );
      return { status: 200, headers: { etag: stored.etag } };
    }
    case 'POST': {
      if (q.has('uploads')) {
        await readBody(request);
        const id = store.createUpload(
          bucket,
          key,
          request.headers['content-type'] ?? 'binary/octet-stream',
          metadataOf(request),
        );
        return xml(
          document(
            'InitiateMultipartUploadResult',
            element('Bucket', bucket) + element('Key', key) + element('UploadId', id),
          ),
        );
      }
      if (uploadId !== null) {
        const parts = completedParts((await payloadOf(request)).toString('utf8'));
        const o = store.complete(
          bucket,
          key,
          uploadId,
          parts,
          ifNoneMatch(request),
          signingScope(request.headers.authorization).accessKeyId,
        );
        return xml(
          document(
            'CompleteMultipartUploadResult',
            element('Location', `/${bucket}/${key}`) +
              element('Bucket', bucket) +
              element('Key', key) +
              element('ETag', o.etag),
          ),
        );
      }
      break;
    }
    case 'GET':
      return ranged(store.get(bucket, key), request.headers.range, false);
    case 'HEAD':
      return ranged(store.get(bucket, key), request.headers.range, true);
    case 'DELETE':
      if (uploadId !== null) store.abort(bucket, key, uploadId);
      else store.delete(bucket, key);
      return { status: 204 };
  }
  throw new S3Failure(
    'NotImplemented',
    501,
    'A header or query you provided implies functionality that is not implemented.',
  );
}

/**
 * The S3 subset fargate-mirror uses, path-style (`http://host:port/bucket/key`), SigV4 accepted and
 * not verified like the rest of aws-local: buckets, PutObject, multipart uploads, GetObject (ranges),
 * HeadObject, DeleteObject(s), ListObjectsV2.
 */
export async function handleS3(
  store: S3Store,
  request: IncomingMessage,
  response: ServerResponse,
  requestId: string,
  authorize: S3Authorizer,
): Promise<void> {
  let reply: Reply;
  try {
    reply = await dispatch(store, request, authorize);
  } catch (error) {
    if (!(error instanceof S3Failure))
      process.emitWarning(`aws-local: S3 handler failed: ${(error as Error).stack}`);
    const failure =
      error instanceof S3Failure
        ? error
        : new S3Failure('InternalError', 500, 'We encountered an internal error. Please try again.');
    reply = {
      ...xml(
        errorDocument(failure.s3Code, failure.message, request.url ?? '/', requestId, failure.condition),
        failure.status,
      ),
      headOnly: request.method === 'HEAD',
    };
  }
  if (response.destroyed) return;
  const body =
    reply.body === undefined
      ? Buffer.alloc(0)
      : Buffer.isBuffer(reply.body)
        ? reply.body
        : Buffer.from(reply.body);
  response.writeHead(reply.status, {
    ...reply.headers,
    'content-length': body.length,
    'x-amz-request-id': requestId,
  });
  response.end(reply.headOnly ? undefined : body);
}
