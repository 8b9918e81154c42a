// Task identity and the per-flow/per-task numbers derived from it: the metadata endpoint v4 read
// over real HTTP, the VNI recomputed independently (Python). (The flow hash is wire's FlowKey, tested there.)
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTaskMetadata } from '../../src/task-metadata.ts';
import { vniFromTaskArn } from '../../src/vni.ts';
import { TASK_ARN, TASK_RESPONSE } from '../helpers/task-fixture.ts';

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/v4/abc/task') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(TASK_RESPONSE));
    } else if (req.url === '/v4/broken/task') {
      res.end('{"Cluster": 42}');
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('task metadata endpoint v4', () => {
  it('reads the task ARN, cluster, AZ and the ENI addresses', async () => {
    const identity = await readTaskMetadata(`${base}/v4/abc`);
    expect(identity).toMatchObject({
      taskArn: TASK_ARN,
      cluster: 'arn:aws:ecs:us-west-2:111122223333:cluster/default',
      availabilityZone: 'us-west-2d',
      launchType: 'FARGATE',
      ipv4Addresses: ['10.0.2.61'],
      macAddress: '0e:10:e2:01:bd:91',
      ipv4SubnetCidr: '10.0.2.0/24',
      privateDnsName: 'ip-10-0-2-61.us-west-2.compute.internal',
    });
  });

  it('fails with a stable code on a bad answer or a missing endpoint', async () => {
    await expect(readTaskMetadata(`${base}/v4/broken`)).rejects.toMatchObject({
      code: 'FORWARDER_BAD_TASK_METADATA',
    });
    await expect(readTaskMetadata(`${base}/v4/nothing`)).rejects.toThrow(/HTTP 404/);
  });
});

describe('VNI from the task ARN', () => {
  it('is FNV-1a 32 folded to 24 bits, as an independent implementation computes it', () => {
    const python = [
      'import sys',
      'h = 0x811c9dc5',
      'for b in sys.argv[1].encode():',
      '    h = ((h ^ b) * 0x01000193) & 0xffffffff',
      'v = ((h >> 24) ^ h) & 0xffffff',
      'print(v or 1)',
    ].join('\n');
    for (const arn of [
      TASK_ARN,
      'arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef0123456789abcdef',
      'x',
    ]) {
      const expected = Number(
        execFileSync('/usr/bin/python3', ['-c', python, arn], { encoding: 'utf8' }).trim(),
      );
      expect(vniFromTaskArn(arn)).toBe(expected);
    }
  });
});
