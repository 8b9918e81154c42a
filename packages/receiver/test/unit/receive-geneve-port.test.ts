// Issue 17 item 9: GENEVE intake must not depend on --port. Inside GENEVE a GWLB carries the mirror's
// own packet, whose VXLAN is on UDP 4789 whatever port this receiver listens on for plain VXLAN; it
// used to be compared with --port, so with --port other than 4789 every GENEVE datagram was dropped
// as not_mirror_port. Here --port is an ephemeral port (never 4789) and the flows must equal `read`'s.
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonLines as readLines, runCli } from '@fargate-mirror/testkit/cli';
import { run } from '@fargate-mirror/testkit/proc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  countBy,
  flowRecords,
  LOOPBACK_RECEIVE,
  metric,
  metrics,
  REPO,
  readJsonLines,
  requireBuiltCli,
  startReceive,
  stopReceive,
  waitUntil,
  withoutTiming,
} from '../helpers/receive-support.ts';

const GENEVE_SAMPLE = join(REPO, 'fixtures/sample-mirror-geneve.pcap');
let dir: string;
beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'fm-geneve-port-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('receive GENEVE with --port other than 4789', () => {
  it('decodes the inner VXLAN on 4789 and gives the flows read gives', async () => {
    const readOut = join(dir, 'read.jsonl');
    const read = await runCli(['read', GENEVE_SAMPLE, '--records', readOut, '--summary-json']);
    expect(read.code, read.stderr).toBe(0);
    const mirrored = (
      JSON.parse(read.stderr.trim().split('\n').pop() as string) as { mirroredPackets: number }
    ).mirroredPackets;
    expect(mirrored).toBeGreaterThan(50);

    const records = join(dir, 'live.jsonl');
    // --geneve-port 0 turns GENEVE off: give it a free port (and --port stays ephemeral).
    const r = await startReceive([
      ...LOOPBACK_RECEIVE,
      '--geneve-port',
      String(await freeUdpPort()),
      '--records',
      records,
    ]);
    expect(r.port).not.toBe(4789);
    expect(r.genevePort).toBeGreaterThan(0);
    await run(process.execPath, [
      CLI,
      'replay',
      GENEVE_SAMPLE,
      '--to',
      `127.0.0.1:${r.port}`,
      '--geneve-to',
      `127.0.0.1:${r.genevePort}`,
      '--rate',
      '5000',
    ]);
    await waitUntil(
      'every GENEVE datagram counted',
      async () =>
        metric(await metrics(r.healthPort), 'datagrams_by_port_total{encapsulation="geneve"}') >= mirrored,
    );
    const m = await metrics(r.healthPort);
    await stopReceive(r);
    expect(m.get('fargate_mirror_receiver_malformed_total{reason="not_mirror_port"}') ?? 0).toBe(0);
    expect(metric(m, 'packets_total')).toBe(mirrored);
    const live = flowRecords(readJsonLines(records));
    expect(live.length).toBeGreaterThan(5);
    expect(countBy(live, withoutTiming)).toEqual(countBy(flowRecords(readLines(readOut)), withoutTiming));
  }, 120_000);
});

/** A UDP port free on loopback right now (bound and closed). */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
