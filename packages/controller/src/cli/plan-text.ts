import type { Action } from '../core/plan.js';
import type { ResyncPlan } from '../reconcile/fleet.js';
import { formatTable, shortArn } from './table.js';

function actionRow(a: Action, taskOf: (eniId: string) => string): string[] {
  if (a.kind === 'create') {
    return [
      a.eniId,
      taskOf(a.eniId),
      'create',
      `#${a.spec.sessionNumber}${a.spec.vni ? ` vni ${a.spec.vni}` : ''}`,
      'selected task has no session',
    ];
  }
  return [a.eniId, taskOf(a.eniId), 'delete', a.sessionId, a.reason];
}

/** Names the task (or container instance) behind each ENI of a plan, for the TASK column. */
export function taskLabels(planned: ResyncPlan): (eniId: string) => string {
  return (eniId) => {
    const p = planned.plans.find((x) => x.eniId === eniId);
    return p?.source ? shortArn(p.source.containerInstanceArn ?? p.source.taskArns[0]) : '(leftover)';
  };
}

/**
 * Lines naming what a plan cannot do on its own: clusters not found, and tasks that need a
 * session but cannot have one (so "nothing to do" is never said about them).
 */
export function planProblemsText(planned: ResyncPlan): string {
  const lines: string[] = [];
  for (const c of planned.world.missingClusters)
    lines.push(`cluster not found: ${c} (skipped; the others were read)`);
  for (const p of planned.plans) {
    if (p.unmirrorable && !p.keep) lines.push(`not mirrorable: ${p.eniId}: ${p.unmirrorable.reason}`);
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** The planned actions as a table, or `whenNone` when there are none. */
export function actionsText(
  actions: readonly Action[],
  taskOf: (eniId: string) => string,
  whenNone: string,
): string {
  if (actions.length === 0) return `${whenNone}\n`;
  return `${formatTable(
    ['ENI', 'TASK', 'ACTION', 'SESSION', 'REASON'],
    actions.map((a) => actionRow(a, taskOf)),
  )}\n`;
}
