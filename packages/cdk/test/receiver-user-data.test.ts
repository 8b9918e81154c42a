/**
 * The receiver's boot script as CloudFormation will hand it to the instance: extracted from the
 * synthesized launch template, checked with shellcheck, then run for real against a scratch root
 * directory with stubbed system commands (systemctl, dnf, aws, ...), and the installed receiver
 * bundle executed with Node.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { type Json, resolveToString } from './support/cfn.js';
import { buildAllOptions, buildDefaults } from './support/stacks.js';

const SHELLCHECK = '/usr/bin/shellcheck';
const scratch = mkdtempSync(join(tmpdir(), 'fm-cdk-userdata-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const REFS: Record<string, string> = {
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '111111111111',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

function userDataOf(template: Template): string {
  const lt = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0] as {
    Properties: { LaunchTemplateData: { UserData: Json } };
  };
  return resolveToString(
    lt.Properties.LaunchTemplateData.UserData,
    (name) => REFS[name] ?? `REF_${name.replace(/[^A-Za-z0-9]/g, '_')}`,
  );
}

function healthCheckPortOf(template: Template): string {
  const tg = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'))[0] as {
    Properties: { HealthCheckPort: string };
  };
  return tg.Properties.HealthCheckPort;
}

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
    chown: '',
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
    expect(run.calls).toEqual([
      `sysctl -q -p ${run.root}/etc/sysctl.d/90-fargate-mirror.conf`,
      'dnf install -y nodejs22',
      expect.stringMatching(
        /^aws s3 cp s3:\/\/cdk-hnb659fds-assets-111111111111-eu-west-1\/[0-9a-f]{64}\.mjs .*\/opt\/fargate-mirror\/lib\/fargate-mirror\.mjs --region eu-west-1 --only-show-errors$/,
      ),
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

  it('starts the receiver with the health port the NLB target group checks', () => {
    const unit = readFileSync(join(run.root, 'etc/systemd/system/fargate-mirror-receiver.service'), 'utf8');
    const execStart = /^ExecStart=(.*)$/m.exec(unit)?.[1];
    expect(execStart).toBeDefined();
    const args = execStart!.split(' ');
    expect(args.slice(1, 5)).toEqual([
      '/opt/fargate-mirror/lib/fargate-mirror.mjs',
      'receive',
      '--config',
      '/etc/fargate-mirror/receiver.json',
    ]);
    expect(args[args.indexOf('--health-port') + 1]).toBe(healthPort);
    expect(unit).toMatch(/^User=fargate-mirror$/m);
    expect(unit).toMatch(/^Environment=AWS_REGION=eu-west-1$/m);
    const config = JSON.parse(
      readFileSync(join(run.root, 'etc/fargate-mirror/receiver.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(config).toMatchObject({
      port: 4789,
      genevePort: 6081,
      healthPort: Number(healthPort),
      identity: { source: 'aws', region: 'eu-west-1' },
    });
    expect(config['splunk']).toBeUndefined();
  });

  it('installs a receiver bundle that Node runs, reading its version from the package.json beside it', () => {
    const unit = readFileSync(join(run.root, 'etc/systemd/system/fargate-mirror-receiver.service'), 'utf8');
    const nodeBin = /^ExecStart=(\S+)/m.exec(unit)![1]!;
    expect(nodeBin).toBe(
      execFileSync('/bin/bash', ['-c', 'command -v node'], {
        env: { PATH: '/usr/bin:/bin' },
        encoding: 'utf8',
      }).trim(),
    );
    const cliVersion = (
      JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'cli', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    const out = execFileSync(
      nodeBin,
      [join(run.root, 'opt/fargate-mirror/lib/fargate-mirror.mjs'), '--version'],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toBe(cliVersion);
    // the operator's wrapper runs the same file with the same Node (paths as on the instance).
    expect(readFileSync(join(run.root, 'usr/local/bin/fargate-mirror'), 'utf8')).toBe(
      `#!/bin/sh\nexec ${nodeBin} /opt/fargate-mirror/lib/fargate-mirror.mjs "$@"\n`,
    );
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

  it('writes the HEC token from the secret and points the Splunk config at it', () => {
    expect(run.status).toBe(0);
    expect(run.calls).toContainEqual(
      expect.stringMatching(
        /^aws secretsmanager get-secret-value --region eu-west-1 --secret-id REF_HecToken[0-9A-F]{8} --query SecretString --output text$/,
      ),
    );
    expect(run.calls).not.toContainEqual(expect.stringMatching(/^dnf /));
    expect(readFileSync(join(run.root, 'etc/fargate-mirror/splunk-hec-token'), 'utf8').trim()).toBe(
      'hec-token-value',
    );
    const config = JSON.parse(
      readFileSync(join(run.root, 'etc/fargate-mirror/receiver.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(config).toMatchObject({
      healthPort: 9200,
      workers: 2,
      splunk: { url: 'https://splunk.example.com:8088', tokenFile: '/etc/fargate-mirror/splunk-hec-token' },
    });
    const unit = readFileSync(join(run.root, 'etc/systemd/system/fargate-mirror-receiver.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/opt\/node\/bin\/node .* --health-port 9200$/m);
    expect(readFileSync(join(run.root, 'etc/sysctl.d/90-fargate-mirror.conf'), 'utf8')).toContain(
      'net.core.rmem_max = 134217728',
    );
  });
});
