import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * The ETag S3 gives a file uploaded whole (the MD5 of its bytes) or in parts of `partBytes` (the MD5
 * of the parts' MD5s, then `-N`), quoted as S3 sends it: what an object already at a key must show
 * to be this file. `multipart` (from the object's own ETag, `-N` or not) says which form.
 */
export async function localEtag(path: string, partBytes: number, multipart: boolean): Promise<string> {
  const whole = createHash('md5');
  const partDigests: Buffer[] = [];
  let part = createHash('md5');
  let inPart = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    if (!multipart) {
      whole.update(chunk);
      continue;
    }
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(partBytes - inPart, chunk.length - offset);
      part.update(chunk.subarray(offset, offset + take));
      inPart += take;
      offset += take;
      if (inPart === partBytes) {
        partDigests.push(part.digest());
        part = createHash('md5');
        inPart = 0;
      }
    }
  }
  if (!multipart) return `"${whole.digest('hex')}"`;
  if (inPart > 0 || partDigests.length === 0) partDigests.push(part.digest());
  return `"${createHash('md5').update(Buffer.concat(partDigests)).digest('hex')}-${partDigests.length}"`;
}
