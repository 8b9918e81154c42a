// Who we are: ECS task metadata endpoint v4. ECS sets ECS_CONTAINER_METADATA_URI_V4 in every
// container; GET ${uri}/task answers the task (TaskARN, Cluster, AvailabilityZone, LaunchType) with
// its containers, each listing its Networks (awsvpc: the task ENI's IPv4Addresses, IPv6Addresses,
// MACAddress, IPv4SubnetCIDRBlock, PrivateDNSName). The ENI id itself is not in the answer: the
// receiver identifies the task by the outer source address, which is the ENI's IP.
import { get } from 'node:http';
import { z } from 'zod';
import { ForwarderError, ForwarderErrorCode } from './errors.js';

export { METADATA_URI_ENV } from './metadata-uri.js';

const network = z
  .object({
    NetworkMode: z.string().optional(),
    IPv4Addresses: z.array(z.string()).optional(),
    IPv6Addresses: z.array(z.string()).optional(),
    MACAddress: z.string().optional(),
    IPv4SubnetCIDRBlock: z.string().optional(),
    IPv6SubnetCIDRBlock: z.string().optional(),
    PrivateDNSName: z.string().optional(),
  })
  .loose();

const taskResponse = z
  .object({
    TaskARN: z.string().min(1),
    Cluster: z.string().optional(),
    Family: z.string().optional(),
    Revision: z.string().optional(),
    AvailabilityZone: z.string().optional(),
    LaunchType: z.string().optional(),
    Containers: z
      .array(z.object({ Name: z.string().optional(), Networks: z.array(network).optional() }).loose())
      .optional(),
  })
  .loose();

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
  const parsed = taskResponse.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw new ForwarderError(ForwarderErrorCode.BAD_TASK_METADATA, `task metadata ${source}: ${issues}`);
  }
  const t = parsed.data;
  const networks = (t.Containers ?? []).flatMap((c) => c.Networks ?? []);
  const unique = (xs: (string[] | undefined)[]) => [...new Set(xs.flatMap((x) => x ?? []))];
  const first = <K extends keyof z.infer<typeof network>>(key: K) =>
    networks.find((n) => n[key] !== undefined)?.[key];
  return {
    taskArn: t.TaskARN,
    cluster: t.Cluster,
    family: t.Family,
    revision: t.Revision,
    availabilityZone: t.AvailabilityZone,
    launchType: t.LaunchType,
    ipv4Addresses: unique(networks.map((n) => n.IPv4Addresses)),
    ipv6Addresses: unique(networks.map((n) => n.IPv6Addresses)),
    macAddress: first('MACAddress') as string | undefined,
    ipv4SubnetCidr: first('IPv4SubnetCIDRBlock') as string | undefined,
    privateDnsName: first('PrivateDNSName') as string | undefined,
  };
}

/**
 * GET over node:http rather than fetch: the endpoint is plain HTTP on the task's link-local address,
 * and fetch (undici) costs the sidecar about 13 MB of RSS once loaded (bench/forwarder).
 */
function httpGet(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = get(url, { timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('error', reject);
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status > 299) reject(new Error(`HTTP ${status}`));
        else resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}
