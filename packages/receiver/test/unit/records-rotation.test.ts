// Issue 17 item 3: the records file rotates like the pcap files. Real traffic (UDP datagrams through
// loopback to the built `receive`), a small rotation size and total: files rotate, the total bound
// holds, every line of every file is a whole record, files are owner-only, and SIGHUP reopens the
// path after an outside tool moved the file away.
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOOPBACK_RECEIVE,
  metric,
  metrics,
  requireBuiltCli,
  sendDatagrams,
  startReceive,
  stopReceive,
  vxlanDatagram,
  waitUntil,
} from '../helpers/receive-support.ts';

const ROTATE_BYTES = 16 * 1024;
const MAX_TOTAL = 64 * 1024;
const COMPLETED = /^records-\d{8}T\d{9}Z-\d{6}\.jsonl$/;

let dir: string;
beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'fm-records-rotation-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `n` UDP flows, two packets each, with distinct source ports starting at `firstPort`. */
function flows(firstPort: number, n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const spec = { vni: 7, src: '10.0.1.5', dst: '10.0.2.9', sport: firstPort + i, dport: 53 };
    out.push(vxlanDatagram(spec), vxlanDatagram({ ...spec, payloadBytes: 40 }));
  }
  return out;
}

function seriesFiles(): string[] {
  return readdirSync(dir).filter((n) => n === 'records.jsonl' || COMPLETED.test(n));
}

/** Bytes of the files still there (the receiver may remove one while the test looks). */
function totalBytes(names: readonly string[]): number {
  let sum = 0;
  for (const n of names) {
    try {
      sum += statSync(join(dir, n)).size;
    } catch {
      // removed by the receiver meanwhile: no longer counts
    }
  }
  return sum;
}

async function recordsWritten(healthPort: number): Promise<number> {
  return metric(await metrics(healthPort), 'records_written_total');
}

/** Every line of `name` is one whole JSON record; returns how many. */
function wholeLines(name: string): number {
  const text = readFileSync(join(dir, name), 'utf8');
  if (text.length === 0) return 0;
  expect(text.endsWith('\n'), `${name} ends inside a line`).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  for (const line of lines) expect(() => JSON.parse(line), `${name}: ${line.slice(0, 80)}`).not.toThrow();
  return lines.length;
}

describe('records file rotation', () => {
  it('rotates by size, holds the total, keeps whole lines, and reopens on SIGHUP', async () => {
    const config = join(dir, 'receive.json');
    // Flows end one second after their last packet, so records stream out while traffic runs.
    writeFileSync(config, JSON.stringify({ flows: { udpIdleSeconds: 1 }, recordsFlushMs: 50 }));
    const records = join(dir, 'records.jsonl');
    const r = await startReceive([
      ...LOOPBACK_RECEIVE,
      '--config',
      config,
      '--records',
      records,
      '--records-rotate-size',
      String(ROTATE_BYTES),
      '--records-max-total',
      String(MAX_TOTAL),
    ]);
    try {
      // About 600 bytes a flow record: 600 flows are ~22 rotation sizes, five times the total.
      for (let round = 0; round < 6; round++) {
        const before = await recordsWritten(r.healthPort);
        await sendDatagrams(r.port, flows(10_000 + round * 100, 100), 50);
        await waitUntil(
          `records of round ${round}`,
          async () => (await recordsWritten(r.healthPort)) >= before + 100,
        );
        const names = seriesFiles();
        expect(totalBytes(names)).toBeLessThanOrEqual(MAX_TOTAL);
      }
      const m = await metrics(r.healthPort);
      expect(metric(m, 'records_files_completed_total')).toBeGreaterThanOrEqual(10);
      expect(metric(m, 'records_files_removed_total')).toBeGreaterThan(0);
      expect(metric(m, 'records_dir_bytes')).toBeLessThanOrEqual(MAX_TOTAL);

      const names = seriesFiles();
      const completed = names.filter((n) => COMPLETED.test(n));
      expect(completed.length).toBeGreaterThanOrEqual(2);
      expect(totalBytes(names)).toBeLessThanOrEqual(MAX_TOTAL);
      // Flows still ending rotate the live file (and remove the oldest) while the test looks: a file
      // gone since the listing is skipped, and every file is checked whole after the stop below.
      for (const n of names) {
        try {
          const st = statSync(join(dir, n));
          expect(st.mode & 0o777, `${n} mode`).toBe(0o600);
          expect(st.size, `${n} size`).toBeLessThanOrEqual(ROTATE_BYTES);
          wholeLines(n);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }

      // logrotate's way: move the live file aside, SIGHUP; new records go to a new file at the path.
      // (Records written between the move and the SIGHUP still go to the moved file, as with logrotate.)
      const moved = join(dir, 'moved-aside.jsonl');
      renameSync(records, moved);
      r.proc.child.kill('SIGHUP');
      await waitUntil('a new records.jsonl after SIGHUP', () => seriesFiles().includes('records.jsonl'));
      // The new file is created by the reopen itself, between two writes: from here on the moved one is let go.
      const movedSize = statSync(moved).size;
      const before = await recordsWritten(r.healthPort);
      await sendDatagrams(r.port, flows(20_000, 10), 50);
      await waitUntil(
        'records after SIGHUP',
        async () => (await recordsWritten(r.healthPort)) >= before + 10,
      );
      expect(wholeLines('records.jsonl')).toBeGreaterThanOrEqual(10);
      expect(statSync(join(dir, 'records.jsonl')).mode & 0o777).toBe(0o600);
      // The moved file got nothing more: the receiver let go of it.
      expect(statSync(moved).size).toBe(movedSize);
      expect(r.proc.child.exitCode).toBeNull();
    } finally {
      await stopReceive(r);
    }
    for (const n of seriesFiles()) {
      expect(statSync(join(dir, n)).mode & 0o777, `${n} mode`).toBe(0o600);
      wholeLines(n);
    }
  }, 120_000);

  it('completes the live file once it is older than --records-rotate-seconds', async () => {
    const sub = mkdtempSync(join(dir, 'age-'));
    const config = join(sub, 'receive.json');
    writeFileSync(config, JSON.stringify({ flows: { udpIdleSeconds: 1 }, recordsFlushMs: 50 }));
    const r = await startReceive([
      ...LOOPBACK_RECEIVE,
      '--config',
      config,
      '--records',
      join(sub, 'records.jsonl'),
      '--records-rotate-seconds',
      '1',
    ]);
    try {
      await sendDatagrams(r.port, flows(30_000, 10), 50);
      await waitUntil(
        'a records file completed by age',
        async () => metric(await metrics(r.healthPort), 'records_files_completed_total') >= 1,
      );
      const completed = readdirSync(sub).filter((n) => COMPLETED.test(n));
      expect(completed.length).toBeGreaterThanOrEqual(1);
      const lines = completed.map((n) => readFileSync(join(sub, n), 'utf8').split('\n').length - 1);
      expect(lines.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    } finally {
      await stopReceive(r);
    }
  }, 60_000);
});
