import {
  CreateTrafficMirrorFilterCommand,
  DescribeNetworkInterfacesCommand,
  DescribeTrafficMirrorSessionsCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import { ListClustersCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { MUTATING, NON_MUTATING, UNFILTERED_NON_MUTATING } from '../../src/index.js';
import { failure, harness } from '../support/harness.js';

describe("EC2's token-bucket throttling (AWS's published buckets by default)", () => {
  it('allows a burst of 50 mutating calls per API, throttles the 51st with RequestLimitExceeded (503), refills at 5/s', async () => {
    expect(MUTATING).toEqual({ capacity: 50, refillPerSecond: 5 });
    // A stopped clock: the bucket refills only when the test moves time.
    const h = await harness({ clock: 'manual' });
    try {
      for (let i = 0; i < 50; i++) await h.ec2.send(new CreateTrafficMirrorFilterCommand({}));
      const throttled = await failure(h.ec2.send(new CreateTrafficMirrorFilterCommand({})));
      expect(throttled).toMatchObject({ code: 'RequestLimitExceeded', status: 503 });
      // Other APIs have their own buckets.
      await h.ec2.send(new DescribeTrafficMirrorSessionsCommand({}));

      h.aws.control.advance(200); // one token at 5 per second
      await h.ec2.send(new CreateTrafficMirrorFilterCommand({}));
      expect((await failure(h.ec2.send(new CreateTrafficMirrorFilterCommand({})))).code).toBe(
        'RequestLimitExceeded',
      );
      h.aws.control.advance(60_000); // refills to the burst size, not beyond
      for (let i = 0; i < 50; i++) await h.ec2.send(new CreateTrafficMirrorFilterCommand({}));
      expect((await failure(h.ec2.send(new CreateTrafficMirrorFilterCommand({})))).code).toBe(
        'RequestLimitExceeded',
      );
      const counters = h.aws.control.summary().counters as { throttled: number };
      expect(counters.throttled).toBe(3);
    } finally {
      await h.close();
    }
  });

  it('gives Describe calls 100 tokens, and bare DescribeNetworkInterfaces the smaller 50-token bucket', async () => {
    expect(NON_MUTATING.capacity).toBe(100);
    expect(UNFILTERED_NON_MUTATING.capacity).toBe(50);
    const h = await harness({ clock: 'manual' });
    try {
      for (let i = 0; i < 100; i++) await h.ec2.send(new DescribeVpcsCommand({}));
      expect((await failure(h.ec2.send(new DescribeVpcsCommand({})))).code).toBe('RequestLimitExceeded');
      for (let i = 0; i < 50; i++) await h.ec2.send(new DescribeNetworkInterfacesCommand({}));
      expect((await failure(h.ec2.send(new DescribeNetworkInterfacesCommand({})))).code).toBe(
        'RequestLimitExceeded',
      );
      // Paginated calls draw from the larger bucket, still full.
      await h.ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5 }));
    } finally {
      await h.close();
    }
  });

  it('lets the SDK retry throttled calls: with its default retries a throttled burst still succeeds', async () => {
    const h = await harness({
      throttling: { CreateTrafficMirrorFilter: { capacity: 1, refillPerSecond: 10 } },
    });
    try {
      const { EC2Client } = await import('@aws-sdk/client-ec2');
      const retrying = new EC2Client({
        endpoint: h.aws.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        maxAttempts: 10,
      });
      for (let i = 0; i < 3; i++) await retrying.send(new CreateTrafficMirrorFilterCommand({}));
      retrying.destroy();
      const counters = h.aws.control.summary().counters as { throttled: number };
      expect(counters.throttled).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });
});

describe('API fault injection', () => {
  it('answers 5xx and throttling at the configured rates, on EC2 and ECS, and can be switched off again', async () => {
    const h = await harness({ faults: { apiErrorRate: 1 } });
    try {
      const ec2Error = await failure(h.ec2.send(new DescribeVpcsCommand({})));
      expect(ec2Error).toMatchObject({ code: 'InternalError', status: 500 });
      const ecsError = await failure(h.ecs.send(new ListClustersCommand({})));
      expect(ecsError).toMatchObject({ code: 'ServerException', status: 500 });

      h.aws.setFaults({ apiErrorRate: 0, apiThrottleRate: 1 });
      expect(await failure(h.ec2.send(new DescribeVpcsCommand({})))).toMatchObject({
        code: 'RequestLimitExceeded',
        status: 503,
      });
      expect((await failure(h.ecs.send(new ListClustersCommand({})))).code).toBe('ThrottlingException');

      // The admin endpoint changes faults over HTTP, and refuses bad input with a stable code.
      const cleared = await fetch(`${h.aws.url}/_admin/faults`, {
        method: 'POST',
        body: JSON.stringify({ apiThrottleRate: 0, latencyMs: 5 }),
      });
      expect(cleared.status).toBe(200);
      expect(await cleared.json()).toMatchObject({ apiThrottleRate: 0, latencyMs: 5 });
      const bad = await fetch(`${h.aws.url}/_admin/faults`, {
        method: 'POST',
        body: JSON.stringify({ apiErrorRate: 2 }),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { code: string }).code).toBe('AWS_LOCAL_CONFIG_INVALID');
      const unknown = await fetch(`${h.aws.url}/_admin/faults`, { method: 'POST', body: '{"typo": 1}' });
      expect(unknown.status).toBe(400);
      await h.ec2.send(new DescribeVpcsCommand({}));

      const state = (await (await fetch(`${h.aws.url}/_admin/state`)).json()) as {
        counters: {
          injectedErrors: number;
          injectedThrottles: number;
          badAdminRequests: number;
          errors: Record<string, number>;
        };
      };
      expect(state.counters).toMatchObject({ injectedErrors: 2, injectedThrottles: 2, badAdminRequests: 2 });
      expect(state.counters.errors).toMatchObject({
        InternalError: 1,
        ServerException: 1,
        RequestLimitExceeded: 1,
      });
    } finally {
      await h.close();
    }
  });

  it('refuses unsigned requests without crashing', async () => {
    const h = await harness();
    try {
      const ec2 = await fetch(h.aws.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Action=DescribeVpcs&Version=2016-11-15',
      });
      expect(ec2.status).toBe(401);
      expect(await ec2.text()).toContain('<Code>AuthFailure</Code>');
      const ecs = await fetch(h.aws.url, {
        method: 'POST',
        headers: { 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters' },
        body: '{}',
      });
      expect(ecs.status).toBe(400);
      expect(((await ecs.json()) as { __type: string }).__type).toBe('MissingAuthenticationTokenException');
      await h.ec2.send(new DescribeVpcsCommand({}));
    } finally {
      await h.close();
    }
  });
});
