/**
 * The Lambda code TaskMirroring deploys is the controller package's own handler, bundled by
 * esbuild at synth: this test imports that bundle from the cloud assembly and runs it against the
 * aws-local emulator, driven by a real ECS Task State Change event the emulator emitted.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AwsLocal, EcsEvent } from '@fargate-mirror/aws-local';
import {
  AWS_LOCAL_CREDENTIALS,
  awsJson,
  awsvpcInFirstSubnet,
  createTargetAndFilter,
  registerFargateFamily,
  startAwsLocalLab,
} from '@fargate-mirror/testkit/aws-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDefaults, OWNER } from '../support/stacks.js';

type Handler = (event: unknown) => Promise<Record<string, unknown>>;

const outdir = mkdtempSync(join(tmpdir(), 'fm-cdk-bundle-'));
let aws: AwsLocal;
const events: EcsEvent[] = [];

/** Debian's AWS CLI v2 against the emulator. */
const cli = (args: string[]) => awsJson(aws.url, args);

/** The bundled entry of the function whose handler is `index.<handler>`, from the cloud assembly. */
function bundledEntry(template: ReturnType<typeof buildDefaults>['template'], handler: string): string {
  const fn = Object.values(
    template.findResources('AWS::Lambda::Function', { Properties: { Handler: `index.${handler}` } }),
  )[0] as {
    Properties: { Code: { S3Key: string } };
  };
  const hash = fn.Properties.Code.S3Key.replace(/\.zip$/, '');
  return join(outdir, `asset.${hash}`, 'index.mjs');
}

describe('the bundled controller handler', () => {
  let entry: string;
  let target: string;
  let filter: string;

  beforeAll(async () => {
    aws = await startAwsLocalLab({ taskEniSources: 'accept' });
    aws.onEvent((e) => {
      events.push(e);
    });
    const { template } = buildDefaults({ bundle: true, outdir });
    entry = bundledEntry(template, 'taskEventHandler');
    ({ target, filter } = await createTargetAndFilter(aws.url));
    Object.assign(process.env, AWS_LOCAL_CREDENTIALS, {
      AWS_ENDPOINT_URL: aws.url,
      // The emulator accepts task ENIs (taskEniSources: accept), which AWS refuses: the controller
      // would predict AWS's refusal from the requester-managed ENI and never call Create.
      FARGATE_MIRROR_CONFIG: JSON.stringify({
        owner: OWNER,
        target,
        filter,
        select: { clusters: ['shop'] },
        predictRefusals: false,
      }),
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
  });

  afterAll(async () => {
    await aws?.close();
    rmSync(outdir, { recursive: true, force: true });
  });

  it('is in the cloud assembly, bundled from packages/controller/src/lambda/runtime.ts', () => {
    expect(existsSync(entry)).toBe(true);
  });

  it('creates the owned session for a running Fargate task from the task state change event', async () => {
    await cli(['ecs', 'create-cluster', '--cluster-name', 'shop']);
    await registerFargateFamily(aws.url, 'web');
    const run = await cli([
      'ecs',
      'run-task',
      '--cluster',
      'shop',
      '--task-definition',
      'web',
      '--launch-type',
      'FARGATE',
      '--network-configuration',
      await awsvpcInFirstSubnet(aws.url),
    ]);
    const taskArn = (run['tasks'] as { taskArn: string }[])[0]!.taskArn;
    await aws.control.waitForTask(taskArn, 'RUNNING', 60_000);
    await aws.control.flushEvents();
    const running = events.filter((e) => {
      const detail = e.detail as unknown as { taskArn: string; lastStatus: string };
      return detail.taskArn === taskArn && detail.lastStatus === 'RUNNING';
    });
    expect(running.length).toBeGreaterThan(0);

    const bundle = (await import(pathToFileURL(entry).href)) as { taskEventHandler: Handler };
    const report = await bundle.taskEventHandler(running[running.length - 1]);
    expect(report).toMatchObject({ status: 'reconciled', taskArn });

    const task = (
      (await cli(['ecs', 'describe-tasks', '--cluster', 'shop', '--tasks', taskArn]))['tasks'] as {
        attachments: { details: { name: string; value: string }[] }[];
      }[]
    )[0]!;
    const eniId = task.attachments[0]!.details.find((d) => d.name === 'networkInterfaceId')!.value;
    const sessions = (await cli(['ec2', 'describe-traffic-mirror-sessions']))['TrafficMirrorSessions'] as {
      NetworkInterfaceId: string;
      TrafficMirrorTargetId: string;
      TrafficMirrorFilterId: string;
      Tags: { Key: string; Value: string }[];
    }[];
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({
      NetworkInterfaceId: eniId,
      TrafficMirrorTargetId: target,
      TrafficMirrorFilterId: filter,
    });
    expect(sessions[0]!.Tags).toContainEqual({ Key: 'fargate-mirror:owner', Value: OWNER });
  });

  it('reconciles a batch of events from the task-event queue (SQS records, as deployed)', async () => {
    const run = await cli([
      'ecs',
      'run-task',
      '--cluster',
      'shop',
      '--task-definition',
      'web',
      '--launch-type',
      'FARGATE',
      '--network-configuration',
      await awsvpcInFirstSubnet(aws.url),
    ]);
    const taskArn = (run['tasks'] as { taskArn: string }[])[0]!.taskArn;
    await aws.control.waitForTask(taskArn, 'RUNNING', 60_000);
    await aws.control.flushEvents();
    const mine = events.filter((e) => (e.detail as unknown as { taskArn: string }).taskArn === taskArn);
    expect(mine.length).toBeGreaterThan(1);
    const bundle = (await import(pathToFileURL(entry).href)) as { taskEventHandler: Handler };
    // EventBridge's SQS target puts the event JSON in the body; every event of the task in one batch.
    const answer = await bundle.taskEventHandler({
      Records: mine.map((e, i) => ({ messageId: `m${i}`, body: JSON.stringify(e), eventSource: 'aws:sqs' })),
    });
    expect(answer).toEqual({ batchItemFailures: [] });
    const task = (
      (await cli(['ecs', 'describe-tasks', '--cluster', 'shop', '--tasks', taskArn]))['tasks'] as {
        attachments: { details: { name: string; value: string }[] }[];
      }[]
    )[0]!;
    const eniId = task.attachments[0]!.details.find((d) => d.name === 'networkInterfaceId')!.value;
    const sessions = (
      await cli([
        'ec2',
        'describe-traffic-mirror-sessions',
        '--filters',
        `Name=network-interface-id,Values=${eniId}`,
      ])
    )['TrafficMirrorSessions'] as { TrafficMirrorTargetId: string; Tags: { Key: string; Value: string }[] }[];
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.TrafficMirrorTargetId).toBe(target);
    expect(sessions[0]!.Tags).toContainEqual({ Key: 'fargate-mirror:owner', Value: OWNER });
  });

  it('reports a malformed event instead of failing', async () => {
    const bundle = (await import(pathToFileURL(entry).href)) as { taskEventHandler: Handler };
    expect(
      await bundle.taskEventHandler({ 'detail-type': 'ECS Task State Change', detail: { nonsense: true } }),
    ).toMatchObject({
      status: 'malformed',
    });
  });
});
