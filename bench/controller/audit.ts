// The end state of one account, read from the emulator (no API calls): for every running task,
// does its ENI carry exactly one session of the design under test, on the right target and filter?
import type { RegionState, World } from './world.ts';

export interface Audit {
  readonly runningTasks: number;
  readonly correct: number;
  readonly missing: number;
  /** Sessions beyond the first on one task ENI. */
  readonly duplicates: number;
  /** Sessions of the design on an ENI that no running task has. */
  readonly orphans: number;
  /** Task ENIs whose only session points elsewhere (another target or filter). */
  readonly wrong: number;
}

export interface RunningTask {
  readonly taskArn: string;
  readonly eniId: string | undefined;
  /** Real-clock ms of RUNNING (the task's `startedAt`). */
  readonly startedAt: number | undefined;
  /** Real-clock ms the task's ENI was attached (`connectivityAt`: PENDING). */
  readonly attachedAt: number | undefined;
}

export function runningTasks(region: RegionState): RunningTask[] {
  return Object.values(region.tasks)
    .filter((t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING')
    .map((t) => ({
      taskArn: t.taskArn,
      eniId: t.attachment?.networkInterfaceId,
      startedAt: t.startedAt,
      attachedAt: t.connectivityAt,
    }));
}

export function audit(
  world: World,
  region: RegionState,
  isOurs: (tags: Record<string, string>) => boolean,
): Audit {
  const running = Object.values(region.tasks).filter(
    (t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING',
  );
  const byEni = new Map<string, { targetId: string; filterId: string }[]>();
  for (const s of Object.values(region.trafficMirrorSessions)) {
    const tags = Object.fromEntries(s.tags.map((t) => [t.key, t.value]));
    if (!isOurs(tags)) continue;
    const list = byEni.get(s.networkInterfaceId) ?? [];
    list.push({ targetId: s.trafficMirrorTargetId, filterId: s.trafficMirrorFilterId });
    byEni.set(s.networkInterfaceId, list);
  }
  let correct = 0;
  let missing = 0;
  let duplicates = 0;
  let wrong = 0;
  const taskEnis = new Set<string>();
  for (const t of running) {
    const eni = t.attachment?.networkInterfaceId;
    if (eni === undefined) {
      missing++;
      continue;
    }
    taskEnis.add(eni);
    const sessions = byEni.get(eni) ?? [];
    if (sessions.length === 0) missing++;
    duplicates += Math.max(0, sessions.length - 1);
    const right = sessions.filter((s) => s.targetId === world.targetId && s.filterId === world.filterId);
    if (sessions.length === 1 && right.length === 1) correct++;
    else if (sessions.length > 0 && right.length === 0) wrong++;
  }
  let orphans = 0;
  for (const [eni, sessions] of byEni) if (!taskEnis.has(eni)) orphans += sessions.length;
  return { runningTasks: running.length, correct, missing, duplicates, orphans, wrong };
}

/** Nearest-rank percentile; Infinity stands for "never". */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}
