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
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfigFile, resolveReceiverConfig } from '@fargate-mirror/receiver';
import { afterAll, describe, expect, it } from 'vitest';
import { buildAllOptions, buildDefaults } from './support/stacks.js';
import { parseServiceUnit, SANDBOX_UID, type StartedUnit, startUnit } from './support/unit-sandbox.js';
import { healthCheckPortOf, userDataOf } from './support/user-data.js';

const SHELLCHECK = '/usr/bin/shellcheck';
const REPO = join(import.meta.dirname, '..', '..', '..');
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
    useradd: '',
    // the instance's fargate-mirror system user is the sandbox's unprivileged uid here.
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
        `^aws s3 cp s3://cdk-hnb659fds-assets-111111111111-eu-west-1/[0-9a-f]{64}\\.(mjs|js) .*/opt/fargate-mirror/lib/${file.replace('.', '\\.')} --region eu-west-1 --only-show-errors$`,
      );
    expect(run.calls).toEqual([
      `sysctl -q -p ${run.root}/etc/sysctl.d/90-fargate-mirror.conf`,
      'dnf install -y nodejs22',
      expect.stringMatching(asset('fargate-mirror.mjs')),
      expect.stringMatching(asset('worker-main.js')),
      'id -u fargate-mirror',
      'useradd --system --home-dir /var/lib/fargate-mirror --shell /sbin/nologin fargate-mirror',
      `chown -R fargate-mirror:fargate-mirror ${run.root}/var/lib/fargate-mirror`,
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
    expect(environment).toEqual({ AWS_REGION: 'eu-west-1' });
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
    const settings = parseServiceUnit(readFileSync(join(run.root, UNIT_PATH), 'utf8'));
    const unit = startUnit(run.root, settings, `fm-cdk-ud-${process.pid}`);
    started.push(unit);
    const receiver = unit.process;
    const output = { stderr: '' };
    receiver.stderr?.setEncoding('utf8');
    receiver.stderr?.on('data', (chunk: string) => {
      output.stderr += chunk;
    });

    // Prepare: the receiver is up (its own ready line names the health port it listens on).
    const ready = await waitForLine(receiver, /ready: .*health http port (\d+)/, output);
    expect(Number(ready[1])).toBe(healthPort);
    // the data directories the boot script made are private, as the receiver wants for raw payload.
    expect(output.stderr).not.toContain('readable by others');

    // Act and assess: the load balancer's health check, from inside the receiver's network namespace.
    const check = unit.execInNamespace([
      process.execPath,
      '-e',
      `fetch('http://127.0.0.1:${healthPort}/healthz').then(async (r) => console.log(r.status, await r.text()))`,
    ]);
    expect(check.stderr).toBe('');
    expect(check.stdout.trim()).toMatch(/^200 /);

    // Mirrored VXLAN to the port the NLB listener forwards to (4789), sent by the installed bundle.
    const replay = unit.execInNamespace([
      process.execPath,
      join(run.root, 'opt/fargate-mirror/lib/fargate-mirror.mjs'),
      'replay',
      SAMPLE,
      '--to',
      '127.0.0.1:4789',
      '--summary-json',
    ]);
    expect(replay.status, replay.stderr).toBe(0);
    const sent = (JSON.parse(replay.stderr) as { datagrams: number }).datagrams;
    expect(sent).toBeGreaterThan(0);

    // SIGTERM, as `systemctl stop` sends (KillSignal=SIGTERM), to the service's own PID.
    expect(receiver.kill('SIGTERM')).toBe(true);
    const exit = await exitOf(receiver);
    expect(exit, output.stderr).toEqual({ code: 0, signal: null });
    const stopped = /stopped: (\d+) datagrams/.exec(output.stderr);
    expect(stopped?.[1], output.stderr).toBe(String(sent));

    // The files the config names, written as the unprivileged user under ReadWritePaths.
    const records = readFileSync(join(run.root, 'var/lib/fargate-mirror/records/records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    expect(records.some((r) => r.type === 'flow')).toBe(true);
    const pcaps = readdirSync(join(run.root, 'var/lib/fargate-mirror/pcap'));
    expect(pcaps.some((f) => f.endsWith('.pcap'))).toBe(true);
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
    expect(run.calls).not.toContainEqual(expect.stringMatching(/^dnf /));
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
});
