import type { TaskView } from '../core/types.js';
import type { WorkItem } from '../work-item.js';
import { parseWorkItem } from '../work-item.js';
import { parseTaskEvent } from './task-event.js';

/**
 * What one SQS message of the worker's queues says: a work item from the resync, or an ECS Task
 * State Change that EventBridge delivered to the task-event queue (the event JSON is the body).
 * Either way only a key comes out; an event also brings its hint for the selection pre-check.
 */
export type QueueRecord =
  | { readonly kind: 'item'; readonly item: WorkItem; readonly hint: TaskView | undefined }
  | { readonly kind: 'ignored'; readonly reason: string };

/** Throws MalformedInputError (terminal, counted) for a body that is neither. */
export function parseQueueRecord(body: string): QueueRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { kind: 'item', item: parseWorkItem(body), hint: undefined }; // throws the JSON error
  }
  if (raw !== null && typeof raw === 'object' && 'detail-type' in raw) {
    const parsed = parseTaskEvent(raw);
    if (parsed.kind === 'ignored') return parsed;
    const { taskArn, clusterArn, hint } = parsed.event;
    return { kind: 'item', item: { kind: 'task', taskArn, clusterArn }, hint };
  }
  return { kind: 'item', item: parseWorkItem(body), hint: undefined };
}
