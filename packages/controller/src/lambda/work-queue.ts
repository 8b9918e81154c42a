import { createHash, randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { callAws } from '../aws/translate-error.js';
import { type WorkItem, workItemKey } from '../work-item.js';

/** Where the scheduled resync puts one work item per differing key. */
export interface WorkQueue {
  /** Sends every item; returns the items that could not be queued. */
  send(items: readonly WorkItem[]): Promise<{ sent: number; failed: WorkItem[] }>;
}

/** A queue in memory (tests, and the CLI's local runs). */
export class MemoryWorkQueue implements WorkQueue {
  readonly items: WorkItem[] = [];
  async send(items: readonly WorkItem[]): Promise<{ sent: number; failed: WorkItem[] }> {
    this.items.push(...items);
    return { sent: items.length, failed: [] };
  }
}

const SQS_BATCH = 10;

/**
 * SQS, 10 messages per SendMessageBatch. With a FIFO queue (URL ends in `.fifo`) the key is the
 * message group, so work for one task is never processed twice at once, and a time-bucketed
 * deduplication id drops a second resync's copy of a still-queued item.
 */
export class SqsWorkQueue implements WorkQueue {
  readonly #sqs: SQSClient;
  readonly #url: string;
  readonly #now: () => number;

  readonly #requeue: boolean;

  /**
   * `requeue`: the messages put back a key that was just received (throttled): a deduplication id
   * of its own, since the time-bucketed one would make a FIFO queue drop it as a copy.
   */
  constructor(
    sqs: SQSClient,
    queueUrl: string,
    now: () => number = Date.now,
    options: { readonly requeue?: boolean } = {},
  ) {
    this.#sqs = sqs;
    this.#url = queueUrl;
    this.#now = now;
    this.#requeue = options.requeue ?? false;
  }

  async send(items: readonly WorkItem[]): Promise<{ sent: number; failed: WorkItem[] }> {
    const fifo = this.#url.endsWith('.fifo');
    const failed: WorkItem[] = [];
    let sent = 0;
    for (let i = 0; i < items.length; i += SQS_BATCH) {
      const batch = items.slice(i, i + SQS_BATCH);
      const entries = batch.map((item, n) => {
        const key = workItemKey(item);
        const bucket = Math.floor(this.#now() / 60_000);
        return {
          Id: String(n),
          MessageBody: JSON.stringify(item),
          ...(fifo
            ? {
                MessageGroupId: key.slice(-128),
                MessageDeduplicationId: createHash('sha256')
                  .update(
                    this.#requeue ? `${key}|requeue|${this.#now()}|${randomUUID()}` : `${key}|${bucket}`,
                  )
                  .digest('hex')
                  .slice(0, 128),
              }
            : {}),
        };
      });
      const answer = await callAws('SendMessageBatch', () =>
        this.#sqs.send(new SendMessageBatchCommand({ QueueUrl: this.#url, Entries: entries })),
      );
      sent += answer.Successful?.length ?? 0;
      for (const f of answer.Failed ?? []) {
        const item = batch[Number(f.Id)];
        if (item) failed.push(item);
      }
    }
    return { sent, failed };
  }
}
