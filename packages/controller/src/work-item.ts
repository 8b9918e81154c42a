import { z } from 'zod';
import type { EniPlan } from './core/plan.js';
import { MalformedInputError } from './errors.js';

/**
 * A key to reconcile: a task, a container instance (shared ENI of bridge/host tasks), or an ENI
 * whose sessions of ours no longer belong to any known task. Only keys travel (events, queue
 * messages); the state is always re-read.
 */
export type WorkItem =
  | { readonly kind: 'task'; readonly clusterArn: string | undefined; readonly taskArn: string }
  | { readonly kind: 'instance'; readonly clusterArn: string; readonly containerInstanceArn: string }
  | { readonly kind: 'eni'; readonly eniId: string };

const workItemSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('task'),
    clusterArn: z.string().min(1).optional(),
    taskArn: z.string().startsWith('arn:'),
  }),
  z.object({
    kind: z.literal('instance'),
    clusterArn: z.string().min(1),
    containerInstanceArn: z.string().startsWith('arn:'),
  }),
  z.object({ kind: z.literal('eni'), eniId: z.string().startsWith('eni-') }),
]);

export function workItemKey(item: WorkItem): string {
  switch (item.kind) {
    case 'task':
      return item.taskArn;
    case 'instance':
      return item.containerInstanceArn;
    case 'eni':
      return item.eniId;
  }
}

/** Parses a queue message body; throws MalformedInputError (terminal) on anything else. */
export function parseWorkItem(body: string): WorkItem {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (cause) {
    throw new MalformedInputError(
      'WORK_ITEM_MALFORMED',
      `work item is not JSON: ${(cause as Error).message}`,
      { cause },
    );
  }
  const parsed = workItemSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`)
      .join('; ');
    throw new MalformedInputError('WORK_ITEM_MALFORMED', `work item is not valid: ${issues}`);
  }
  const item = parsed.data;
  return item.kind === 'task' ? { kind: 'task', clusterArn: item.clusterArn, taskArn: item.taskArn } : item;
}

/**
 * The key whose reconcile fixes a differing ENI plan. An ENI with nothing desired carries leftovers
 * of ours: the ENI itself is the key, and its reconcile reads the sessions' tags to find out
 * whether their task or instance still wants them.
 */
export function workItemForPlan(plan: EniPlan): WorkItem {
  const source = plan.source;
  if (source?.kind === 'task-eni' && source.taskArns[0] !== undefined) {
    return { kind: 'task', clusterArn: source.clusterArn, taskArn: source.taskArns[0] };
  }
  if (source?.kind === 'instance' && source.containerInstanceArn !== undefined) {
    return {
      kind: 'instance',
      clusterArn: source.clusterArn,
      containerInstanceArn: source.containerInstanceArn,
    };
  }
  return { kind: 'eni', eniId: plan.eniId };
}
