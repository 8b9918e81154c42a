// `fargate-mirror read` on the shipped sample of kernel-mirrored real traffic (fixtures/README.md)
// against the tshark ground truth recorded beside it when the sample was made. Needs no root, so it
// also guards the README's first command.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, readCapture } from '@fargate-mirror/testkit/cli';
import {
  flowRecords,
  icmpFromRecords,
  sortFlows,
  sortIcmp,
  tcpUdpFlowsFromRecords,
} from '@fargate-mirror/testkit/flow-compare';
import {
  type GroundTruthFlow,
  type GroundTruthIcmp,
  groundTruthFrames,
} from '@fargate-mirror/testkit/ground-truth';
import { requireTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FIXTURES = join(REPO_ROOT, 'fixtures');
const truth = JSON.parse(readFileSync(join(FIXTURES, 'sample-mirror.truth.json'), 'utf8')) as {
  vni: number;
  outer_src_ip: string;
  frames: number;
  flows: GroundTruthFlow[];
  icmp: GroundTruthIcmp[];
};

describe('fargate-mirror read on the shipped sample captures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-read-sample-'));

  beforeAll(() => requireTools(['tshark']));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads sample-mirror.pcap into the flows and frames of the mirrored interface', async () => {
    const read = await readCapture(join(FIXTURES, 'sample-mirror.pcap'), dir, 'sample');
    expect(sortFlows(tcpUdpFlowsFromRecords(read.records))).toEqual(sortFlows(truth.flows));
    expect(sortIcmp(icmpFromRecords(read.records))).toEqual(sortIcmp(truth.icmp));
    for (const f of flowRecords(read.records)) {
      expect(f.mirror_points).toEqual([
        expect.objectContaining({ vni: truth.vni, outer_src_ip: truth.outer_src_ip }),
      ]);
    }
    const inner = (await groundTruthFrames(read.innerPcap)).map((f) => f.hex).sort();
    const task = (await groundTruthFrames(join(FIXTURES, 'sample-task.pcap'))).map((f) => f.hex).sort();
    expect(inner).toHaveLength(truth.frames);
    expect(inner).toEqual(task);
  });

  it.each([
    ['sample-mirror-trunc128.pcap', 'truncated to 128 bytes per inner frame'],
    ['sample-mirror-geneve.pcap', 'wrapped in GENEVE'],
    ['sample-mirror-frag1500.pcap', 'IP-fragmented, fragments reversed'],
  ])('reads %s (%s) into the same flows', async (name) => {
    const read = await readCapture(join(FIXTURES, name), dir, name);
    expect(sortFlows(tcpUdpFlowsFromRecords(read.records))).toEqual(sortFlows(truth.flows));
    expect(sortIcmp(icmpFromRecords(read.records))).toEqual(sortIcmp(truth.icmp));
    const truncated = flowRecords(read.records).reduce((n, f) => n + f.truncated_packets, 0);
    if (name.includes('trunc')) expect(truncated).toBeGreaterThan(0);
    else expect(truncated).toBe(0);
  });
});
