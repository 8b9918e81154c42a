import type { S3Object } from './s3-store.js';
import { document, element } from './s3-xml.js';

/** ListObjectsV2 over one bucket's keys: prefix, delimiter, max-keys, start-after, continuation. */
export function listObjectsV2(
  bucket: string,
  objects: Map<string, S3Object>,
  query: URLSearchParams,
): string {
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const maxKeys = Math.min(1000, Math.max(0, Number(query.get('max-keys') ?? 1000) || 0));
  const token = query.get('continuation-token');
  const startAfter = query.get('start-after') ?? '';
  const after = token !== null ? Buffer.from(token, 'base64url').toString('utf8') : startAfter;
  const urlEncoded = query.get('encoding-type') === 'url';
  const enc = (s: string) => (urlEncoded ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
  const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
  const contents: string[] = [];
  const prefixes: string[] = [];
  const seen = new Set<string>();
  let last = '';
  let truncated = false;
  for (const key of keys) {
    let common: string | undefined;
    if (delimiter !== '') {
      const at = key.indexOf(delimiter, prefix.length);
      if (at >= 0) common = key.slice(0, at + delimiter.length);
    }
    // Keys under a common prefix already listed add nothing, and are skipped past.
    if (common !== undefined && seen.has(common)) {
      last = key;
      continue;
    }
    if (contents.length + prefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    if (common !== undefined) {
      seen.add(common);
      prefixes.push(`<CommonPrefixes>${element('Prefix', enc(common))}</CommonPrefixes>`);
    } else {
      const o = objects.get(key) as S3Object;
      contents.push(
        `<Contents>${element('Key', enc(key))}${element('LastModified', o.lastModified.toISOString())}${element('ETag', o.etag)}${element('Size', o.body.length)}${element('StorageClass', 'STANDARD')}</Contents>`,
      );
    }
    last = key;
  }
  return document(
    'ListBucketResult',
    [
      element('Name', bucket),
      element('Prefix', enc(prefix)),
      delimiter !== '' ? element('Delimiter', enc(delimiter)) : '',
      element('MaxKeys', maxKeys),
      urlEncoded ? element('EncodingType', 'url') : '',
      element('KeyCount', contents.length + prefixes.length),
      element('IsTruncated', truncated),
      token !== null ? element('ContinuationToken', token) : '',
      startAfter !== '' ? element('StartAfter', enc(startAfter)) : '',
      truncated ? element('NextContinuationToken', Buffer.from(last, 'utf8').toString('base64url')) : '',
      ...contents,
      ...prefixes,
    ].join(''),
  );
}
