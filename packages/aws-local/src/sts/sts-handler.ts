import { escapeXml } from '../s3/s3-xml.js';
import { StsFailure, type StsSessions } from './sts-sessions.js';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export interface StsReply {
  status: number;
  contentType: string;
  body: string;
}

const el = (name: string, value: string | number): string => `<${name}>${escapeXml(String(value))}</${name}>`;

function errorResponse(failure: StsFailure, requestId: string): StsReply {
  const type = failure.status >= 500 ? 'Receiver' : 'Sender';
  return {
    status: failure.status,
    contentType: 'text/xml',
    body: `<ErrorResponse xmlns="${NS}"><Error>${el('Type', type)}${el('Code', failure.stsCode)}${el('Message', failure.message)}</Error>${el('RequestId', requestId)}</ErrorResponse>`,
  };
}

/** The caller's identity as STS would name it, from the SigV4 access key (aws-local has no IAM). */
function callerOf(accessKeyId: string | undefined, sessions: StsSessions): string {
  const session = accessKeyId === undefined ? undefined : sessions.sessionOf(accessKeyId);
  if (session === undefined) return `arn:aws:iam::000000000000:user/${accessKeyId ?? 'anonymous'}`;
  return session.roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/');
}

/**
 * STS's query protocol (form-encoded POST, XML answers), the AssumeRole subset: a receiver assumes
 * a Security Lake provider role with its external id and signs S3 requests with what it gets back.
 */
export function dispatchSts(
  sessions: StsSessions,
  body: string,
  accessKeyId: string | undefined,
  requestId: string,
): StsReply {
  const params = new URLSearchParams(body);
  const action = params.get('Action');
  try {
    if (action !== 'AssumeRole')
      throw new StsFailure(
        'InvalidAction',
        400,
        `Could not find operation ${action ?? '(none)'} for version ${params.get('Version') ?? '(none)'}`,
      );
    const roleArn = params.get('RoleArn');
    const sessionName = params.get('RoleSessionName');
    if (roleArn === null || sessionName === null)
      throw new StsFailure(
        'ValidationError',
        400,
        `1 validation error detected: Value null at '${roleArn === null ? 'roleArn' : 'roleSessionName'}' failed to satisfy constraint: Member must not be null`,
      );
    const s = sessions.assumeRole({
      roleArn,
      sessionName,
      externalId: params.get('ExternalId') ?? undefined,
      durationSeconds: Number(params.get('DurationSeconds') ?? 3600),
      caller: callerOf(accessKeyId, sessions),
    });
    const credentials =
      el('AccessKeyId', s.accessKeyId) +
      el('SecretAccessKey', s.secretAccessKey) +
      el('SessionToken', s.sessionToken) +
      el('Expiration', s.expiration.toISOString());
    const user =
      el('AssumedRoleId', `AROA${s.accessKeyId.slice(4, 20)}:${s.sessionName}`) +
      el('Arn', `arn:aws:sts::${s.accountId}:assumed-role/${s.roleName}/${s.sessionName}`);
    return {
      status: 200,
      contentType: 'text/xml',
      body: `<AssumeRoleResponse xmlns="${NS}"><AssumeRoleResult><Credentials>${credentials}</Credentials><AssumedRoleUser>${user}</AssumedRoleUser>${el('PackedPolicySize', 0)}</AssumeRoleResult><ResponseMetadata>${el('RequestId', requestId)}</ResponseMetadata></AssumeRoleResponse>`,
    };
  } catch (error) {
    if (error instanceof StsFailure) return errorResponse(error, requestId);
    throw error;
  }
}
