// Issue 14's end to end check, as a user runs it against aws-local (task ENIs refused, as AWS
// documents): a service made with Debian's AWS CLI; `fargate-mirror status` says its task is not
// covered; `fargate-mirror sidecar add` deploys the forwarder sidecar and `status` says "covered by
// sidecar"; the sidecar container stops (POST /_admin/stop-container) and `status` says not
// covered, with the exit code and ECS's reason, `--fail-on-uncovered` exits 1, and Debian's
// `aws ecs describe-tasks` shows the container STOPPED.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsLocal } from '@fargate-mirror/aws-local';
import {
  awsJson as aws,
  createFargateService,
  createTargetAndFilter,
  registerFargateFamily,
  startAwsLocalLab,
} from '@fargate-mirror/testkit/aws-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fargateMirror, requireAwsCliAndBuild } from './support/sidecar-env.ts';

const CLUSTER = 'shop';
const SERVICE = 'web';
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/fargate-mirror-forwarder:0.1.0';
const TO = 'mirror-nlb.example.internal:4789';
const OOM = 'OutOfMemoryError: Container killed due to memory usage';

interface StatusRow {
  taskArn: string;
  state: string;
  covered: boolean | undefined;
  note: string;
}
interface Container {
  name: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
}

describe('sidecar add, then status: every selected task accounted for', () => {
  let local: AwsLocal;
  let url: string;
  let config: string;
  const dir = mkdtempSync(join(tmpdir(), 'fm-coverage-'));

  const runningTasks = async () => {
    const arns = (
      (await aws(url, ['ecs', 'list-tasks', '--cluster', CLUSTER, '--desired-status', 'RUNNING'])) as {
        taskArns: string[];
      }
    ).taskArns;
    if (arns.length === 0) return [];
    return (
      (await aws(url, ['ecs', 'describe-tasks', '--cluster', CLUSTER, '--tasks', ...arns])) as {
        tasks: { taskArn: string; lastStatus: string; taskDefinitionArn: string; containers: Container[] }[];
      }
    ).tasks;
  };
  /** Waits until the service runs exactly one task, RUNNING, of a task definition `revision`. */
  const oneRunningTaskOf = async (revision: number) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const tasks = await runningTasks();
      if (
        tasks.length === 1 &&
        tasks[0]?.lastStatus === 'RUNNING' &&
        tasks[0].taskDefinitionArn.endsWith(`:${revision}`)
      )
        return tasks[0];
      if (Date.now() > deadline)
        throw new Error(`no single RUNNING task of revision ${revision}: ${JSON.stringify(tasks)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const status = async (...extra: string[]) => {
    const r = await fargateMirror(url, ['status', '--json', '--config', config, ...extra]);
    return { ...r, rows: r.stdout.trim() ? (JSON.parse(r.stdout) as { rows: StatusRow[] }).rows : [] };
  };

  beforeAll(async () => {
    requireAwsCliAndBuild();
    local = await startAwsLocalLab();
    url = local.url;
    await aws(url, ['ecs', 'create-cluster', '--cluster-name', CLUSTER]);
    await registerFargateFamily(url, 'web');
    await createFargateService(url, CLUSTER, SERVICE, 'web');
    const { target, filter } = await createTargetAndFilter(url);
    config = join(dir, 'controller.json');
    writeFileSync(
      config,
      JSON.stringify({
        owner: 'shop-prod',
        target,
        filter,
        select: { clusters: [CLUSTER] },
      }),
      { mode: 0o600 },
    );
    await oneRunningTaskOf(1);
  }, 180_000);

  afterAll(async () => {
    await local?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('without the sidecar the task is not covered: AWS refuses its ENI (predicted), --fail-on-uncovered exits 1', async () => {
    const before = await status();
    expect(before.code, before.stderr).toBe(0);
    expect(before.rows.map((r) => [r.state, r.covered])).toEqual([['unmirrorable', false]]);
    expect(before.rows[0]?.note).toMatch(
      /^not covered: AWS refuses eni-[0-9a-f]+ as a mirror source \(predicted from DescribeNetworkInterfaces; CreateTrafficMirrorSession not called\): eni-[0-9a-f]+ is requester-managed/,
    );
    const failing = await status('--fail-on-uncovered');
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain('1 selected running task(s) not covered (--fail-on-uncovered)');
  });

  it('after `sidecar add` the new task is covered by its forwarder sidecar', async () => {
    const added = await fargateMirror(url, [
      'sidecar',
      'add',
      '--cluster',
      CLUSTER,
      '--service',
      SERVICE,
      '--to',
      TO,
      '--image',
      IMAGE,
    ]);
    expect(added.code, added.stderr).toBe(0);
    const task = await oneRunningTaskOf(2);
    expect(task.containers.map((c) => [c.name, c.lastStatus])).toEqual([
      ['app', 'RUNNING'],
      ['fargate-mirror-forwarder', 'RUNNING'],
    ]);
    const covered = await status('--fail-on-uncovered');
    expect(covered.code, covered.stderr).toBe(0);
    expect(covered.rows.map((r) => [r.taskArn, r.state, r.covered])).toEqual([
      [task.taskArn, 'sidecar', true],
    ]);
    expect(covered.rows[0]?.note).toBe(
      'covered by forwarder sidecar (container fargate-mirror-forwarder RUNNING)',
    );
    const table = await fargateMirror(url, ['status', '--config', config]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/\ssidecar\s+yes\s+covered by forwarder sidecar/);
    expect(table.stdout).toContain('1 covered by sidecar');
  });

  it('a stopped sidecar leaves the task running but not covered, with the exit code and the reason', async () => {
    const task = await oneRunningTaskOf(2);
    const stop = await fetch(`${url}/_admin/stop-container`, {
      method: 'POST',
      body: JSON.stringify({
        taskArn: task.taskArn,
        containerName: 'fargate-mirror-forwarder',
        exitCode: 137,
        reason: OOM,
      }),
    });
    expect(stop.status).toBe(200);

    // Debian's AWS CLI: the task runs on, its sidecar container is STOPPED with exit code and reason.
    const [after] = await runningTasks();
    expect(after?.lastStatus).toBe('RUNNING');
    expect(after?.containers.find((c) => c.name === 'fargate-mirror-forwarder')).toMatchObject({
      lastStatus: 'STOPPED',
      exitCode: 137,
      reason: OOM,
    });

    const uncovered = await status();
    expect(uncovered.code, uncovered.stderr).toBe(0);
    expect(uncovered.rows.map((r) => [r.state, r.covered])).toEqual([['sidecar-stopped', false]]);
    expect(uncovered.rows[0]?.note).toMatch(
      new RegExp(
        `^not covered: forwarder sidecar container fargate-mirror-forwarder is STOPPED, exit code 137, reason: ${OOM}; no session either \\(not covered: AWS refuses eni-`,
      ),
    );
    const failing = await status('--fail-on-uncovered');
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain('1 selected running task(s) not covered (--fail-on-uncovered)');
  });
});
