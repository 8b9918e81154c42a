import { taskWire } from '../ecs/wire.js';
import type { Task } from '../state/types.js';
import { uuid } from '../util/random.js';

/** An EventBridge event as ECS sends it (docs/aws-facts.md §2.1). */
export interface EcsEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: 'aws.ecs';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** A snapshot of the task now, so delayed or reordered delivery shows the state it had then. */
export function taskStateChangeEvent(task: Task, accountId: string, region: string, now: number): EcsEvent {
  return {
    version: '0',
    id: uuid(),
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: accountId,
    // EventBridge's time has no fractional seconds.
    time: new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    region,
    resources: [task.taskArn],
    detail: taskWire(task, 'event', false),
  };
}
