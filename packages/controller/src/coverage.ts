import type { EniPlan } from './core/plan.js';
import { isOwnedBy } from './core/plan.js';
import { sidecarCoverageOf } from './core/sidecar.js';
import type { TaskView } from './core/types.js';
import type { ResyncPlan } from './reconcile/fleet.js';

export type CoverageState =
  /** Our session is in place. */
  | 'mirrored'
  /** Wanted, but no session of ours yet: the next reconcile creates it. */
  | 'missing'
  /** AWS refused the ENI, or it has no room: see `note` for the reason and the remedy. */
  | 'unmirrorable'
  | 'pending'
  /** No session of ours, but the task's forwarder sidecar container is RUNNING: covered. */
  | 'sidecar'
  /** The task has a forwarder sidecar and it is not running (see `note`: exit code, reason): not covered. */
  | 'sidecar-stopped'
  | 'not-selected'
  | 'not-active'
  | 'no-source';

export interface CoverageRow {
  readonly taskArn: string;
  readonly cluster: string;
  /** `web` for a service task, `family:NAME` for a standalone one. */
  readonly workload: string;
  readonly launchType: string;
  readonly lastStatus: string;
  readonly selected: boolean;
  readonly state: CoverageState;
  /**
   * Whether its traffic reaches the target: `true` for `mirrored` and `sidecar`; `false` for a
   * selected RUNNING task that is neither (the `note` says why); `undefined` when not selected or
   * not RUNNING yet.
   */
  readonly covered: boolean | undefined;
  readonly eniId: string | undefined;
  readonly sessionId: string | undefined;
  readonly sessionNumber: number | undefined;
  readonly vni: number | undefined;
  /** Other tools' lower-numbered sessions that take the packets their filters match. */
  readonly hiddenBy: readonly string[];
  readonly note: string;
}

export interface LeftoverRow {
  readonly eniId: string;
  readonly sessionIds: readonly string[];
  readonly note: string;
}

export interface Coverage {
  readonly rows: readonly CoverageRow[];
  readonly leftovers: readonly LeftoverRow[];
  readonly summary: Readonly<
    Record<CoverageState | 'selected' | 'covered' | 'uncovered' | 'hidden' | 'leftoverSessions', number>
  >;
}

/**
 * Every task with its ENI, session and VNI or the reason it has none (`status`, `plan`).
 * `accountSessionQuota`: when the account's sessions reach it, a missing session says so.
 */
export function coverageOf(planned: ResyncPlan, owner: string, accountSessionQuota?: number): Coverage {
  const inAccount = planned.world.sessions.length;
  const atQuota = accountSessionQuota !== undefined && inAccount >= accountSessionQuota;
  const byEni = new Map<string, EniPlan>(planned.plans.map((p) => [p.eniId, p]));
  const rows: CoverageRow[] = planned.desired.tasks.map((d) => {
    const t = d.task;
    const plan = d.eniId === undefined ? undefined : byEni.get(d.eniId);
    let state: CoverageState;
    let note = d.detail;
    switch (d.state) {
      case 'wants-session':
        if (plan?.keep) state = 'mirrored';
        else if (plan?.unmirrorable) {
          state = 'unmirrorable';
          note = `not covered: ${plan.unmirrorable.reason}; remedy: ${plan.unmirrorable.remedy}`;
        } else {
          state = 'missing';
          note = atQuota
            ? `account session quota reached: ${inAccount} of ${accountSessionQuota} sessions in the account (accountSessionQuota); remove unused sessions or ask AWS for more`
            : 'no session of ours yet: the next reconcile creates it';
        }
        if (plan?.hiddenBy.length)
          note = `hidden by lower-numbered ${plan.hiddenBy.map((s) => `${s.sessionId} #${s.sessionNumber}`).join(', ')}`;
        break;
      case 'no-eni-yet':
        state = 'pending';
        break;
      default:
        state = d.state;
    }
    ({ state, note } = withSidecar(t, state, note));
    return {
      taskArn: t.taskArn,
      cluster: t.clusterName,
      workload: t.serviceName ?? `family:${t.family}`,
      launchType: t.launchType ?? 'unknown',
      lastStatus: t.lastStatus,
      selected: d.decision.selected,
      state,
      covered: coveredOf(d.decision.selected && t.lastStatus === 'RUNNING', state),
      eniId: d.eniId,
      sessionId: state === 'mirrored' ? plan?.keep?.sessionId : undefined,
      sessionNumber: state === 'mirrored' ? plan?.keep?.sessionNumber : undefined,
      vni: state === 'mirrored' ? plan?.keep?.vni : undefined,
      hiddenBy: state === 'mirrored' ? (plan?.hiddenBy.map((s) => s.sessionId) ?? []) : [],
      note,
    };
  });
  const leftovers: LeftoverRow[] = planned.plans
    .filter((p) => p.source === undefined)
    .map((p) => ({
      eniId: p.eniId,
      sessionIds: planned.world.sessions
        .filter((s) => s.eniId === p.eniId && isOwnedBy(s, owner))
        .map((s) => s.sessionId),
      note: 'no selected running task uses this ENI: reconcile deletes these',
    }));
  return { rows, leftovers, summary: summaryOf(rows, leftovers) };
}

/**
 * A task with no session of ours may still be covered: on Fargate, where AWS refuses task ENIs as
 * mirror sources, the forwarder sidecar mirrors from inside the task. A session in place wins.
 */
function withSidecar(
  task: TaskView,
  state: CoverageState,
  note: string,
): { state: CoverageState; note: string } {
  if (state === 'mirrored' || state === 'not-selected' || state === 'not-active') return { state, note };
  const sidecar = sidecarCoverageOf(task);
  if (sidecar.kind === 'running')
    return {
      state: 'sidecar',
      note: `covered by forwarder sidecar (container ${sidecar.container.name} RUNNING)`,
    };
  if (sidecar.kind === 'stopped')
    return { state: 'sidecar-stopped', note: `not covered: ${sidecar.reason}; no session either (${note})` };
  return { state, note };
}

/** Only selected RUNNING tasks count: one still starting is neither covered nor uncovered yet. */
function coveredOf(selected: boolean, state: CoverageState): boolean | undefined {
  if (!selected) return undefined;
  return state === 'mirrored' || state === 'sidecar';
}

function summaryOf(rows: readonly CoverageRow[], leftovers: readonly LeftoverRow[]): Coverage['summary'] {
  const summary = {
    selected: 0,
    mirrored: 0,
    missing: 0,
    unmirrorable: 0,
    pending: 0,
    sidecar: 0,
    'sidecar-stopped': 0,
    covered: 0,
    uncovered: 0,
    'not-selected': 0,
    'not-active': 0,
    'no-source': 0,
    hidden: 0,
    leftoverSessions: leftovers.reduce((n, l) => n + l.sessionIds.length, 0),
  };
  for (const r of rows) {
    summary[r.state]++;
    if (r.selected) summary.selected++;
    if (r.covered === true) summary.covered++;
    if (r.covered === false) summary.uncovered++;
    if (r.hiddenBy.length > 0) summary.hidden++;
  }
  return summary;
}
