// Both intakes (--intake native: the recvmmsg addon; --intake js: dgram) must give what `read` gives
// for the same mirrored datagrams, with one worker and with two (where datagrams of a connection
// another worker owns go through the handoff ring from the native batch buffer). The ready line
// names the intake in use. The rest of the receiver's tests run with either intake through
// FARGATE_MIRROR_TEST_INTAKE (see receive-support.ts).
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
  type JsonRecord,
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

const SAMPLE = join(REPO, 'fixtures/sample-mirror.pcap');
let dir: string;
let readFlows: Map<string, number>;
let mirrored: number;

beforeAll(async () => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'fm-intake-'));
  const readOut = join(dir, 'read.jsonl');
  const read = await runCli(['read', SAMPLE, '--records', readOut, '--summary-json']);
  expect(read.code, read.stderr).toBe(0);
  mirrored = (JSON.parse(read.stderr.trim().split('\n').pop() as string) as { mirroredPackets: number })
    .mirroredPackets;
  readFlows = countBy(flowRecords(readLines(readOut)), comparable);
}, 60_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('receive --intake', () => {
  for (const intake of ['native', 'js'] as const) {
    for (const workers of [1, 2]) {
      it(`${intake} with ${workers} worker(s) gives read's flows`, async () => {
        const records = join(dir, `live-${intake}-${workers}.jsonl`);
        const r = await startReceive([
          ...LOOPBACK_RECEIVE,
          '--intake',
          intake,
          '--workers',
          String(workers),
          '--records',
          records,
        ]);
        expect(r.proc.stderr()).toMatch(new RegExp(`ready: .*, intake ${intake},`));
        await run(process.execPath, [CLI, 'replay', SAMPLE, '--to', `127.0.0.1:${r.port}`, '--rate', '5000']);
        await waitUntil(
          'every mirrored packet counted',
          async () => metric(await metrics(r.healthPort), 'packets_total') >= mirrored,
        );
        const m = await metrics(r.healthPort);
        await stopReceive(r);
        expect(metric(m, 'packets_total')).toBe(mirrored);
        const live = flowRecords(readJsonLines(records));
        expect(live.length).toBeGreaterThan(5);
        expect(countBy(live, comparable)).toEqual(readFlows);
      }, 120_000);
    }
  }

  it('refuses an intake it does not know, naming the option', async () => {
    const r = await runCli(['receive', ...LOOPBACK_RECEIVE, '--intake', 'fast']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/intake/);
    expect(r.stderr).toMatch(/native|js|auto/);
  }, 60_000);

  it('afpacket: refuses to start without an interface, and names an interface it cannot capture on', async () => {
    const none = await runCli(['receive', ...LOOPBACK_RECEIVE, '--intake', 'afpacket']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/captureInterface: intake afpacket needs the interface to capture on/);
    const missing = await runCli([
      'receive',
      ...LOOPBACK_RECEIVE,
      '--intake',
      'afpacket',
      '--capture-interface',
      'nosuch0',
      '--records',
      join(dir, 'never.jsonl'),
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/RECEIVER_BIND_FAILED/);
    expect(missing.stderr).toMatch(/cannot capture on interface nosuch0: no such interface/);
  }, 60_000);
});

/** A record without its timing and without the mirror's outer source (replay sends from loopback). */
function comparable(record: JsonRecord): string {
  const points = record['mirror_points'] as { outer_src_ip?: unknown }[] | undefined;
  return withoutTiming({ ...record, mirror_points: points?.map((p) => ({ ...p, outer_src_ip: null })) });
}
