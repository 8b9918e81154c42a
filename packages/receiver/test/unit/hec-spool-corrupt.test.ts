// Issue 17 item 7: a corrupted spool file is a local problem, not Splunk's. At start the spool checks
// every batch file; a bad one (garbage, a truncated gzip) is renamed to .bad (owner-only), counted,
// and reported as a local error - it is never sent, so HEC never answers "invalid data format".
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HecSink } from '../../src/sinks/hec/hec-sink.js';
import { HecServer, newToken } from '../helpers/hec-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'fm-hec-corrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('HEC spool with corrupt files', () => {
  it('quarantines them at start as .bad (owner-only), counts and logs them, and sends only the good batches', async () => {
    const token = newToken();
    const server = await HecServer.start({ tokens: { [token]: {} } });
    try {
      const spoolDir = join(dir, 'spool');
      await server.down();
      const first = HecSink.open({ url: server.url, token, spoolDir, flushMs: 60_000, maxBatchBytes: 2048 });
      for (let i = 0; i < 30; i++) first.writeRecord({ type: 'flow', seq: i, pad: 'x'.repeat(100) });
      await first.close(0);
      const batches = readdirSync(spoolDir)
        .filter((n) => n.endsWith('.hec.gz'))
        .sort();
      expect(batches.length).toBeGreaterThan(3);
      // One batch truncated (a torn write), one replaced by garbage, one foreign file in the batch name.
      const truncated = batches[0] as string;
      truncateSync(join(spoolDir, truncated), Math.floor(statSync(join(spoolDir, truncated)).size / 2));
      const garbage = batches[1] as string;
      writeFileSync(join(spoolDir, garbage), 'this is not gzip\n');
      writeFileSync(join(spoolDir, '000000000999-4.hec.gz'), Buffer.alloc(0));
      const bad = [truncated, garbage, '000000000999-4.hec.gz'];
      const eventsIn = (name: string) => Number(/-(\d+)\.hec\.gz$/.exec(name)?.[1]);
      const goodEvents = batches.filter((b) => !bad.includes(b)).reduce((n, b) => n + eventsIn(b), 0);

      await server.up();
      const errors: string[] = [];
      const log = { info() {}, warn() {}, error: (_: object, msg: string) => void errors.push(msg) };
      const second = HecSink.open({
        url: server.url,
        token,
        spoolDir,
        flushMs: 60_000,
        retryBaseMs: 20,
        log,
      });
      await second.close(20_000);

      expect(second.stats.spoolQuarantined).toBe(3);
      expect(
        errors.filter((m) => /HEC spool file is corrupt .*not Splunk's: moved aside/.test(m)),
      ).toHaveLength(3);
      for (const name of bad) {
        const st = statSync(join(spoolDir, `${name}.bad`));
        expect(st.mode & 0o777).toBe(0o600);
      }
      expect(readFileSync(join(spoolDir, `${garbage}.bad`), 'utf8')).toBe('this is not gzip\n');
      expect(server.events).toHaveLength(goodEvents);
      expect(server.replies[6] ?? 0).toBe(0); // no "invalid data format" from HEC
      expect(second.stats.eventsRejected).toBe(0);
      expect(readdirSync(spoolDir).filter((n) => n.endsWith('.hec.gz'))).toEqual([]);
    } finally {
      await server.close();
    }
  }, 60_000);
});
