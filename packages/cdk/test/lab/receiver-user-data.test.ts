/**
 * The receiver's boot script as CloudFormation will hand it to the instance: extracted from the
 * synthesized launch template, checked with shellcheck, then run for real against a scratch root
 * directory with stubbed system commands (systemctl, dnf, aws, ...). The unit it writes is then
 * started as systemd would start it (network namespace, chroot into the scratch root, read-only
 * system, unprivileged user): it must answer /healthz on the target group's health-check port,
 * receive mirrored traffic into the files its config names, and exit 0 on SIGTERM.
 */
import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfigFile, resolveReceiverConfig } from '@fargate-mirror/receiver';
import { afterAll, describe, expect, it } from 'vitest';
import { buildAllOptions, buildDefaults } from '../support/stacks.js';
import { parseServiceUnit, SANDBOX_UID, type StartedUnit, startUnit } from '../support/unit-sandbox.js';
import { healthCheckPortOf, userDataOf } from '../support/user-data.js';

const SHELLCHECK = '/usr/bin/shellcheck';
const REPO = join(import.meta.dirname, '..', '..', '..', '..');
const SAMPLE = join(REPO, 'fixtures', 'sample-mirror.pcap');
const UNIT_PATH = 'etc/systemd/system/fargate-mirror-receiver.service';
const scratch = mkdtempSync(join(tmpdir(), 'fm-cdk-userdata-'));
const started: StartedUnit[] = [];
afterAll(() => {
  for (const unit of started) unit.cleanUp();
  rmSync(scratch, { recursive: true, force: true });
});

const STUB = (log: string, body: string) => `#!/bin/bash\necho "$(basename "$0") $*" >> '${log}'\n${body}\n`;

/** Runs the script with every system-changing command replaced by a stub that records its arguments. */
function runBootScript(
  name: string,
  script: string,
  assetDir: string,
): { root: string; calls: string[]; status: number | null; stderr: string } {
  const dir = join(scratch, name);
  const root = join(dir, 'root');
  const bin = join(dir, 'bin');
  const log = join(dir, 'calls.log');
  execFileSync('mkdir', ['-p', root, bin]);
  writeFileSync(log, '');
  const stubs: Record<string, string> = {
    systemctl: '',
    sysctl: '',
    dnf: '',
    'amazon-cloudwatch-agent-ctl': '',
    // `useradd --system --home-dir DIR --shell SH NAME`: the passwd/group entries systemd's User= needs.
    useradd: [
      'home=""; shell=""',
      'while [ $# -gt 1 ]; do case "$1" in --home-dir) home=$2; shift 2;; --shell) shell=$2; shift 2;; *) shift;; esac; done',
      `echo "$1:x:${SANDBOX_UID}:${SANDBOX_UID}::$home:$shell" >> "$FARGATE_MIRROR_ROOT/etc/passwd"`,
      `echo "$1:x:${SANDBOX_UID}:" >> "$FARGATE_MIRROR_ROOT/etc/group"`,
    ].join('\n'),
    // names resolve through the scratch root's passwd (the host has no fargate-mirror user).
    chown: `exec /usr/bin/chown "\${@//fargate-mirror:fargate-mirror/${SANDBOX_UID}:${SANDBOX_UID}}"`,
    id: 'exit 1',
    // `aws s3 cp s3://bucket/KEY DEST`: the asset as the CDK CLI would have uploaded it; a secret prints its value.
    aws: [
      'if [ "$1" = s3 ] && [ "$2" = cp ]; then cp "' +
        assetDir +
        '/asset.$(basename "$3")" "$4"; exit $?; fi',
      'if [ "$1" = secretsmanager ]; then echo "hec-token-value"; exit 0; fi',
      'exit 2',
    ].join('\n'),
  };
  for (const [cmd, body] of Object.entries(stubs)) {
    writeFileSync(join(bin, cmd), STUB(log, body));
    chmodSync(join(bin, cmd), 0o755);
  }
  const scriptFile = join(dir, 'user-data.sh');
  writeFileSync(scriptFile, script);
  const r = spawnSync('/bin/bash', [scriptFile], {
    env: { PATH: `${bin}:/usr/bin:/bin`, FARGATE_MIRROR_ROOT: root, HOME: dir },
    encoding: 'utf8',
  });
  return { root, calls: readFileSync(log, 'utf8').trim().split('\n'), status: r.status, stderr: r.stderr };
}

function shellcheck(script: string): { status: number | null; output: string } {
  if (!existsSync(SHELLCHECK))
    throw new Error(`shellcheck is required at ${SHELLCHECK} (apt-get install shellcheck); it is missing`);
  const r = spawnSync(SHELLCHECK, ['--shell=bash', '--severity=style', '-'], {
    input: script,
    encoding: 'utf8',
  });
  return { status: r.status, output: r.stdout + r.stderr };
}

/** Resolves with the first stderr line matching `pattern`; rejects if the process ends first. */
function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  output: { stderr: string },
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = pattern.exec(output.stderr);
      if (m) {
        child.stderr?.off('data', check);
        child.off('exit', onExit);
        resolve(m);
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      reject(
        new Error(
          `the receiver exited (code ${code}, signal ${signal}) before ${pattern}:\n${output.stderr}`,
        ),
      );
    child.stderr?.on('data', check);
    child.once('exit', onExit);
    check();
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

interface UnitRun {
  /** The health port the receiver's ready line names. */
  readonly readyHealthPort: number;
  /** `STATUS BODY` of GET /healthz on the target group's health-check port. */
  readonly healthz: string;
  /** `STATUS BYTES,STATUS BYTES` of GET /ui/ and /ui/app.js on the same port. */
  readonly ui: string;
  /** Datagrams the replay sent, and those the receiver's stop summary counted. */
  readonly sent: number;
  readonly received: number;
  readonly exit: { code: number | null; signal: string | null };
  readonly recordTypes: readonly string[];
  /** The receiver's EMF lines (its own metrics, for the CloudWatch agent) and the records' dvc values. */
  readonly emf: readonly { InstanceId?: string; Fleet?: string; _aws?: unknown }[];
  readonly dvcs: readonly string[];
  readonly pcapFiles: readonly string[];
  readonly stderr: string;
}

/**
 * Starts the unit the boot script wrote in `root` as systemd would (see support/unit-sandbox.ts),
 * checks /healthz like the load balancer, sends it the sample mirror capture on the VXLAN port with
 * the installed bundle's `replay`, stops it with SIGTERM to its own PID, and reports what happened.
 */
async function exerciseUnit(
  root: string,
  healthPort: number,
  name: string,
  mirrorSource: string,
): Promise<UnitRun> {
  const settings = parseServiceUnit(readFileSync(join(root, UNIT_PATH), 'utf8'));
  const unit = startUnit(root, settings, `fm-cdk-${name}-${process.pid}`);
  started.push(unit);
  const receiver = unit.process;
  const output = { stderr: '' };
  receiver.stderr?.setEncoding('utf8');
  receiver.stderr?.on('data', (chunk: string) => {
    output.stderr += chunk;
  });
  try {
    const ready = await waitForLine(receiver, /ready: .*health http port (\d+)/, output);
    // The load balancer's health check, from inside the receiver's network namespace.
    const check = unit.execInNamespace([
      process.execPath,
      '-e',
      `fetch('http://127.0.0.1:${healthPort}/healthz').then(async (r) => console.log(r.status, await r.text()))`,
    ]);
    if (check.status !== 0) throw new Error(`GET /healthz failed: ${check.stderr}`);
    // The live page (on only where receiverConfig asks for it): its page and script, by status and size.
    const page = unit.execInNamespace([
      process.execPath,
      '-e',
      `Promise.all(['/ui/', '/ui/app.js'].map((p) => fetch('http://127.0.0.1:${healthPort}' + p).then(async (r) => r.status + ' ' + (await r.arrayBuffer()).byteLength))).then((a) => console.log(a.join(',')))`,
    ]);
    if (page.status !== 0) throw new Error(`GET /ui/ failed: ${page.stderr}`);
    // Mirrored VXLAN to the port the NLB listener forwards to (4789), sent by the installed bundle
    // from an address of the monitored CIDRs (the NLB keeps the mirrored ENI's source address): the
    // generated config accepts only those (allowSources).
    const addr = unit.execInNamespace(['ip', 'addr', 'add', `${mirrorSource}/32`, 'dev', 'lo']);
    if (addr.status !== 0) throw new Error(`ip addr add ${mirrorSource} failed: ${addr.stderr}`);
    const replay = unit.execInNamespace([
      process.execPath,
      join(root, 'opt/fargate-mirror/lib/fargate-mirror.mjs'),
      'replay',
      SAMPLE,
      '--to',
      `${mirrorSource}:4789`,
      '--from',
      mirrorSource,
      '--summary-json',
    ]);
    if (replay.status !== 0) throw new Error(`replay failed: ${replay.stderr}`);
    // SIGTERM, as `systemctl stop` sends (KillSignal=SIGTERM), to the service's own PID.
    receiver.kill('SIGTERM');
    const exit = await exitOf(receiver);
    const data = join(root, 'var/lib/fargate-mirror');
    const recordsFile = join(data, 'records/records.jsonl');
    return {
      readyHealthPort: Number(ready[1]),
      healthz: check.stdout.trim(),
      ui: page.stdout.trim(),
      sent: (JSON.parse(replay.stderr) as { datagrams: number }).datagrams,
      received: Number(/stopped: (\d+) datagrams/.exec(output.stderr)?.[1]),
      exit,
      emf: existsSync(join(data, 'metrics/emf.jsonl'))
        ? readFileSync(join(data, 'metrics/emf.jsonl'), 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as { InstanceId?: string })
        : [],
      dvcs: existsSync(recordsFile)
        ? [
            ...new Set(
              readFileSync(recordsFile, 'utf8')
                .trim()
                .split('\n')
                .filter((line) => line !== '')
                .map((line) => (JSON.parse(line) as { dvc: string }).dvc),
            ),
          ]
        : [],
      recordTypes: existsSync(recordsFile)
        ? readFileSync(recordsFile, 'utf8')
            .trim()
            .split('\n')
            .filter((line) => line !== '')
            .map((line) => (JSON.parse(line) as { type: string }).type)
        : [],
      pcapFiles: readdirSync(join(data, 'pcap')),
      stderr: output.stderr,
    };
  } finally {
    unit.cleanUp();
  }
}

describe('receiver user data (defaults: NLB, Node from the AL2023 package)', () => {
  const outdir = join(scratch, 'cdk.out.defaults');
  const { template } = buildDefaults({ bundle: true, outdir });
  const script = userDataOf(template);
  const healthPort = healthCheckPortOf(template);

  it('passes shellcheck', () => {
    const r = shellcheck(script);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  const run = runBootScript('defaults', script, outdir);

  it('runs to the end and enables the receiver service', () => {
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const asset = (file: string) =>
      new RegExp(
        `^aws s3 cp s3://cdk-hnb659fds-assets-111111111111-eu-west-1/[0-9a-f]{64}\\.(mjs|js|c) .*/opt/fargate-mirror/lib/${file.replace('.', '\\.')} --region eu-west-1 --only-show-errors$`,
      );
    expect(run.calls).toEqual([
      `sysctl -q -p ${run.root}/etc/sysctl.d/90-fargate-mirror.conf`,
      'dnf install -y nodejs22',
      expect.stringMatching(asset('fargate-mirror.mjs')),
      expect.stringMatching(asset('worker-main.js')),
      // The native intake's source; gcc is on this machine's PATH, so no `dnf install -y gcc`.
      expect.stringMatching(asset('fm-recv.c')),
      'id -u fargate-mirror',
      'useradd --system --home-dir /var/lib/fargate-mirror --shell /sbin/nologin fargate-mirror',
      `chown -R fargate-mirror:fargate-mirror ${run.root}/var/lib/fargate-mirror`,
      'dnf install -y amazon-cloudwatch-agent',
      `chown fargate-mirror:fargate-mirror ${run.root}/var/lib/fargate-mirror/metrics`,
      `amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${run.root}/opt/aws/amazon-cloudwatch-agent/etc/fargate-mirror-emf.json`,
      'systemctl daemon-reload',
      'systemctl enable --now fargate-mirror-receiver.service',
    ]);
  });

  it('raises net.core.rmem_max for the receiver socket buffer', () => {
    expect(readFileSync(join(run.root, 'etc/sysctl.d/90-fargate-mirror.conf'), 'utf8')).toContain(
      'net.core.rmem_max = 67108864',
    );
  });

  it('writes a unit that starts the receiver with the health port the NLB target group checks', () => {
    const unit = readFileSync(join(run.root, UNIT_PATH), 'utf8');
    const { execStart, environment, user } = parseServiceUnit(unit);
    expect(execStart.slice(1, 5)).toEqual([
      '/opt/fargate-mirror/lib/fargate-mirror.mjs',
      'receive',
      '--config',
      '/etc/fargate-mirror/receiver.json',
    ]);
    expect(Number(execStart[execStart.indexOf('--health-port') + 1])).toBe(healthPort);
    expect(user).toBe('fargate-mirror');
    expect(environment).toEqual({
      AWS_REGION: 'eu-west-1',
      FARGATE_MIRROR_NATIVE_ADDON: '/opt/fargate-mirror/lib/fm-recv.node',
    });
    // Sockets only: no capability beyond the unprivileged user's.
    expect(unit).not.toMatch(/Capabilit/);
  });

  it('writes a receiver.json that the receiver accepts, with the same health port', () => {
    const config = resolveReceiverConfig(readConfigFile(join(run.root, 'etc/fargate-mirror/receiver.json')));
    expect(config.healthPort).toBe(healthPort);
    expect(config.port).toBe(4789);
  });

  it('installs a receiver bundle that reports the CLI version with no package.json beside it', () => {
    const unit = parseServiceUnit(readFileSync(join(run.root, UNIT_PATH), 'utf8'));
    const nodeBin = unit.execStart[0]!;
    expect(nodeBin).toBe(
      execFileSync('/bin/bash', ['-c', 'command -v node'], {
        env: { PATH: '/usr/bin:/bin' },
        encoding: 'utf8',
      }).trim(),
    );
    const cliVersion = (
      JSON.parse(readFileSync(join(REPO, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string }
    ).version;
    expect(readdirSync(join(run.root, 'opt/fargate-mirror'))).toEqual(['lib']);
    expect(readdirSync(join(run.root, 'opt/fargate-mirror/lib')).sort()).toEqual([
      'fargate-mirror.mjs',
      'fm-recv.c',
      'fm-recv.node',
      'worker-main.js',
    ]);
    const out = execFileSync(
      nodeBin,
      [join(run.root, 'opt/fargate-mirror/lib/fargate-mirror.mjs'), '--version'],
      {
        encoding: 'utf8',
      },
    );
    expect(out.trim()).toBe(cliVersion);
    // the operator's wrapper runs the same file with the same Node (paths as on the instance).
    expect(readFileSync(join(run.root, 'usr/local/bin/fargate-mirror'), 'utf8')).toBe(
      `#!/bin/sh\nexec ${nodeBin} /opt/fargate-mirror/lib/fargate-mirror.mjs "$@"\n`,
    );
  });

  it('starts as its unit says: /healthz answers 200 on the health-check port, traffic is recorded, SIGTERM exits 0', async () => {
    const r = await exerciseUnit(run.root, healthPort, 'defaults', '10.1.0.10');
    expect(r.readyHealthPort).toBe(healthPort);
    // The addon the boot script compiled, loaded by the single-file bundle's workers.
    expect(r.stderr).toMatch(/ready: .*, intake native, /);
    // the data directories the boot script made are private, as the receiver wants for raw payload.
    expect(r.stderr).not.toContain('readable by others');
    expect(r.healthz).toMatch(/^200 /);
    // The live page is off unless receiverConfig turns it on.
    expect(
      r.ui.split(',').map((s) => s.split(' ')[0]),
      r.ui,
    ).toEqual(['404', '404']);
    expect(r.exit, r.stderr).toEqual({ code: 0, signal: null });
    expect(r.received, r.stderr).toBe(r.sent);
    expect(r.recordTypes, r.stderr).toContain('flow');
    // Named after the host (no instance metadata service in the sandbox), and its own metrics written
    // for the CloudWatch agent under the fleet's dimension.
    expect(r.dvcs).toEqual([hostname()]);
    expect(r.emf.length, r.stderr).toBeGreaterThanOrEqual(1);
    expect(r.emf[0]).toMatchObject({ InstanceId: hostname(), Fleet: expect.stringMatching(/TargetFleet/) });
    expect(r.pcapFiles.some((f) => f.endsWith('.pcap'))).toBe(true);
  });
});

describe('receiver user data (all options: preinstalled Node, HEC token from Secrets Manager)', () => {
  const outdir = join(scratch, 'cdk.out.all');
  const { template } = buildAllOptions({ bundle: true, outdir });
  const script = userDataOf(template);

  it('passes shellcheck', () => {
    const r = shellcheck(script);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  const run = runBootScript('all', script, outdir);

  it('writes the HEC token from the secret, readable by the receiver user only', () => {
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.calls).toContainEqual(
      expect.stringMatching(
        /^aws secretsmanager get-secret-value --region eu-west-1 --secret-id REF_HecToken[0-9A-F]{8} --query SecretString --output text$/,
      ),
    );
    // Node is preinstalled on this image: the only package installed is the CloudWatch agent.
    expect(run.calls.filter((c) => c.startsWith('dnf '))).toEqual(['dnf install -y amazon-cloudwatch-agent']);
    const tokenFile = join(run.root, 'etc/fargate-mirror/splunk-hec-token');
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe('hec-token-value');
    const stat = execFileSync('stat', ['-c', '%a %u', tokenFile], { encoding: 'utf8' }).trim();
    expect(stat).toBe(`600 ${SANDBOX_UID}`);
  });

  it('starts the receiver with the custom health port and the merged receiverConfig', () => {
    const config = resolveReceiverConfig(readConfigFile(join(run.root, 'etc/fargate-mirror/receiver.json')));
    expect(config.healthPort).toBe(9200);
    expect(config.workers).toBe(2);
    const unit = parseServiceUnit(readFileSync(join(run.root, UNIT_PATH), 'utf8'));
    expect(unit.execStart[0]).toBe('/opt/node/bin/node');
    expect(unit.execStart.slice(-2)).toEqual(['--health-port', '9200']);
    expect(readFileSync(join(run.root, 'etc/sysctl.d/90-fargate-mirror.conf'), 'utf8')).toContain(
      'net.core.rmem_max = 134217728',
    );
  });

  it('starts as its unit says, sending to Splunk HEC with the token file: /healthz 200, SIGTERM exits 0', async () => {
    // The custom AMI's preinstalled Node at the path the unit names: the host's Node (under the
    // sandbox's read-only /usr).
    if (!process.execPath.startsWith('/usr/')) {
      throw new Error(`the sandbox shares only /usr with the host, but Node is at ${process.execPath}`);
    }
    mkdirSync(join(run.root, 'opt/node/bin'), { recursive: true });
    symlinkSync(process.execPath, join(run.root, 'opt/node/bin/node'));
    const r = await exerciseUnit(run.root, 9200, 'all', '10.20.0.10');
    expect(r.readyHealthPort).toBe(9200);
    // receiverConfig ui: true: the page and its script come out of the installed single-file bundle.
    const [pageStatus, scriptStatus] = r.ui.split(',').map((s) => s.split(' ').map(Number));
    expect(pageStatus?.[0], r.ui).toBe(200);
    expect(scriptStatus?.[0], r.ui).toBe(200);
    expect(scriptStatus?.[1], r.ui).toBeGreaterThan(100_000);
    // the receiver read the token file (any problem with it stops the start) and runs the HEC sink.
    expect(r.stderr).toMatch(/ready: .*, hec https:\/\/splunk\.example\.com:8088/);
    expect(r.healthz).toMatch(/^200 /);
    expect(r.exit, r.stderr).toEqual({ code: 0, signal: null });
    expect(r.received, r.stderr).toBe(r.sent);
    expect(r.recordTypes, r.stderr).toContain('flow');
    // Splunk is unreachable from the sandbox: what was not delivered waits in the spool, under ReadWritePaths.
    expect(readdirSync(join(run.root, 'var/lib/fargate-mirror/hec-spool')).length, r.stderr).toBeGreaterThan(
      0,
    );
  });
});
