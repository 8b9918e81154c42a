// The built fargate-mirror CLI run against aws-local (started with @fargate-mirror/testkit/aws-local,
// where Debian's AWS CLI acts as the user who made the service).
import { existsSync } from 'node:fs';
import { awsLocalEnv, REGION, requireAwsCli } from '@fargate-mirror/testkit/aws-local';
import { CLI_BIN } from '@fargate-mirror/testkit/cli';
import { run } from '@fargate-mirror/testkit/proc';

export function requireAwsCliAndBuild(): void {
  requireAwsCli();
  if (!existsSync(CLI_BIN)) throw new Error(`${CLI_BIN} is missing: build the CLI first (npm run build)`);
}

/** `fargate-mirror ARGS` (the built CLI) with the emulator's endpoint, region and keys. */
export function fargateMirror(url: string, args: string[]) {
  return run(process.execPath, [CLI_BIN, ...args], {
    env: { ...awsLocalEnv(), AWS_ENDPOINT_URL: url, AWS_REGION: REGION, AWS_MAX_ATTEMPTS: '1' },
    allowFailure: true,
    timeoutMs: 120_000,
  });
}
