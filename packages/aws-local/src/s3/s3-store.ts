import { createHash } from 'node:crypto';

export interface S3Object {
  readonly body: Buffer;
  /** Quoted, as S3 sends it: the MD5 of the body, or of the parts' MD5s with `-N` for multipart. */
  readonly etag: string;
  readonly lastModified: Date;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** The access key id that signed the write (tells a test which role's session wrote it). */
  readonly writtenBy?: string;
}

export interface MultipartUpload {
  readonly key: string;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly parts: Map<number, { body: Buffer; etag: string }>;
}

/** S3's error, by its code, HTTP status and message (rendered as S3's XML <Error>). */
export class S3Failure extends Error {
  constructor(
    readonly s3Code: string,
    readonly status: number,
    message: string,
    /** The header a PreconditionFailed names in its <Condition>. */
    readonly condition?: string,
  ) {
    super(message);
  }
}

export const md5Etag = (body: Buffer): string => `"${createHash('md5').update(body).digest('hex')}"`;

/**
 * Buckets, objects and multipart uploads, in memory: what a test or a demo puts there lasts as long
 * as the emulator (the --state file holds EC2 and ECS only).
 */
export class S3Store {
  private readonly buckets = new Map<string, { created: Date; objects: Map<string, S3Object> }>();
  private readonly uploads = new Map<string, MultipartUpload & { bucket: string }>();
  private nextUpload = 1;

  createBucket(name: string): void {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) {
      throw new S3Failure('InvalidBucketName', 400, 'The specified bucket is not valid.');
    }
    if (this.buckets.has(name)) {
      throw new S3Failure(
        'BucketAlreadyOwnedByYou',
        409,
        'Your previous request to create the named bucket succeeded and you already own it.',
      );
    }
    this.buckets.set(name, { created: new Date(), objects: new Map() });
  }

  listBuckets(): { name: string; created: Date }[] {
    return [...this.buckets]
      .map(([name, b]) => ({ name, created: b.created }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  deleteBucket(name: string): void {
    if (this.objects(name).size > 0)
      throw new S3Failure('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty');
    this.buckets.delete(name);
  }

  objects(bucket: string): Map<string, S3Object> {
    const b = this.buckets.get(bucket);
    if (b === undefined) throw new S3Failure('NoSuchBucket', 404, 'The specified bucket does not exist');
    return b.objects;
  }

  /**
   * Stores an object; with `ifNoneMatch` (S3's `If-None-Match: *`) only where the key holds none yet,
   * else S3's 412 PreconditionFailed (a writer that may have sent it before learns it is there).
   */
  put(bucket: string, key: string, object: Omit<S3Object, 'lastModified'>, ifNoneMatch = false): S3Object {
    if (ifNoneMatch) this.refuseExisting(bucket, key);
    const stored = { ...object, lastModified: new Date() };
    this.objects(bucket).set(key, stored);
    return stored;
  }

  private refuseExisting(bucket: string, key: string): void {
    if (this.objects(bucket).has(key))
      throw new S3Failure(
        'PreconditionFailed',
        412,
        'At least one of the pre-conditions you specified did not hold',
        'If-None-Match',
      );
  }

  get(bucket: string, key: string): S3Object {
    const object = this.objects(bucket).get(key);
    if (object === undefined) throw new S3Failure('NoSuchKey', 404, 'The specified key does not exist.');
    return object;
  }

  delete(bucket: string, key: string): void {
    this.objects(bucket).delete(key);
  }

  createUpload(bucket: string, key: string, contentType: string, metadata: Record<string, string>): string {
    this.objects(bucket);
    const id = `upload-${this.nextUpload++}-${createHash('sha1').update(`${bucket}/${key}/${Date.now()}`).digest('hex').slice(0, 16)}`;
    this.uploads.set(id, { bucket, key, contentType, metadata, parts: new Map() });
    return id;
  }

  upload(bucket: string, key: string, id: string): MultipartUpload {
    const upload = this.uploads.get(id);
    if (upload === undefined || upload.bucket !== bucket || upload.key !== key) {
      throw new S3Failure('NoSuchUpload', 404, 'The specified multipart upload does not exist.');
    }
    return upload;
  }

  /** Joins the listed parts (each as uploaded, in ascending order) into the object. */
  complete(
    bucket: string,
    key: string,
    id: string,
    listed: { partNumber: number; etag: string }[],
    ifNoneMatch = false,
    writtenBy?: string,
  ): S3Object {
    const upload = this.upload(bucket, key, id);
    // Refused before the parts are joined: the upload stays, to be aborted (or completed unconditionally).
    if (ifNoneMatch) this.refuseExisting(bucket, key);
    if (listed.length === 0)
      throw new S3Failure('MalformedXML', 400, 'The XML you provided was not well-formed.');
    const bodies: Buffer[] = [];
    const digests: Buffer[] = [];
    let previous = 0;
    for (const { partNumber, etag } of listed) {
      if (partNumber <= previous)
        throw new S3Failure('InvalidPartOrder', 400, 'The list of parts was not in ascending order.');
      previous = partNumber;
      const part = upload.parts.get(partNumber);
      if (part === undefined || part.etag.replace(/"/g, '') !== etag.replace(/"/g, '')) {
        throw new S3Failure('InvalidPart', 400, 'One or more of the specified parts could not be found.');
      }
      bodies.push(part.body);
      digests.push(Buffer.from(part.etag.replace(/"/g, ''), 'hex'));
    }
    const etag = `"${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${listed.length}"`;
    this.uploads.delete(id);
    return this.put(bucket, key, {
      body: Buffer.concat(bodies),
      etag,
      contentType: upload.contentType,
      metadata: upload.metadata,
      writtenBy,
    });
  }

  abort(bucket: string, key: string, id: string): void {
    this.upload(bucket, key, id);
    this.uploads.delete(id);
  }
}
