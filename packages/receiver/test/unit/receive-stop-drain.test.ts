// A stop right after a burst: every datagram the senders sent is counted by the receiver or counted
// as a kernel drop (its receive buffer was full). None is thrown away with the sockets: before, the
// workers closed them with datagrams still queued (tens of thousands after this burst), and the
// kernel drops of the last second went uncounted with them. Both intakes, --drain-seconds 0 (no
// load balancer to wait for).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@fargate-mirror/testkit/proc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  LOOPBACK_RECEIVE,
  REPO,
  requireBuiltCli,
  startReceive,
  stopReceive,
} from '../helpers/receive-support.ts';

const SAMPLE = join(REPO, 'fixtures/sample-mirror.pcap');
const SENDERS = 3;
let dir: string;

beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'fm-stop-drain-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The last JSON object on stderr with the given `event`. */
function lastEvent(stderr: string, event: string): Record<string, unknown> {
  const found = stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((j) => j.event === event)
    .pop();
  if (found === undefined) throw new Error(`no "${event}" line on stderr:\n${stderr.slice(-2000)}`);
  return found;
}

describe('receive stopped right after a burst', () => {
  for (const intake of ['native', 'js'] as const) {
    it(`--intake ${intake}: every datagram sent is counted, or counted as a kernel drop`, async () => {
      const r = await startReceive([
        ...LOOPBACK_RECEIVE,
        '--intake',
        intake,
        '--drain-seconds',
        '0',
        '--log-format',
        'json',
        '--records',
        join(dir, `${intake}.jsonl`),
        '--pcap-dir',
        join(dir, `pcap-${intake}`),
      ]);
      // Several senders at once, as fast as they go: faster than one worker writing pcap and
      // records, so datagrams are still queued when the stop comes.
      const replays = await Promise.all(
        Array.from({ length: SENDERS }, () =>
          run(process.execPath, [
            CLI,
            'replay',
            SAMPLE,
            '--to',
            `127.0.0.1:${r.port}`,
            '--loop',
            '300',
            '--summary-json',
          ]),
        ),
      );
      let sent = 0;
      for (const p of replays) {
        expect(p.code, p.stderr).toBe(0);
        sent += (JSON.parse(p.stderr.trim().split('\n').pop() as string) as { datagrams: number }).datagrams;
      }
      expect(sent).toBe(SENDERS * 300 * 152);
      const stopped = lastEvent(await stopReceive(r), 'stopped') as {
        totals: { datagrams: number };
        kernelDrops: number;
      };
      expect(stopped.totals.datagrams).toBeGreaterThan(0);
      expect(stopped.totals.datagrams + stopped.kernelDrops).toBe(sent);
    }, 120_000);
  }
});
