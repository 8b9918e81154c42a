import type { EC2Client, NetworkInterface, TrafficMirrorSession } from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import {
  canonicalIp,
  clusterName,
  type IdentitySnapshot,
  type MirrorPointIdentity,
  mirrorPointKey,
  serviceOfGroup,
  type Workload,
} from './workload.js';

/** Tags the controller writes on every session it manages (docs/design.md §4). */
const TAG_CLUSTER = 'fargate-mirror:cluster';
const TAG_SERVICE = 'fargate-mirror:service';
const TAG_TASK_ARN = 'fargate-mirror:task-arn';

const REQUEST_HANDLER = { connectionTimeout: 5000, requestTimeout: 30_000 };

/**
 * The SDK modules, loaded on the first AWS call: a process that only imports the receiver (or
 * `read` without `--aws-identity`) never loads the AWS SDK.
 */
type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
type EcsSdk = typeof import('@aws-sdk/client-ecs');

/** Where identity comes from in the background; the resolver never calls it on the packet path. */
export interface IdentitySource {
  /** Every mirror session, its ENI's addresses, and every running task of the clusters. */
  snapshot(): Promise<IdentitySnapshot>;
  /** The mirror point (vni, outer IP): its session if any, else the ENI that owns the address. */
  lookupMirrorPoint(vni: number, outerIp: string): Promise<MirrorPointIdentity | null>;
  /** The workload whose ENI owns `ip`, or null. */
  lookupAddress(ip: string): Promise<Workload | null>;
}

export interface AwsIdentitySourceOptions {
  /** Clusters whose tasks are mapped (names or ARNs). @default every cluster (ListClusters) */
  readonly clusters?: readonly string[];
  /** Clients to use; by default SDK v3 clients with the default configuration (AWS_ENDPOINT_URL, AWS_REGION...). */
  readonly ec2?: EC2Client;
  readonly ecs?: ECSClient;
  /** A miss never re-lists tasks more often than this. @default 10000 */
  readonly minTaskSweepMs?: number;
}

interface EniFacts {
  readonly eniId: string;
  readonly ips: string[];
}

/**
 * Identity from EC2 and ECS with the SDK's default configuration, so `AWS_ENDPOINT_URL` points it
 * at aws-local. Sessions tagged by the controller name their task; untagged sessions and forwarder
 * traffic (no session: the outer source is the task ENI itself) go ENI -> task through the task
 * attachments of DescribeTasks.
 */
export class AwsIdentitySource implements IdentitySource {
  private ec2Client: EC2Client | undefined;
  private ecsClient: ECSClient | undefined;
  private ec2Sdk: Promise<Ec2Sdk & { client: EC2Client }> | undefined;
  private ecsSdk: Promise<EcsSdk & { client: ECSClient }> | undefined;
  private readonly clusters: readonly string[] | undefined;
  private readonly minTaskSweepMs: number;
  private tasksByEni = new Map<string, Workload>();
  private tasksByIp = new Map<string, Workload>();
  private lastTaskSweep = 0;
  private sweeping: Promise<void> | undefined;

  constructor(options: AwsIdentitySourceOptions = {}) {
    // Request handler options given as values: left to the SDK, it builds them from a promise it
    // never awaits until a request is sent, so a configuration it cannot load (no HOME, no passwd
    // entry) fails that promise unhandled and kills the thread. Timeouts also keep an endpoint that
    // never answers from holding a refresh forever.
    this.ec2Client = options.ec2;
    this.ecsClient = options.ecs;
    this.clusters = options.clusters;
    this.minTaskSweepMs = options.minTaskSweepMs ?? 10_000;
  }

  destroy(): void {
    this.ec2Client?.destroy();
    this.ecsClient?.destroy();
  }

  async snapshot(): Promise<IdentitySnapshot> {
    await this.sweepTasks(true);
    const sessions = await this.describeSessions([]);
    const sessionEnis = await this.describeEnis(
      [],
      [...new Set(sessions.map((s) => s.NetworkInterfaceId ?? '').filter(Boolean))],
    );
    const mirrorPoints = new Map<string, MirrorPointIdentity>();
    const addresses = new Map(this.tasksByIp);
    // Every task ENI with all its addresses (secondary and IPv6 too): forwarder traffic arrives
    // from the task ENI's address without any session.
    const taskEnis = await this.describeEnis([], [...this.tasksByEni.keys()]);
    const enis = new Map<string, MirrorPointIdentity>();
    for (const [eniId, eni] of taskEnis) {
      const workload = this.tasksByEni.get(eniId) ?? null;
      const identity: MirrorPointIdentity = {
        mirror_session_id: null,
        eni_id: eniId,
        eni_ips: eni.ips,
        workload,
      };
      for (const ip of eni.ips) {
        enis.set(ip, identity);
        if (workload !== null && !addresses.has(ip)) addresses.set(ip, workload);
      }
    }
    for (const s of sessions) {
      const eni = sessionEnis.get(s.NetworkInterfaceId ?? '');
      if (eni === undefined || s.VirtualNetworkId === undefined) continue; // ENI gone meanwhile
      const identity = this.pointIdentity(s, eni);
      for (const ip of eni.ips) {
        mirrorPoints.set(mirrorPointKey(s.VirtualNetworkId, ip), identity);
        if (identity.workload !== null && !addresses.has(ip)) addresses.set(ip, identity.workload);
      }
    }
    return { mirrorPoints, addresses, enis };
  }

  async lookupMirrorPoint(vni: number, outerIp: string): Promise<MirrorPointIdentity | null> {
    const eni = await this.eniOwning(outerIp);
    if (eni === undefined) return null;
    const sessions = await this.describeSessions([{ Name: 'network-interface-id', Values: [eni.eniId] }]);
    const session = sessions.find((s) => s.VirtualNetworkId === vni);
    if (session !== undefined) return this.pointIdentity(session, eni);
    // No session with this VNI on the ENI: forwarder traffic (the task sends the mirror format itself).
    return {
      mirror_session_id: null,
      eni_id: eni.eniId,
      eni_ips: eni.ips,
      workload: await this.workloadOfEni(eni.eniId),
    };
  }

  async lookupAddress(ip: string): Promise<Workload | null> {
    const known = this.tasksByIp.get(ip);
    if (known !== undefined) return known;
    const eni = await this.eniOwning(ip);
    return eni === undefined ? null : this.workloadOfEni(eni.eniId);
  }

  private pointIdentity(s: TrafficMirrorSession, eni: EniFacts): MirrorPointIdentity {
    const tag = (key: string) => s.Tags?.find((t) => t.Key === key)?.Value;
    const cluster = tag(TAG_CLUSTER);
    const taskArn = tag(TAG_TASK_ARN);
    // Tags (written by the controller) first; an untagged session is resolved through its ENI.
    const workload: Workload | null =
      cluster !== undefined && taskArn !== undefined
        ? {
            cluster: clusterName(cluster),
            service: tag(TAG_SERVICE) ?? null,
            task_arn: taskArn,
            eni_id: eni.eniId,
          }
        : (this.tasksByEni.get(eni.eniId) ?? null);
    return {
      mirror_session_id: s.TrafficMirrorSessionId ?? null,
      eni_id: eni.eniId,
      eni_ips: eni.ips,
      workload,
    };
  }

  private async workloadOfEni(eniId: string): Promise<Workload | null> {
    let w = this.tasksByEni.get(eniId);
    if (w === undefined) {
      await this.sweepTasks(false); // a task started since the last sweep
      w = this.tasksByEni.get(eniId);
    }
    return w ?? null;
  }

  private async eniOwning(ip: string): Promise<EniFacts | undefined> {
    const name = ip.includes(':') ? 'ipv6-addresses.ipv6-address' : 'addresses.private-ip-address';
    const found = await this.describeEnis([{ Name: name, Values: [ip] }], []);
    return found.values().next().value;
  }

  /** The EC2 module and client, loaded and made on first use. */
  private async ec2(): Promise<Ec2Sdk & { client: EC2Client }> {
    this.ec2Sdk ??= import('@aws-sdk/client-ec2').then((module: Ec2Sdk) => {
      this.ec2Client ??= new module.EC2Client({ requestHandler: REQUEST_HANDLER });
      return { ...module, client: this.ec2Client };
    });
    return this.ec2Sdk;
  }

  private async ecs(): Promise<EcsSdk & { client: ECSClient }> {
    this.ecsSdk ??= import('@aws-sdk/client-ecs').then((module: EcsSdk) => {
      this.ecsClient ??= new module.ECSClient({ requestHandler: REQUEST_HANDLER });
      return { ...module, client: this.ecsClient };
    });
    return this.ecsSdk;
  }

  private async describeSessions(
    filters: { Name: string; Values: string[] }[],
  ): Promise<TrafficMirrorSession[]> {
    const ec2 = await this.ec2();
    const out: TrafficMirrorSession[] = [];
    let NextToken: string | undefined;
    do {
      const page = await ec2.client.send(
        new ec2.DescribeTrafficMirrorSessionsCommand({
          Filters: filters.length > 0 ? filters : undefined,
          NextToken,
        }),
      );
      out.push(...(page.TrafficMirrorSessions ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }

  /** ENIs by filter, or by id (in chunks, through a filter so ENIs deleted meanwhile are no error). */
  private async describeEnis(
    filters: { Name: string; Values: string[] }[],
    ids: string[],
  ): Promise<Map<string, EniFacts>> {
    const out = new Map<string, EniFacts>();
    if (ids.length === 0 && filters.length === 0) return out;
    const ec2 = await this.ec2();
    const queries =
      ids.length > 0 ? chunks(ids, 200).map((c) => [{ Name: 'network-interface-id', Values: c }]) : [filters];
    for (const Filters of queries) {
      let NextToken: string | undefined;
      do {
        const page = await ec2.client.send(new ec2.DescribeNetworkInterfacesCommand({ Filters, NextToken }));
        for (const eni of page.NetworkInterfaces ?? []) {
          if (eni.NetworkInterfaceId !== undefined) out.set(eni.NetworkInterfaceId, eniFacts(eni));
        }
        NextToken = page.NextToken;
      } while (NextToken);
    }
    return out;
  }

  /** Lists the running tasks of the clusters: task ENIs and their addresses. */
  private sweepTasks(force: boolean): Promise<void> {
    if (!force && Date.now() - this.lastTaskSweep < this.minTaskSweepMs) return Promise.resolve();
    this.sweeping ??= this.runTaskSweep().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async runTaskSweep(): Promise<void> {
    const ecs = await this.ecs();
    const byEni = new Map<string, Workload>();
    const byIp = new Map<string, Workload>();
    for (const cluster of this.clusters ?? (await this.listClusters())) {
      const arns: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await ecs.client.send(new ecs.ListTasksCommand({ cluster, nextToken }));
        arns.push(...(page.taskArns ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      for (const batch of chunks(arns, 100)) {
        const described = await ecs.client.send(new ecs.DescribeTasksCommand({ cluster, tasks: batch }));
        for (const task of described.tasks ?? []) {
          for (const attachment of task.attachments ?? []) {
            if (attachment.type !== 'ElasticNetworkInterface') continue;
            const detail = (name: string) => attachment.details?.find((d) => d.name === name)?.value;
            const eniId = detail('networkInterfaceId');
            if (eniId === undefined) continue;
            const workload: Workload = {
              cluster: clusterName(task.clusterArn ?? cluster),
              service: serviceOfGroup(task.group),
              task_arn: task.taskArn ?? null,
              eni_id: eniId,
            };
            byEni.set(eniId, workload);
            for (const ip of [detail('privateIPv4Address'), detail('ipv6Address')]) {
              const c = ip === undefined ? undefined : canonicalIp(ip);
              if (c !== undefined) byIp.set(c, workload);
            }
          }
        }
      }
    }
    this.tasksByEni = byEni;
    this.tasksByIp = byIp;
    this.lastTaskSweep = Date.now();
  }

  private async listClusters(): Promise<string[]> {
    const ecs = await this.ecs();
    const out: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await ecs.client.send(new ecs.ListClustersCommand({ nextToken }));
      out.push(...(page.clusterArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return out;
  }
}

function eniFacts(eni: NetworkInterface): EniFacts {
  const ips: string[] = [];
  const add = (ip: string | undefined) => {
    const c = ip === undefined ? undefined : canonicalIp(ip);
    if (c !== undefined && !ips.includes(c)) ips.push(c);
  };
  add(eni.PrivateIpAddress);
  for (const a of eni.PrivateIpAddresses ?? []) add(a.PrivateIpAddress);
  for (const a of eni.Ipv6Addresses ?? []) add(a.Ipv6Address);
  return { eniId: eni.NetworkInterfaceId ?? '', ips };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
