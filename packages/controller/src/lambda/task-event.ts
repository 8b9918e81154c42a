import { z } from 'zod';
import { type EcsTaskLike, taskViewOf } from '../aws/task-view.js';
import type { TaskView } from '../core/types.js';
import { MalformedInputError } from '../errors.js';

const detailSchema = z.looseObject({
  taskArn: z.string().startsWith('arn:', 'must be a task ARN'),
  clusterArn: z.string().startsWith('arn:', 'must be a cluster ARN'),
  version: z.number().int().nonnegative().optional(),
  lastStatus: z.string().optional(),
  desiredStatus: z.string().optional(),
  group: z.string().optional(),
  launchType: z.string().optional(),
  taskDefinitionArn: z.string().optional(),
  containerInstanceArn: z.string().optional(),
  attachments: z
    .array(
      z.looseObject({
        type: z.string().optional(),
        status: z.string().optional(),
        details: z
          .array(z.looseObject({ name: z.string().optional(), value: z.string().optional() }))
          .optional(),
      }),
    )
    .optional(),
});

/** EventBridge envelope; unknown fields are allowed everywhere (ECS adds fields over time). */
const eventSchema = z.looseObject({
  'detail-type': z.string(),
  source: z.string(),
  detail: z.unknown(),
});

export interface TaskEvent {
  readonly taskArn: string;
  readonly clusterArn: string;
  /** `detail.version`: increases with every state change; duplicates share it. */
  readonly version: number | undefined;
  /** The event's picture of the task: only a hint (selection pre-check, logs), never the truth. */
  readonly hint: TaskView;
}

export type ParsedEvent =
  | { readonly kind: 'task'; readonly event: TaskEvent }
  | { readonly kind: 'ignored'; readonly reason: string };

function issuesOf(error: z.ZodError, prefix: string): string {
  return error.issues.map((i) => `${[prefix, ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
}

/**
 * Parses an EventBridge event. An `ECS Task State Change` becomes a key with a hint; other event
 * types are `ignored`; anything unreadable throws MalformedInputError (terminal, counted).
 */
export function parseTaskEvent(raw: unknown): ParsedEvent {
  const envelope = eventSchema.safeParse(raw);
  if (!envelope.success) {
    throw new MalformedInputError(
      'EVENT_MALFORMED',
      `not an EventBridge event: ${issuesOf(envelope.error, 'event')}`,
    );
  }
  const type = envelope.data['detail-type'];
  if (envelope.data.source !== 'aws.ecs' || type !== 'ECS Task State Change') {
    return {
      kind: 'ignored',
      reason: `event ${envelope.data.source}/${type} is not an ECS Task State Change`,
    };
  }
  const detail = detailSchema.safeParse(envelope.data.detail);
  if (!detail.success) {
    throw new MalformedInputError(
      'EVENT_MALFORMED',
      `ECS Task State Change: ${issuesOf(detail.error, 'detail')}`,
    );
  }
  const hint = taskViewOf(detail.data as EcsTaskLike);
  if (!hint)
    throw new MalformedInputError('EVENT_MALFORMED', 'ECS Task State Change without task or cluster ARN');
  return {
    kind: 'task',
    event: {
      taskArn: detail.data.taskArn,
      clusterArn: detail.data.clusterArn,
      version: detail.data.version,
      hint,
    },
  };
}
