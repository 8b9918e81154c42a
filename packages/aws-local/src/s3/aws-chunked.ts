import { S3Failure } from './s3-store.js';

/**
 * The payload of a body sent with `Content-Encoding: aws-chunked` (SigV4 streaming, signed or
 * unsigned, with or without checksum trailers, as the AWS CLI and SDK v3 send uploads):
 * `<hex size>[;chunk-signature=...]\r\n<bytes>\r\n` ... `0...\r\n[trailers]\r\n`. Signatures and
 * trailing checksums are not verified, as no signature is.
 */
export function decodeAwsChunked(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0)
      throw new S3Failure('IncompleteBody', 400, 'The aws-chunked body ended inside a chunk header.');
    const header = body.subarray(at, lineEnd).toString('latin1');
    const size = Number.parseInt(header.split(';')[0], 16);
    if (!Number.isFinite(size) || size < 0) {
      throw new S3Failure('InvalidRequest', 400, `Bad aws-chunked chunk header '${header.slice(0, 40)}'.`);
    }
    at = lineEnd + 2;
    if (size === 0) return Buffer.concat(out);
    if (at + size > body.length)
      throw new S3Failure('IncompleteBody', 400, 'The aws-chunked body ended inside a chunk.');
    out.push(body.subarray(at, at + size));
    at += size + 2;
  }
}
