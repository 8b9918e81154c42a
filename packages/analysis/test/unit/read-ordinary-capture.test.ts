// `read` of an ordinary capture (taken on the host, no VXLAN around it), such as `tcpdump -w` on a
// task or read's own decapsulated `--pcap-out`: analysed as it is, into the same flows and transactions
// as the mirrored capture of the same traffic (the shipped sample: sample-task.pcap is the task
// interface's own capture, sample-mirror.pcap the kernel's mirror of it).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@fargate-mirror/testkit/cli';
import { sortFlows, tcpUdpFlowsFromRecords } from '@fargate-mirror/testkit/flow-compare';
import type { GroundTruthFlow } from '@fargate-mirror/testkit/ground-truth';
import { afterAll, describe, expect, it } from 'vitest';
import { readCapture } from '../../src/offline/read-capture.js';

const FIXTURES = join(REPO_ROOT, 'fixtures');
const truth = JSON.parse(readFileSync(join(FIXTURES, 'sample-mirror.truth.json'), 'utf8')) as {
  flows: GroundTruthFlow[];
};

type Rec = Record<string, unknown>;
const lines = (file: string): Rec[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec);
const transactions = (records: Rec[]) =>
  records
    .filter((r) => r['type'] !== 'flow')
    .map((r) => [
      r['type'],
      r['url'] ?? r['query'] ?? r['server_name'],
      r['status'] ?? r['reply_code'] ?? null,
    ])
    .sort();

describe('read of an ordinary (not encapsulated) capture', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-read-plain-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("gives the mirrored capture's flows and transactions, with no mirror point", () => {
    const mirrored = readCapture({
      file: join(FIXTURES, 'sample-mirror.pcap'),
      records: join(dir, 'mirror.jsonl'),
      pcapOut: join(dir, 'decapsulated.pcap'),
    });
    expect(mirrored.encapsulation).toBe('mirror');
    for (const file of [join(FIXTURES, 'sample-task.pcap'), join(dir, 'decapsulated.pcap')]) {
      const plain = readCapture({ file, records: join(dir, 'plain.jsonl') });
      expect(plain.encapsulation).toBe('none');
      expect(plain.notMirror).toBe(0);
      expect(plain.flows).toBe(mirrored.flows);
      const records = lines(join(dir, 'plain.jsonl'));
      expect(sortFlows(tcpUdpFlowsFromRecords(records))).toEqual(sortFlows(truth.flows));
      expect(transactions(records)).toEqual(transactions(lines(join(dir, 'mirror.jsonl'))));
      for (const r of records) {
        expect(r['mirror_points']).toEqual([]);
        expect(r['direction']).toBe('unknown');
      }
    }
  });

  it('takes a capture as mirror traffic or not as told, whatever it holds', () => {
    const forced = readCapture({ file: join(FIXTURES, 'sample-task.pcap'), encapsulation: 'mirror' });
    expect(forced.encapsulation).toBe('mirror');
    expect(forced.flows).toBe(0);
    expect(forced.notMirror).toBe(forced.packets);
  });
});
