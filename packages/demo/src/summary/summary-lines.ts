import type { TaskFleet } from '../apps/task-fleet.js';
import type { SessionWatcher } from '../aws/session-watcher.js';
import type { ControllerRunner } from '../control/controller-runner.js';
import type { MirrorTap } from '../mirror/mirror-tap.js';
import type { DemoMode } from '../options.js';
import type { DemoReceiver } from '../receiver/demo-receiver.js';
import type { RecordTally } from './record-tally.js';

export interface SummaryParts {
  readonly mode: DemoMode;
  readonly fleet: TaskFleet;
  readonly sessions: SessionWatcher;
  readonly controller: ControllerRunner;
  readonly tap: MirrorTap;
  readonly receiver: DemoReceiver;
  readonly tally: RecordTally;
}

function list(map: ReadonlyMap<string, number>): string {
  const parts = [...map.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`);
  return parts.length === 0 ? '-' : parts.join(', ');
}

/** One live summary line: what runs, what is mirrored, what the receiver made of it. */
export function summaryLine(elapsedMs: number, p: SummaryParts): string {
  const seconds = String(Math.round(elapsedMs / 1000)).padStart(3);
  const mirroring =
    p.mode === 'native'
      ? `sessions ${p.sessions.count}`
      : `forwarders ${[...p.fleet.runningCount.values()].reduce((a, b) => a + b, 0)}`;
  const stats = p.receiver.pipeline.stats;
  return (
    `[${seconds}s] tasks ${list(p.fleet.runningCount)} | ${mirroring} | refusals ${p.controller.refused.size} | ` +
    `packets ${p.tap.stats.packets}, mirrored datagrams ${stats.mirrored}, duplicates removed ${p.receiver.pipeline.dedup?.stats.duplicates ?? 0} | ` +
    `flows ${p.tally.count('flow')}, http ${p.tally.count('http')}, dns ${p.tally.count('dns')} | ` +
    `http by service ${list(p.tally.httpByService)}`
  );
}
