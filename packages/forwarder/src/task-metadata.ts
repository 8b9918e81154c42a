// Who we are: ECS task metadata endpoint v4. ECS sets ECS_CONTAINER_METADATA_URI_V4 in every
// container; GET ${uri}/task answers the task (TaskARN, Cluster, AvailabilityZone, LaunchType) with
// its containers, each listing its Networks (awsvpc: the task ENI's IPv4Addresses, IPv6Addresses,
// MACAddress, IPv4SubnetCIDRBlock, PrivateDNSName). The ENI id itself is not in the answer: the
// receiver identifies the task by the outer source address, which is the ENI's IP.
import { connect } from 'node:net';
import { ForwarderError, ForwarderErrorCode } from './errors.js';

export { METADATA_URI_ENV } from './metadata-uri.js';

export interface TaskIdentity {
  readonly taskArn: string;
  readonly cluster: string | undefined;
  readonly family: string | undefined;
  readonly revision: string | undefined;
  readonly availabilityZone: string | undefined;
  readonly launchType: string | undefined;
  /** The task ENI's addresses (every container of an awsvpc task shares them). */
  readonly ipv4Addresses: readonly string[];
  readonly ipv6Addresses: readonly string[];
  readonly macAddress: string | undefined;
  readonly ipv4SubnetCidr: string | undefined;
  readonly privateDnsName: string | undefined;
}

/** GET `${uri}/task`, validated. Throws ForwarderError BAD_TASK_METADATA on any failure. */
export async function readTaskMetadata(uri: string, timeoutMs = 3_000): Promise<TaskIdentity> {
  const url = `${uri.replace(/\/+$/, '')}/task`;
  let body: unknown;
  try {
    body = JSON.parse(await httpGet(url, timeoutMs));
  } catch (e) {
    throw new ForwarderError(
      ForwarderErrorCode.BAD_TASK_METADATA,
      `task metadata ${url}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  return parseTaskMetadata(body, url);
}

export function parseTaskMetadata(body: unknown, source: string): TaskIdentity {
  const issues: string[] = [];
  const t = objectAt(body, '(top)', issues);
  const taskArn = stringAt(t, 'TaskARN', 'TaskARN', issues, true);
  const text = (key: string) => stringAt(t, key, key, issues);
  const task = {
    cluster: text('Cluster'),
    family: text('Family'),
    revision: text('Revision'),
    availabilityZone: text('AvailabilityZone'),
    launchType: text('LaunchType'),
  };
  const networks: Record<string, unknown>[] = [];
  arrayAt(t, 'Containers', 'Containers', issues).forEach((c, i) => {
    const container = objectAt(c, `Containers.${i}`, issues);
    stringAt(container, 'Name', `Containers.${i}.Name`, issues);
    arrayAt(container, 'Networks', `Containers.${i}.Networks`, issues).forEach((n, j) => {
      networks.push(objectAt(n, `Containers.${i}.Networks.${j}`, issues));
    });
  });
  const strings = (key: string) => {
    const out = new Set<string>();
    networks.forEach((n, j) => {
      arrayAt(n, key, `Networks.${j}.${key}`, issues).forEach((a, k) => {
        if (typeof a === 'string') out.add(a);
        else issues.push(`Networks.${j}.${key}.${k}: expected a string`);
      });
    });
    return [...out];
  };
  const first = (key: string) =>
    networks.map((n, j) => stringAt(n, key, `Networks.${j}.${key}`, issues)).find((v) => v !== undefined);
  const identity: TaskIdentity = {
    taskArn: taskArn ?? '',
    ...task,
    ipv4Addresses: strings('IPv4Addresses'),
    ipv6Addresses: strings('IPv6Addresses'),
    macAddress: first('MACAddress'),
    ipv4SubnetCidr: first('IPv4SubnetCIDRBlock'),
    privateDnsName: first('PrivateDNSName'),
  };
  networks.forEach((n, j) => {
    for (const key of ['NetworkMode', 'IPv6SubnetCIDRBlock'])
      stringAt(n, key, `Networks.${j}.${key}`, issues);
  });
  if (issues.length > 0)
    throw new ForwarderError(
      ForwarderErrorCode.BAD_TASK_METADATA,
      `task metadata ${source}: ${[...new Set(issues)].join('; ')}`,
    );
  return identity;
}

// The answer's shape checked by hand rather than with zod: zod is about 12 MiB of the sidecar's
// resident memory once loaded (bench/forwarder), and a task reads its metadata at every start.
function objectAt(value: unknown, path: string, issues: string[]): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value))
    return value as Record<string, unknown>;
  issues.push(`${path}: expected an object`);
  return {};
}
function stringAt(
  o: Record<string, unknown>,
  key: string,
  path: string,
  issues: string[],
  required = false,
): string | undefined {
  const v = o[key];
  if (v === undefined && !required) return undefined;
  if (typeof v === 'string' && (v !== '' || !required)) return v;
  issues.push(`${path}: expected a${required ? ' non-empty' : ''} string`);
  return undefined;
}
function arrayAt(o: Record<string, unknown>, key: string, path: string, issues: string[]): unknown[] {
  const v = o[key];
  if (v === undefined) return [];
  if (Array.isArray(v)) return v;
  issues.push(`${path}: expected an array`);
  return [];
}

/**
 * GET over a plain TCP socket rather than node:http or fetch: the endpoint is plain HTTP on the task's
 * link-local address, node:http costs the sidecar about 7 MiB of resident memory once loaded and
 * fetch (undici) about 13 (bench/forwarder). The request is HTTP/1.0, so the answer comes whole
 * (no chunked encoding) and ends when the agent closes the connection.
 */
function httpGet(url: string, timeoutMs: number): Promise<string> {
  const u = new URL(url);
  if (u.protocol !== 'http:') return Promise.reject(new Error(`not an http:// URL: ${url}`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80) });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('connect', () =>
      socket.end(
        `GET ${u.pathname}${u.search} HTTP/1.0\r\nHost: ${u.host}\r\nAccept: application/json\r\n\r\n`,
      ),
    );
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', (hadError) => {
      if (hadError) return;
      const answer = Buffer.concat(chunks).toString('utf8');
      const head = answer.indexOf('\r\n\r\n');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
      if (status === null || head < 0) reject(new Error('the answer is not HTTP'));
      else if (status[1][0] !== '2') reject(new Error(`HTTP ${status[1]}`));
      else resolve(answer.slice(head + 4));
    });
  });
}
