/**
 * `npx aws-cdk@2 synth` of the example app, as a user runs it: offline, no AWS credentials, with
 * cdk-nag's AwsSolutionsChecks registered. Four context variants (one with the lake) synthesize in parallel.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MirrorFilter, MirrorTarget, TaskMirroring } from '../../src/index.js';
import { testOutdir } from '../support/stacks.js';

const run = promisify(execFile);
const PACKAGE = join(import.meta.dirname, '..', '..');
const REPO = join(PACKAGE, '..', '..');
const APP_DIR = join(PACKAGE, 'example-app');
const scratch = mkdtempSync(join(tmpdir(), 'fm-cdk-synth-'));

interface Synth {
  readonly code: number;
  readonly output: string;
  readonly template:
    | { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }
    | undefined;
}

async function synth(name: string, context: Record<string, string>): Promise<Synth> {
  const out = join(scratch, name);
  const args = ['aws-cdk@2', 'synth', '--no-notices', '--ci', '-q', '-o', out];
  for (const [k, v] of Object.entries(context)) args.push('-c', `fargate-mirror:${k}=${v}`);
  // no credentials and no metadata service: synth must need neither.
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: scratch,
    CDK_DISABLE_TELEMETRY: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  let code = 0;
  let output = '';
  try {
    const r = await run('npx', args, { cwd: APP_DIR, env, maxBuffer: 64 * 1024 * 1024 });
    output = r.stdout + r.stderr;
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    code = e.code ?? 1;
    output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  const file = join(out, 'FargateMirrorExample.template.json');
  return { code, output, template: existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined };
}

function ofType(s: Synth, type: string) {
  return Object.values(s.template?.Resources ?? {}).filter((r) => r.Type === type);
}

describe('example app: npx aws-cdk@2 synth', () => {
  let defaults: Synth;
  let gateway: Synth;
  let selected: Synth;
  let lake: Synth;

  beforeAll(async () => {
    // the app imports the library by its package name, i.e. the built dist/. Four synths on a
    // loaded 2-core machine took over 240 s, hence the long hook timeout (no timing assertion).
    await run(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', PACKAGE], {
      cwd: REPO,
    });
    [defaults, gateway, selected, lake] = await Promise.all([
      synth('defaults', {}),
      synth('gateway', { targetType: 'gateway-load-balancer-endpoint' }),
      synth('selected', {
        clusterNames: 'shop,api',
        services: 'web',
        forwarderImageUri: 'public.ecr.aws/example/fargate-mirror-forwarder:1',
        splunkHecUrl: 'https://splunk.example.com:8088',
        splunkHecSecretName: 'fargate-mirror/hec',
        mirrorAmazonDns: 'true',
      }),
      synth('lake', { lake: 'true', securityLake: 'true' }),
    ]);
  }, 480_000);

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('synthesizes every variant offline with cdk-nag AwsSolutions passing', () => {
    for (const s of [defaults, gateway, selected, lake]) {
      expect(s.output).not.toMatch(/ERROR|AwsSolutions-/);
      expect(s.code).toBe(0);
      expect(s.template).toBeDefined();
    }
  });

  it('defines an NLB target by default and a GWLB endpoint target on request', () => {
    expect(ofType(defaults, 'AWS::EC2::TrafficMirrorTarget')[0]?.Properties).toHaveProperty(
      'NetworkLoadBalancerArn',
    );
    expect(ofType(gateway, 'AWS::EC2::TrafficMirrorTarget')[0]?.Properties).toHaveProperty(
      'GatewayLoadBalancerEndpointId',
    );
    expect(ofType(gateway, 'AWS::EC2::VPCEndpoint').map((r) => r.Properties['VpcEndpointType'])).toContain(
      'GatewayLoadBalancer',
    );
  });

  it('takes clusters, services, the sidecar image and Splunk from context', () => {
    const rule = ofType(selected, 'AWS::Events::Rule').find(
      (r) => r.Properties['EventPattern'] !== undefined,
    )!;
    expect(JSON.stringify(rule.Properties['EventPattern'])).toMatch(/cluster\/shop.*cluster\/api/);
    const task = ofType(selected, 'AWS::ECS::TaskDefinition')[0]!;
    const containers = task.Properties['ContainerDefinitions'] as {
      Name: string;
      Essential: boolean;
      Image: string;
    }[];
    expect(containers).toContainEqual(
      expect.objectContaining({
        Name: 'fargate-mirror-forwarder',
        Essential: false,
        Image: 'public.ecr.aws/example/fargate-mirror-forwarder:1',
      }),
    );
    expect(ofType(selected, 'AWS::EC2::TrafficMirrorFilter')[0]?.Properties['NetworkServices']).toEqual([
      'amazon-dns',
    ]);
    expect(JSON.stringify(ofType(selected, 'AWS::EC2::LaunchTemplate')[0]?.Properties)).toContain(
      'splunk-hec-token',
    );
    // no demo task without an image: Docker is not needed to synth.
    expect(ofType(defaults, 'AWS::ECS::TaskDefinition')).toEqual([]);
  });
  it('defines the lake bucket, one Glue table per class, the workgroup, three named queries and three Security Lake sources', () => {
    expect(
      ofType(lake, 'AWS::Glue::Table').map((r) => (r.Properties['TableInput'] as { Name: string }).Name),
    ).toEqual(['network_activity', 'http_activity', 'dns_activity']);
    expect(ofType(lake, 'AWS::Athena::WorkGroup')).toHaveLength(1);
    expect(ofType(lake, 'AWS::Athena::NamedQuery')).toHaveLength(3);
    expect(ofType(lake, 'Custom::AWS')).toHaveLength(3);
    expect(JSON.stringify(ofType(lake, 'AWS::S3::Bucket'))).toContain('fargate-mirror/pcap/');
  });

  it('has the receivers upload Parquet and pcap to the lake: the ocsf and s3 keys in receiver.json', () => {
    const userData = JSON.stringify(ofType(lake, 'AWS::EC2::LaunchTemplate')[0]?.Properties);
    expect(userData).toContain('\\"ocsf\\":{\\"dir\\":\\"/var/lib/fargate-mirror/ocsf\\"');
    expect(userData).toContain('\\"prefix\\":\\"fargate-mirror/\\"');
    expect(JSON.stringify(ofType(defaults, 'AWS::EC2::LaunchTemplate'))).not.toContain('ocsf');
  });
});

describe('cdk-nag control', () => {
  it('fails an app without the example acknowledgements on exactly the two findings the example acknowledges', () => {
    const app = new App({ outdir: testOutdir(), context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Control');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, flowLogs: { all: {} } });
    const filter = new MirrorFilter(stack, 'Filter');
    const target = new MirrorTarget(stack, 'Target', { vpc });
    new TaskMirroring(stack, 'Mirroring', { owner: 'control', target, filter });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    let message = '';
    try {
      app.synth();
    } catch (error) {
      message = (error as Error).message;
    }
    const findings = [...message.matchAll(/Acknowledge with '([^']+)'/g)].map((m) => m[1]);
    expect(findings).toEqual([
      'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'AwsSolutions::AwsSolutions-AS3',
    ]);
  });
});
