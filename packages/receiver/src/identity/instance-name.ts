import { hostname } from 'node:os';

/** Where the name came from, for the log. */
export type InstanceNameSource = 'imds' | 'hostname';

/**
 * The name of this host for records (`dvc`) and HEC (`host`): the EC2 instance id from the instance
 * metadata service (IMDSv2: a session token, then `meta-data/instance-id`), else the host name. The
 * endpoint is the SDK's `AWS_EC2_METADATA_SERVICE_ENDPOINT` when set. Off EC2 the metadata address
 * does not answer: `timeoutMs` bounds the wait.
 */
export async function instanceName(timeoutMs = 1000): Promise<{ name: string; source: InstanceNameSource }> {
  const endpoint = (process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? 'http://169.254.169.254').replace(
    /\/+$/,
    '',
  );
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    const token = await fetch(`${endpoint}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
      signal,
    });
    if (!token.ok) throw new Error(`token: HTTP ${token.status}`);
    const id = await fetch(`${endpoint}/latest/meta-data/instance-id`, {
      headers: { 'x-aws-ec2-metadata-token': await token.text() },
      signal,
    });
    if (!id.ok) throw new Error(`instance-id: HTTP ${id.status}`);
    const name = (await id.text()).trim();
    if (/^i-[0-9a-f]{8,17}$/.test(name)) return { name, source: 'imds' };
  } catch {
    // not on EC2, or the metadata service is off: the host name
  }
  return { name: hostname(), source: 'hostname' };
}
