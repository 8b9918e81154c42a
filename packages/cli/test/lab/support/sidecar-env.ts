// aws-local on a free port, Debian's AWS CLI acting as the user who made the service (console,
// Terraform: anything but the CDK), and the built fargate-mirror CLI run against the same endpoint.
import { existsSync } from 'node:fs';
import { type AwsLocal, startAwsLocal } from '@fargate-mirror/aws-local';
import { CLI_BIN } from '@fargate-mirror/testkit/cli';
import { run } from '@fargate-mirror/testkit/proc';

export const REGION = 'us-east-1';
export const AWS_CLI = '/usr/bin/aws';

const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_PAGER: '',
};

export function requireAwsCliAndBuild(): void {
  if (!existsSync(AWS_CLI)) {
    throw new Error(`Debian's AWS CLI v2 is required at ${AWS_CLI} (apt-get install awscli); it is missing`);
  }
  if (!existsSync(CLI_BIN)) throw new Error(`${CLI_BIN} is missing: build the CLI first (npm run build)`);
}

export async function startLocal(): Promise<AwsLocal> {
  return startAwsLocal({ port: 0, speed: 200 });
}

/** Only PATH and HOME of this process, so no AWS setting of the machine leaks in. */
function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...CREDENTIALS };
}

/** Debian's AWS CLI against aws-local, JSON parsed; a failure fails the test with its stderr. */
export async function aws(url: string, args: string[]): Promise<Record<string, unknown>> {
  const r = await run(AWS_CLI, [...args, '--endpoint-url', url, '--output', 'json', '--region', REGION], {
    env: baseEnv(),
    allowFailure: true,
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`aws ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, unknown>) : {};
}

/** `fargate-mirror ARGS` (the built CLI) with the emulator's endpoint, region and keys. */
export function fargateMirror(url: string, args: string[]) {
  return run(process.execPath, [CLI_BIN, ...args], {
    env: { ...baseEnv(), AWS_ENDPOINT_URL: url, AWS_REGION: REGION, AWS_MAX_ATTEMPTS: '1' },
    allowFailure: true,
    timeoutMs: 120_000,
  });
}
