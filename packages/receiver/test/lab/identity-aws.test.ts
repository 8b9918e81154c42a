// Workload identity against aws-local (the EC2/ECS emulator, real SDK wire protocols): a cluster with
// two services, sessions created and tagged by the controller (`fargate-mirror reconcile`), and a
// standalone task without a session (the forwarder path). The fixture's real mirrored traffic is
// rewritten (scapy) to come from those tasks' ENIs with their sessions' VNIs, then `read
// --aws-identity` with AWS_ENDPOINT_URL must name the workload on each side of every record.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorTargetCommand,
  DescribeSubnetsCommand,
  DescribeTrafficMirrorSessionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { type AwsLocal, startAwsLocal } from '@fargate-mirror/aws-local';
import { runCli } from '@fargate-mirror/testkit/cli';
import { type Rec, readRecords, rewriteMirror, SAMPLE_MIRROR } from '@fargate-mirror/testkit/mirror-records';
import { requireTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsIdentitySource } from '../../src/identity/aws-identity-source.js';
import { IdentityResolver } from '../../src/identity/identity-resolver.js';

const REGION = 'us-east-1';
const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_REGION: REGION,
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
};
const CLIENT = '10.77.1.1';
const SERVER = '10.77.1.2';
const WEB_VNI = 1001;
const API_VNI = 1002;
const FORWARDER_VNI = 77;
const OUTSIDER = '198.51.100.7';

interface Task {
  arn: string;
  eni: string;
  ip: string;
  service: string | null;
}

async function runningTasks(ecs: ECSClient, cluster: string, count: number): Promise<Task[]> {
  for (let i = 0; i < 600; i++) {
    const arns = (await ecs.send(new ListTasksCommand({ cluster }))).taskArns ?? [];
    if (arns.length === count) {
      const tasks = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? [];
      if (tasks.every((t) => t.lastStatus === 'RUNNING')) {
        return tasks.map((t) => {
          const details = t.attachments?.find((a) => a.type === 'ElasticNetworkInterface')?.details ?? [];
          const get = (n: string) => details.find((d) => d.name === n)?.value ?? '';
          return {
            arn: t.taskArn ?? '',
            eni: get('networkInterfaceId'),
            ip: get('privateIPv4Address'),
            service: t.group?.startsWith('service:') ? t.group.slice(8) : null,
          };
        });
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`cluster ${cluster}: ${count} running tasks never appeared`);
}

describe('workload identity from aws-local', () => {
  let aws: AwsLocal;
  let ec2: EC2Client;
  let ecs: ECSClient;
  let dir: string;
  let subnets: string[];
  let web: Task;
  let api: Task;
  let batch: Task;
  let sessions: Map<string, { id: string; vni: number }>;
  const env = () => ({ ...process.env, ...CREDENTIALS, AWS_ENDPOINT_URL: aws.url });

  beforeAll(async () => {
    requireTools(['/usr/bin/python3', 'scapy']);
    Object.assign(process.env, CREDENTIALS);
    aws = await startAwsLocal({ port: 0, speed: 200, taskEniSources: 'accept' });
    ec2 = new EC2Client({ endpoint: aws.url, region: REGION });
    ecs = new ECSClient({ endpoint: aws.url, region: REGION });
    dir = mkdtempSync(join(tmpdir(), 'fm-identity-'));
    subnets = ((await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? []).map((s) => s.SubnetId ?? '');
    const target = await ec2.send(
      new CreateTrafficMirrorTargetCommand({
        NetworkLoadBalancerArn:
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/mirror/0123456789abcdef',
      }),
    );
    const filter = await ec2.send(new CreateTrafficMirrorFilterCommand({ Description: 'all' }));
    await ecs.send(new CreateClusterCommand({ clusterName: 'shop' }));
    for (const family of ['web', 'api', 'batch']) {
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [
            { name: 'app', image: 'public.ecr.aws/nginx/nginx:latest', essential: true },
          ],
        }),
      );
    }
    const network = {
      awsvpcConfiguration: { subnets: subnets.slice(0, 2), assignPublicIp: 'DISABLED' as const },
    };
    for (const name of ['web', 'api']) {
      await ecs.send(
        new CreateServiceCommand({
          cluster: 'shop',
          serviceName: name,
          taskDefinition: name,
          desiredCount: 1,
          launchType: 'FARGATE',
          networkConfiguration: network,
        }),
      );
    }
    // A standalone task the controller does not select: it runs the forwarder sidecar instead.
    await ecs.send(
      new RunTaskCommand({
        cluster: 'shop',
        taskDefinition: 'batch',
        launchType: 'FARGATE',
        networkConfiguration: network,
      }),
    );
    const tasks = await runningTasks(ecs, 'shop', 3);
    web = tasks.find((t) => t.service === 'web') as Task;
    api = tasks.find((t) => t.service === 'api') as Task;
    batch = tasks.find((t) => t.service === null) as Task;

    const config = join(dir, 'controller.json');
    writeFileSync(
      config,
      JSON.stringify({
        owner: 'shop-prod',
        target: target.TrafficMirrorTarget?.TrafficMirrorTargetId,
        filter: filter.TrafficMirrorFilter?.TrafficMirrorFilterId,
        select: { clusters: ['shop'], services: ['web', 'api'] },
        vni: 'per-service',
        vniByService: { web: WEB_VNI, api: API_VNI },
        // aws-local accepts task ENIs here (taskEniSources: accept); today's AWS rules would predict a refusal.
        predictRefusals: false,
      }),
    );
    const reconcile = await runCli(['reconcile', '--config', config, '--endpoint-url', aws.url]);
    if (reconcile.code !== 0) throw new Error(`reconcile failed:\n${reconcile.stdout}${reconcile.stderr}`);
    const described = await ec2.send(new DescribeTrafficMirrorSessionsCommand({}));
    sessions = new Map(
      (described.TrafficMirrorSessions ?? []).map((s) => [
        s.NetworkInterfaceId ?? '',
        { id: s.TrafficMirrorSessionId ?? '', vni: s.VirtualNetworkId ?? -1 },
      ]),
    );
  }, 120_000);

  afterAll(async () => {
    ec2?.destroy();
    ecs?.destroy();
    await aws?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const expectWorkload = (r: Rec, side: 'src' | 'dest', t: Task) => {
    expect(r[`${side}_ecs_cluster`]).toBe('shop');
    expect(r[`${side}_ecs_task_arn`]).toBe(t.arn);
    if (t.service === null) expect(r).not.toHaveProperty(`${side}_ecs_service`);
    else expect(r[`${side}_ecs_service`]).toBe(t.service);
  };

  it('the controller tagged one session per service task, none on the standalone task', () => {
    expect(sessions.get(web.eni)?.vni).toBe(WEB_VNI);
    expect(sessions.get(api.eni)?.vni).toBe(API_VNI);
    expect(sessions.has(batch.eni)).toBe(false);
  });

  it('names both workloads of every record mirrored at the web task ENI, the session, and the direction', async () => {
    const capture = join(dir, 'web.pcap');
    await rewriteMirror(SAMPLE_MIRROR, capture, {
      outerSrc: web.ip,
      vni: WEB_VNI,
      mapInner: { [CLIENT]: api.ip, [SERVER]: web.ip },
      ipv4Only: true,
    });
    const { records } = await readRecords(capture, join(dir, 'web.jsonl'), ['--aws-identity'], env());
    expect(records.length).toBeGreaterThan(10);
    for (const r of records) {
      // The web task serves; the api task is its client (src of every transaction and flow).
      expectWorkload(r, 'dest', web);
      expectWorkload(r, 'src', api);
      expect(r['mirror_points']).toEqual([
        { vni: WEB_VNI, eni_id: web.eni, mirror_session_id: sessions.get(web.eni)?.id, outer_src_ip: web.ip },
      ]);
      expect(r['direction']).toBe('inbound');
    }
  });

  it('resolves forwarder traffic (no session: outer source = task ENI) through the ENI to the task', async () => {
    const capture = join(dir, 'forwarder.pcap');
    await rewriteMirror(SAMPLE_MIRROR, capture, {
      outerSrc: batch.ip,
      vni: FORWARDER_VNI,
      mapInner: { [CLIENT]: OUTSIDER, [SERVER]: batch.ip },
      ipv4Only: true,
    });
    const { records } = await readRecords(capture, join(dir, 'forwarder.jsonl'), ['--aws-identity'], env());
    expect(records.length).toBeGreaterThan(10);
    for (const r of records) {
      expectWorkload(r, 'dest', batch);
      expect(Object.keys(r).filter((k) => k.startsWith('src_ecs_'))).toEqual([]);
      expect(r['mirror_points']).toEqual([
        { vni: FORWARDER_VNI, eni_id: batch.eni, mirror_session_id: null, outer_src_ip: batch.ip },
      ]);
      expect(r['direction']).toBe('inbound');
    }
  });

  it('gives the same answers offline from --identity-map', async () => {
    const map = join(dir, 'identity.yaml');
    writeFileSync(
      map,
      JSON.stringify({
        addresses: {
          [api.ip]: { cluster: 'shop', service: 'api', task_arn: api.arn, eni_id: api.eni },
          [web.ip]: { cluster: 'shop', service: 'web', task_arn: web.arn, eni_id: web.eni },
        },
        sessions: [
          { vni: WEB_VNI, outer_ip: web.ip, mirror_session_id: sessions.get(web.eni)?.id, eni_id: web.eni },
        ],
      }),
    );
    const capture = join(dir, 'web.pcap');
    const online = await readRecords(capture, join(dir, 'web-online.jsonl'), ['--aws-identity'], env());
    const offline = await readRecords(capture, join(dir, 'web-offline.jsonl'), ['--identity-map', map]);
    expect(offline.records).toEqual(online.records);
  });

  it('looks up an address it has never seen in the background, and caches a miss', async () => {
    const source = new AwsIdentitySource({ ec2, ecs, minTaskSweepMs: 0 });
    const resolver = new IdentityResolver({ source, negativeTtlMs: 60_000 });
    await resolver.start();
    try {
      // A task started after the resolver's sweep.
      await ecs.send(
        new RunTaskCommand({
          cluster: 'shop',
          taskDefinition: 'batch',
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets: subnets.slice(0, 1) } },
        }),
      );
      const late = (await runningTasks(ecs, 'shop', 4)).find(
        (t) => ![web.arn, api.arn, batch.arn].includes(t.arn),
      ) as Task;
      expect(resolver.workload(late.ip)).toBeUndefined(); // never blocks: answered from memory
      await resolver.idle();
      expect(resolver.workload(late.ip)).toEqual({
        cluster: 'shop',
        service: null,
        task_arn: late.arn,
        eni_id: late.eni,
      });
      expect(resolver.workload(OUTSIDER)).toBeUndefined();
      await resolver.idle();
      const lookups = resolver.stats.lookups;
      expect(resolver.workload(OUTSIDER)).toBeUndefined();
      await resolver.idle();
      expect(resolver.stats.lookups).toBe(lookups); // negative-cached: not asked again
      expect(resolver.stats.notFound).toBe(1);
    } finally {
      resolver.stop();
    }
  });
});
