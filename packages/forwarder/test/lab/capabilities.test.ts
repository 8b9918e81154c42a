// What Fargate gives a sidecar: Docker's default capability set (NET_RAW in, NET_ADMIN out). The
// forwarder must start under exactly that set - as root, and as the image runs it (non-root, its own
// program configured by FARGATE_MIRROR_* variables, with a cap_net_raw tcpdump) - and without NET_RAW it must refuse
// to start with a message naming the capability. (The built image itself, run as its container
// definition says, is test/lab/image.test.ts.)
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@fargate-mirror/testkit/proc';
import { findTool, requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKER_DEFAULT_CAPS } from '../helpers/docker-caps.ts';
import { ADDR, createForwardLab, type ForwardLab } from '../helpers/forward-lab.ts';
import {
  FORWARD_MAIN,
  FORWARDER_PROGRAM,
  requireBuiltCli,
  startForward,
} from '../helpers/forwarder-process.ts';
import { TASK_ARN } from '../helpers/task-fixture.ts';

const DOCKER_CAPS = [
  '--bounding-set',
  `-all,${DOCKER_DEFAULT_CAPS.map((c) => `+${c}`).join(',')}`,
  '--inh-caps',
  '-all',
];
const NOBODY = ['--reuid', '65534', '--regid', '65534', '--clear-groups'];
const TO = `${ADDR.collector.v4}:4789`;

let lab: ForwardLab;
let capDir: string;
beforeAll(async () => {
  requireRootAndTools(['tcpdump', 'setpriv', 'capsh', 'setcap', 'ping']);
  requireBuiltCli();
  lab = await createForwardLab();
  // The image's tcpdump: a copy with cap_net_raw+eip (the system's own binary is left alone).
  capDir = mkdtempSync(join(tmpdir(), 'fwd-caps-'));
  chmodSync(capDir, 0o755);
  copyFileSync(findTool('tcpdump') as string, join(capDir, 'tcpdump'));
  await run('setcap', ['cap_net_raw+eip', join(capDir, 'tcpdump')]);
}, 120_000);
afterAll(async () => {
  await lab?.close();
  if (capDir) rmSync(capDir, { recursive: true, force: true });
});

/** Runs forward to completion in the task namespace (it must fail at start). */
async function forwardMustFail(prefix: string[], extra: string[] = []) {
  const r = await lab.exec(
    'task',
    prefix[0],
    [...prefix.slice(1), process.execPath, FORWARD_MAIN, 'forward', '--to', TO, ...extra],
    {
      allowFailure: true,
      timeoutMs: 30_000,
    },
  );
  return r;
}

describe('forward without CAP_NET_RAW', () => {
  it('refuses to start, naming the capability, when NET_RAW is dropped (setpriv)', async () => {
    const r = await forwardMustFail(['setpriv', '--bounding-set', '-net_raw', '--inh-caps', '-all', '--']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CAP_NET_RAW/);
    expect(r.stderr).toMatch(/\(FORWARDER_NET_RAW_MISSING\)/);
  });

  it('refuses to start when NET_RAW is dropped with capsh', async () => {
    const r = await lab.exec(
      'task',
      'capsh',
      ['--drop=cap_net_raw', '--', '-c', `exec ${process.execPath} ${FORWARD_MAIN} forward --to ${TO}`],
      { allowFailure: true, timeoutMs: 30_000 },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/capturing needs the CAP_NET_RAW capability/);
  });

  it('refuses to start, naming the capability, when a non-root tcpdump lacks it', async () => {
    // NET_RAW is in the bounding set, but neither the user nor the system tcpdump has it.
    const r = await forwardMustFail(['setpriv', ...NOBODY, ...DOCKER_CAPS, '--']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CAP_NET_RAW/);
    expect(r.stderr).toMatch(/permission|Operation not permitted/);
  });
});

describe("forward with exactly Docker's default capabilities", () => {
  it('starts as root, forwards traffic, reports stats on SIGUSR1', async () => {
    const fwd = await startForward(lab, ['--to', TO, '--vni', '7', '--log-level', 'info'], {
      prefix: ['setpriv', ...DOCKER_CAPS, '--'],
    });
    await lab.exec('task', 'ping', ['-c', '3', '-i', '0.2', ADDR.client.v4]);
    // SIGUSR1: a stats line, and it keeps running.
    process.kill(fwd.proc.pid, 'SIGUSR1');
    await fwd.proc.waitForOutput('"reason":"sigusr1"');
    const { exit, stats } = await fwd.stop();
    expect(exit).toBe(0);
    expect(stats.reason).toBe('exit:stopped');
    expect(stats.vni).toBe(7);
    // 3 echo requests and 3 replies at least.
    expect(stats.framesCaptured as number).toBeGreaterThanOrEqual(6);
    expect(stats.datagramsSent).toBe(stats.datagramsQueued);
  });

  it('starts as the image runs it (its own program, settings from the environment) as a non-root user with a cap_net_raw tcpdump, VNI from the task ARN', async () => {
    // An ECS task metadata endpoint in the task's namespace, like the agent's.
    const metadata = `require('node:http').createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end(JSON.stringify({ TaskARN: '${TASK_ARN}', Cluster: 'default', AvailabilityZone: 'us-west-2d', LaunchType: 'FARGATE', Containers: [{ Name: 'app', Networks: [{ NetworkMode: 'awsvpc', IPv4Addresses: ['${ADDR.task.v4}'] }] }] })); }).listen(51678, '127.0.0.1', () => console.log('metadata up'))`;
    await lab.spawn('task', process.execPath, ['-e', metadata]).waitForOutput('metadata up');
    const fwd = await startForward(lab, [], {
      prefix: ['setpriv', ...NOBODY, ...DOCKER_CAPS, '--'],
      command: FORWARDER_PROGRAM,
      env: {
        PATH: process.env.PATH,
        ECS_CONTAINER_METADATA_URI_V4: 'http://127.0.0.1:51678/v4/0123',
        FARGATE_MIRROR_TO: TO,
        FARGATE_MIRROR_LOG_LEVEL: 'info',
        FARGATE_MIRROR_TCPDUMP: join(capDir, 'tcpdump'),
      },
    });
    const status = await run('sh', ['-c', `grep -E '^(Uid|CapEff|CapBnd)' /proc/${fwd.proc.pid}/status`]);
    expect(status.stdout).toMatch(/^Uid:\s+65534\s/m);
    expect(status.stdout).toMatch(/^CapEff:\s+0+$/m); // the forwarder itself holds no capability
    expect(fwd.startLog).toMatchObject({ task: { taskArn: TASK_ARN, launchType: 'FARGATE' } });
    await lab.exec('task', 'ping', ['-c', '3', '-i', '0.2', ADDR.client.v4]);
    const { exit, stats } = await fwd.stop();
    expect(exit).toBe(0);
    const python = `import sys\nh=0x811c9dc5\nfor b in sys.argv[1].encode(): h=((h^b)*0x01000193)&0xffffffff\nprint((((h>>24)^h)&0xffffff) or 1)`;
    const expectedVni = Number((await run('/usr/bin/python3', ['-c', python, TASK_ARN])).stdout.trim());
    expect(stats.vni).toBe(expectedVni);
    expect(stats.framesCaptured as number).toBeGreaterThanOrEqual(6);
    expect(stats.datagramsSent as number).toBeGreaterThanOrEqual(6);
  });
});
