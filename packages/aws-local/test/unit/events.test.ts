import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsLocalOptions, type EcsEvent, DEFAULT_LIFECYCLE_TIMINGS as T } from '../../src/index.js';
import { type Harness, harness } from '../support/harness.js';

const WHOLE_LIFE = Object.values(T).reduce((a, b) => a + b, 0);

/** Runs one Fargate task from start to STOPPED on a manual clock; returns its ARN. */
async function oneTaskLifetime(h: Harness): Promise<string> {
  await h.ecs.send(new CreateClusterCommand({}));
  await h.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'web',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image: 'nginx' }],
    }),
  );
  const subnet = (await h.ec2.send(new DescribeSubnetsCommand({}))).Subnets![0].SubnetId!;
  const run = await h.ecs.send(
    new RunTaskCommand({
      taskDefinition: 'web',
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: [subnet] } },
    }),
  );
  const arn = run.tasks![0].taskArn!;
  h.aws.control.advance(T.PROVISIONING + T.PENDING + T.ACTIVATING);
  await h.ecs.send(new StopTaskCommand({ task: arn }));
  h.aws.control.advance(WHOLE_LIFE);
  await h.aws.control.flushEvents();
  return arn;
}

const versionOf = (e: EcsEvent) => (e.detail as { version: number }).version;

async function lifetimeWithFaults(
  options: AwsLocalOptions,
): Promise<{ events: EcsEvent[]; counters: Record<string, number> }> {
  const h = await harness({ clock: 'manual', seed: 7, ...options });
  const events: EcsEvent[] = [];
  h.aws.onEvent((e) => {
    events.push(e);
  });
  try {
    await oneTaskLifetime(h);
    return { events, counters: h.aws.control.summary().events as Record<string, number> };
  } finally {
    await h.close();
  }
}

describe('event sinks', () => {
  let dir: string;
  let received: Array<{ contentType?: string; body: EcsEvent }>;
  let receiver: ReturnType<typeof createServer>;
  let receiverUrl: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aws-local-events-'));
    received = [];
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          contentType: req.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString()),
        });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every event as a JSON line to a file and POSTs it as JSON to a URL, in order', async () => {
    const file = join(dir, 'events.jsonl');
    const h = await harness({ clock: 'manual', eventsFile: file, eventsUrl: receiverUrl });
    const inProcess: EcsEvent[] = [];
    h.aws.onEvent((e) => {
      inProcess.push(e);
    });
    try {
      const arn = await oneTaskLifetime(h);
      const lines = (await readFile(file, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as EcsEvent);
      expect(lines).toHaveLength(9);
      expect(lines.every((e) => e.resources[0] === arn && e['detail-type'] === 'ECS Task State Change')).toBe(
        true,
      );
      expect(lines.map(versionOf)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(received.map((r) => r.body)).toEqual(lines);
      expect(received.every((r) => r.contentType === 'application/json')).toBe(true);
      expect(inProcess).toEqual(lines);
    } finally {
      await h.close();
    }
  });
});

describe('event fault injection', () => {
  it('duplicates every event at rate 1: same id and version twice', async () => {
    const { events, counters } = await lifetimeWithFaults({ faults: { eventDuplicateRate: 1 } });
    expect(events).toHaveLength(18);
    expect(counters.duplicated).toBe(9);
    const ids = events.map((e) => e.id);
    expect(new Set(ids).size).toBe(9);
  });

  it('loses every event at rate 1 and counts them', async () => {
    const { events, counters } = await lifetimeWithFaults({ faults: { eventLossRate: 1 } });
    expect(events).toEqual([]);
    expect(counters).toMatchObject({ published: 9, dropped: 9, delivered: 0 });
  });

  it('reorders events: each delivered once, versions out of order, detail.version still tells the order', async () => {
    const { events, counters } = await lifetimeWithFaults({ faults: { eventReorderRate: 1 } });
    const versions = events.map(versionOf);
    expect([...versions].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(versions).not.toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(counters.reordered).toBeGreaterThan(0);
  });

  it('delays delivery but still delivers every event', async () => {
    const { events } = await lifetimeWithFaults({ faults: { eventDelayMs: 20 } });
    expect(events.map(versionOf)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('drops about the configured share of events at a partial rate (seeded, so reproducible)', async () => {
    const a = await lifetimeWithFaults({ faults: { eventLossRate: 0.5 } });
    const b = await lifetimeWithFaults({ faults: { eventLossRate: 0.5 } });
    expect(a.counters.dropped).toBeGreaterThan(0);
    expect(a.counters.dropped).toBeLessThan(9);
    expect(a.events.map(versionOf)).toEqual(b.events.map(versionOf));
  });
});
