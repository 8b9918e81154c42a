// Identity in the live receiver: `receive --identity-map FILE` stamps the workloads, the mirror
// session and the direction (decided on the mirrored ENI's addresses, which the outer source alone
// would not give: replay sends from 127.0.0.1) on every record of real mirrored traffic.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonLines } from '@fargate-mirror/testkit/cli';
import { SAMPLE_MIRROR } from '@fargate-mirror/testkit/mirror-records';
import { run } from '@fargate-mirror/testkit/proc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  LOOPBACK_RECEIVE,
  requireBuiltCli,
  startReceive,
  stopReceive,
} from '../helpers/receive-support.ts';

const TASK = {
  cluster: 'shop',
  service: 'web',
  task_arn: 'arn:aws:ecs:us-east-1:123456789012:task/shop/0a1b2c3d4e5f',
  eni_id: 'eni-0123456789abcdef0',
};
const CLIENT = {
  cluster: 'shop',
  service: 'api',
  task_arn: 'arn:aws:ecs:us-east-1:123456789012:task/shop/9f8e7d6c5b4a',
  eni_id: 'eni-0fedcba9876543210',
};

describe('receive --identity-map', () => {
  let dir: string;
  beforeAll(() => {
    requireBuiltCli();
    dir = mkdtempSync(join(tmpdir(), 'fm-identity-receive-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('names the workloads, the mirror session and the direction on every record', async () => {
    const map = join(dir, 'identity.yaml');
    writeFileSync(
      map,
      [
        'addresses:',
        `  10.77.1.1: ${JSON.stringify(CLIENT)}`,
        `  fd00:77:1::1: ${JSON.stringify(CLIENT)}`,
        'sessions:',
        `  - { vni: 42, outer_ip: 127.0.0.1, mirror_session_id: tms-0aaaaaaaaaaaaaaaa, eni_id: ${TASK.eni_id},`,
        `      eni_ips: [10.77.1.2, "fd00:77:1::2"], cluster: shop, service: web, task_arn: "${TASK.task_arn}" }`,
      ].join('\n'),
    );
    const records = join(dir, 'records.jsonl');
    const r = await startReceive([...LOOPBACK_RECEIVE, '--records', records, '--identity-map', map]);
    await run(process.execPath, [
      CLI,
      'replay',
      SAMPLE_MIRROR,
      '--to',
      `127.0.0.1:${r.port}`,
      '--from',
      '127.0.0.1',
    ]);
    await stopReceive(r);
    const out = readJsonLines(records);
    expect(out.length).toBeGreaterThan(20);
    for (const rec of out) {
      expect(rec['mirror_points']).toEqual([
        {
          vni: 42,
          eni_id: TASK.eni_id,
          mirror_session_id: 'tms-0aaaaaaaaaaaaaaaa',
          outer_src_ip: '127.0.0.1',
        },
      ]);
      // The lab's client talks to the mirrored task: the task serves, so traffic is inbound. The one
      // exception is the task's own neighbour advertisement, which it sent unasked in its own flow (the
      // solicitation went to a multicast address): outbound, the task on the src side.
      const taskSent = rec['src_ip'] === 'fd00:77:1::2';
      expect(rec['direction']).toBe(taskSent ? 'outbound' : 'inbound');
      // Neighbour solicitations go to a multicast address: received by the task, owned by nobody.
      if (String(rec['dest_ip']).startsWith('ff02:')) continue;
      const web = ['shop', 'web', TASK.task_arn];
      const api = ['shop', 'api', CLIENT.task_arn];
      expect([rec['dest_ecs_cluster'], rec['dest_ecs_service'], rec['dest_ecs_task_arn']]).toEqual(
        taskSent ? api : web,
      );
      expect([rec['src_ecs_cluster'], rec['src_ecs_service'], rec['src_ecs_task_arn']]).toEqual(
        taskSent ? web : api,
      );
    }
  }, 60_000);
});
