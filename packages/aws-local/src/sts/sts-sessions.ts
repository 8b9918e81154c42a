import { randomBytes } from 'node:crypto';
import { S3Failure } from '../s3/s3-store.js';

/** The S3 permissions aws-local can withhold from a role's sessions. */
export type S3Action = 's3:GetObject' | 's3:PutObject' | 's3:DeleteObject';

/**
 * A role as aws-local checks it: the external id its trust policy requires, the S3 actions its
 * permissions policy leaves out (a Security Lake provider role may write and not read), and, for
 * tests only, how long its sessions last whatever was asked (AWS issues at least 900 s; a test that
 * shows credentials being renewed before they expire cannot wait that long).
 */
export interface RoleTrust {
  readonly externalId?: string;
  readonly s3Deny?: readonly S3Action[];
  readonly sessionSeconds?: number;
}

export interface AssumedSession {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly externalId?: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** STS's refusal, by its code and HTTP status (rendered as STS's query-protocol <ErrorResponse>). */
export class StsFailure extends Error {
  constructor(
    readonly stsCode: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

/**
 * The roles sessions are issued for and the sessions issued, in memory. A role registered with
 * `trust` demands its external id (as a trust policy's sts:ExternalId condition does); any other
 * well-formed role ARN is assumable, like the rest of aws-local accepting any signature. Each
 * session's access key id is remembered, so a test can tell which role signed a later request.
 */
export class StsSessions {
  private readonly trusts = new Map<string, RoleTrust>();
  private readonly byAccessKey = new Map<string, AssumedSession>();

  trust(roleArn: string, trust: RoleTrust): void {
    this.trusts.set(roleArn, trust);
  }

  assumeRole(input: {
    roleArn: string;
    sessionName: string;
    externalId?: string;
    durationSeconds: number;
    caller: string;
  }): AssumedSession & { accountId: string; roleName: string } {
    const match = ROLE_ARN.exec(input.roleArn);
    if (match === null)
      throw new StsFailure('ValidationError', 400, `${input.roleArn} is not a valid role ARN`);
    if (!/^[\w+=,.@-]{2,64}$/.test(input.sessionName))
      throw new StsFailure(
        'ValidationError',
        400,
        "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint",
      );
    if (input.durationSeconds < 900 || input.durationSeconds > 43_200)
      throw new StsFailure(
        'ValidationError',
        400,
        "1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200",
      );
    const trust = this.trusts.get(input.roleArn);
    const required = trust?.externalId;
    if (required !== undefined && required !== input.externalId)
      throw new StsFailure(
        'AccessDenied',
        403,
        `User: ${input.caller} is not authorized to perform: sts:AssumeRole on resource: ${input.roleArn}`,
      );
    const session: AssumedSession = {
      roleArn: input.roleArn,
      sessionName: input.sessionName,
      externalId: input.externalId,
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(64).toString('base64'),
      expiration: new Date(Date.now() + (trust?.sessionSeconds ?? input.durationSeconds) * 1000),
    };
    this.byAccessKey.set(session.accessKeyId, session);
    return { ...session, accountId: match[1], roleName: match[2] };
  }

  /** The session an access key id was issued for (undefined: a long-term key, or none of ours). */
  sessionOf(accessKeyId: string): AssumedSession | undefined {
    return this.byAccessKey.get(accessKeyId);
  }

  /**
   * Whether a request signed with `accessKeyId` may do `action` in S3: a session past its expiration
   * is refused as S3 does (400 ExpiredToken), an action its role is denied with 403 AccessDenied.
   * Long-term keys (not issued here) may do anything, like the rest of aws-local.
   */
  authorizeS3(accessKeyId: string | undefined, action: S3Action, now = Date.now()): S3Failure | undefined {
    const session = accessKeyId === undefined ? undefined : this.byAccessKey.get(accessKeyId);
    if (session === undefined) return undefined;
    if (session.expiration.getTime() <= now)
      return new S3Failure('ExpiredToken', 400, 'The provided token has expired.');
    if (this.trusts.get(session.roleArn)?.s3Deny?.includes(action))
      return new S3Failure('AccessDenied', 403, 'Access Denied');
    return undefined;
  }

  /** Every AssumeRole that succeeded, oldest first. */
  sessions(): AssumedSession[] {
    return [...this.byAccessKey.values()];
  }
}
