// @fargate-mirror/cdk as a user gets it: `npm pack`ed, installed from the tarball (with aws-cdk-lib
// and constructs, its peer dependencies, from the registry; the cache first) into a fresh CDK app in
// a temporary directory outside this repository, and an app using every construct synthesized there.
// The package must bring its prebuilt bundles (controller Lambda, receiver CLI and worker, the
// forwarder's container definition): nothing may come from the repository's sources.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { SIDECAR_ENTRYPOINT, SIDECAR_HEALTH_CHECK } from '@fargate-mirror/forwarder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../../..');
const version = (name: string) =>
  (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;

const APP = `
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import {
  MirrorFilter, MirrorSidecar, MirrorTarget, MirrorTargetType, ReceiverNodeRuntime, TaskMirroring,
} from '@fargate-mirror/cdk';

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'Consumer');
const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
const filter = new MirrorFilter(stack, 'Filter');
const target = new MirrorTarget(stack, 'Target', { vpc, nodeRuntime: ReceiverNodeRuntime.preinstalled() });
const gwlb = new MirrorTarget(stack, 'GwlbTarget', { vpc, targetType: MirrorTargetType.GATEWAY_LOAD_BALANCER_ENDPOINT });
const eni = MirrorTarget.fromNetworkInterfaceId(stack, 'EniTarget', 'eni-0123456789abcdef0');
new TaskMirroring(stack, 'Mirroring', { owner: 'consumer', target, filter, clusters: [cluster] });
new TaskMirroring(stack, 'GwlbMirroring', { owner: 'consumer-gwlb', target: gwlb, filter });
new TaskMirroring(stack, 'EniMirroring', { owner: 'consumer-eni', target: eni, filter });
const task = new ecs.FargateTaskDefinition(stack, 'Task');
task.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:latest') });
MirrorSidecar.addTo(task, {
  destination: target.forwarderDestination,
  image: ecs.ContainerImage.fromRegistry('123456789012.dkr.ecr.us-east-1.amazonaws.com/fargate-mirror-forwarder:0.1.0'),
});
// Without an image there is no repository to build one from: a clear error, not a broken asset.
try {
  MirrorSidecar.addTo(new ecs.FargateTaskDefinition(stack, 'NoImage'), { destination: 'h:4789' });
  throw new Error('MirrorSidecar without an image should have failed');
} catch (error) {
  if (error?.code !== 'SOURCE_NOT_FOUND') throw error;
  console.log('no-image: ' + error.code);
}
app.synth();
console.log('synthesized');
`;

let work: string;
let app: string;
let tarball: string;
let outdir: string;
let synthOutput: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fm-cdk-consumer-'));
  const { stdout: packed } = await promisify(execFile)(
    'npm',
    ['pack', '--json', '--pack-destination', work, '-w', '@fargate-mirror/cdk'],
    { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  tarball = join(work, (JSON.parse(packed) as { filename: string }[])[0]?.filename as string);
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer-cdk-app', version: '1.0.0', private: true, type: 'module' }),
  );
  // Asynchronous, so the test runner's worker keeps answering while npm and the synth run.
  await promisify(execFile)(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      tarball,
      `aws-cdk-lib@${version('aws-cdk-lib')}`,
      `constructs@${version('constructs')}`,
    ],
    { cwd: app, encoding: 'utf8', timeout: 600_000 },
  );
  writeFileSync(join(app, 'app.mjs'), APP);
  outdir = join(work, 'cdk.out');
  // No repository in reach: run with the app's directory as cwd, and only its node_modules.
  ({ stdout: synthOutput } = await promisify(execFile)(process.execPath, [join(app, 'app.mjs'), outdir], {
    cwd: app,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: work },
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  }));
}, 900_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  Outputs: Record<string, { Value: unknown; Description?: string }>;
}

describe('@fargate-mirror/cdk installed from its tarball', () => {
  it('ships dist, the prebuilt bundles, LICENSE and README; peers aws-cdk-lib and constructs; no workspace dependency', () => {
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const file of [
      'package/dist/index.js',
      'package/dist/private/forwarder-sidecar.js',
      'package/assets/controller/index.mjs',
      'package/assets/receiver/fargate-mirror.mjs',
      'package/assets/receiver/worker-main.js',
      'package/LICENSE',
      'package/README.md',
    ]) {
      expect(listing).toContain(file);
    }
    expect(listing.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false);
    const installed = join(app, 'node_modules', '@fargate-mirror', 'cdk');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest.peerDependencies).toEqual({
      'aws-cdk-lib': expect.any(String),
      constructs: expect.any(String),
    });
    expect(manifest.dependencies).toBeUndefined();
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
    // The inlined definition does not import the forwarder package (not installed here).
    expect(readFileSync(join(installed, 'dist', 'private', 'forwarder-sidecar.js'), 'utf8')).not.toMatch(
      /@fargate-mirror\//,
    );
    expect(existsSync(join(app, 'node_modules', '@fargate-mirror', 'forwarder'))).toBe(false);
  });

  it('synthesizes every construct outside the repository', () => {
    expect(synthOutput).toContain('no-image: SOURCE_NOT_FOUND');
    expect(synthOutput).toContain('synthesized');
    const template = JSON.parse(readFileSync(join(outdir, 'Consumer.template.json'), 'utf8')) as Template;
    const ofType = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type);
    expect(ofType('AWS::EC2::TrafficMirrorFilter')).toHaveLength(1);
    expect(ofType('AWS::EC2::TrafficMirrorTarget')).toHaveLength(3); // NLB, GWLB endpoint, ENI
    expect(ofType('AWS::AutoScaling::AutoScalingGroup')).toHaveLength(2);
    const handlers = ofType('AWS::Lambda::Function').map((f) => f.Properties.Handler);
    expect(handlers.filter((h) => h === 'index.taskEventHandler')).toHaveLength(3);
    expect(handlers).toContain('index.resyncHandler');
    expect(handlers).toContain('index.queueWorkerHandler');
  });

  it('the Lambda and receiver assets are the package bundles', () => {
    const manifest = JSON.parse(readFileSync(join(outdir, 'Consumer.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging?: string } }>;
    };
    const sources = Object.values(manifest.files).map((f) => f.source);
    const dirs = sources.filter((s) => s.packaging === 'zip').map((s) => join(outdir, s.path));
    expect(dirs.some((d) => existsSync(join(d, 'index.mjs')))).toBe(true);
    const files = sources.filter((s) => s.packaging === 'file').map((s) => s.path);
    expect(files.some((p) => p.endsWith('.mjs'))).toBe(true);
    expect(files.some((p) => p.endsWith('.js'))).toBe(true);
    // The receiver bundle is the CLI, with its version baked in.
    const cli = sources.find((s) => s.packaging === 'file' && s.path.endsWith('.mjs'));
    const version = execFileSync(process.execPath, [join(outdir, cli?.path as string), '--version'], {
      encoding: 'utf8',
    });
    expect(version.trim()).toBe('0.1.0');
  });

  it('outputs the forwarder destination and a ready controller config; the sidecar is the forwarder definition', () => {
    const template = JSON.parse(readFileSync(join(outdir, 'Consumer.template.json'), 'utf8')) as Template;
    const outputs = Object.entries(template.Outputs);
    const destination = outputs.filter(([id]) => id.startsWith('TargetForwarderDestination'));
    expect(destination).toHaveLength(1);
    expect(JSON.stringify(destination[0]?.[1].Value)).toMatch(/DNSName.*:4789/);
    const config = outputs.filter(([id]) => id.startsWith('MirroringControllerConfig'));
    expect(config).toHaveLength(1);
    expect(JSON.stringify(config[0]?.[1].Value)).toMatch(/owner.*consumer.*target.*filter/);
    const [task] = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::ECS::TaskDefinition' && JSON.stringify(r).includes('fargate-mirror-forwarder'),
    );
    const sidecar = ((task?.Properties.ContainerDefinitions ?? []) as Record<string, unknown>[]).find(
      (c) => c.Name === 'fargate-mirror-forwarder',
    );
    expect(sidecar).toMatchObject({
      Essential: false,
      // The image's entrypoint and health check, as the forwarder defines them (node's flags included).
      EntryPoint: [...SIDECAR_ENTRYPOINT],
      User: '10001:10001',
      HealthCheck: { Command: [...SIDECAR_HEALTH_CHECK.command] },
    });
    const command = (sidecar?.Command ?? []) as unknown[];
    expect(command[0]).toBe('--to');
    expect(JSON.stringify(command[1])).toMatch(/DNSName.*:4789/);
  });
});
