import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCalls, type RunningBinary, startBinary } from '../support/aws-cli.js';

/**
 * ECS throttling as Debian's AWS CLI sees it (issue 16, "aws-local must model"): with
 * --api-throttle-rate, ECS calls answer ECS's own throttling error (ThrottlingException, HTTP 400,
 * "Rate exceeded", as ECS's request-throttling page shows it) and EC2 calls EC2's
 * (RequestLimitExceeded). The CLI runs with AWS_MAX_ATTEMPTS=1, so the first answer is what it prints.
 */
describe('aws-local --api-throttle-rate: ECS and EC2 throttling, seen by the AWS CLI', {
  timeout: 300_000,
}, () => {
  let local: RunningBinary | undefined;
  const { cliError } = cliCalls(() => local?.url ?? '');

  beforeAll(async () => {
    local = await startBinary(['--port', '0', '--api-throttle-rate', '1', '--seed', '1']);
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('ECS answers ThrottlingException (Rate exceeded) to the calls the controller makes', async () => {
    for (const args of [
      ['ecs', 'list-clusters'],
      ['ecs', 'list-tasks', '--cluster', 'default'],
      [
        'ecs',
        'describe-tasks',
        '--cluster',
        'default',
        '--tasks',
        'arn:aws:ecs:us-east-1:123456789012:task/default/0',
      ],
    ]) {
      const stderr = await cliError(...args);
      expect(stderr).toContain('(ThrottlingException)');
      expect(stderr).toContain('Rate exceeded');
    }
  });

  it('EC2 answers RequestLimitExceeded', async () => {
    expect(await cliError('ec2', 'describe-traffic-mirror-sessions')).toContain('(RequestLimitExceeded)');
  });
});
