import type { AwsLocal } from '@fargate-mirror/aws-local';
import {
  type CoverageRow,
  coverageOf,
  createTaskEventHandler,
  Ec2Adapter,
  EcsAdapter,
  MemoryMetrics,
  MemoryRefusalCache,
  parseConfig,
  Reconciler,
  type TaskEventReport,
} from '@fargate-mirror/controller';
import type { DemoClients } from '../aws/clients.js';
import type { DemoMode } from '../options.js';

export interface ControllerRunnerOptions {
  readonly aws: AwsLocal;
  readonly clients: DemoClients;
  readonly cluster: string;
  readonly targetId: string;
  readonly filterId: string;
  /**
   * `forwarder`: AWS's rules, so the controller predicts the refusal of task ENIs from EC2's
   * description of them; `native`: aws-local accepts them, so it must not.
   */
  readonly mode: DemoMode;
  /** Scheduled resync, as the EventBridge schedule runs it in AWS. @default 5000 */
  readonly resyncEveryMs?: number;
  readonly onError: (error: unknown, what: string) => void;
}

/** A refused mirror source: the ENI, and AWS's reason with the remedy the controller gives. */
export interface RefusedSource {
  readonly eniId: string;
  readonly code: string;
  readonly reason: string;
  readonly remedy: string;
}

export interface ControllerCounts {
  events: number;
  eventFailures: number;
  resyncs: number;
}

const OWNER = 'fargate-mirror-demo';
const EVENT_ATTEMPTS = 3;
const EVENT_RETRY_MS = 300;

/**
 * The controller as it runs in AWS, in process: aws-local's "ECS Task State Change" events go to
 * the same task-event handler the Lambda uses, and a periodic resync catches what events miss.
 * A retryable failure is retried a few times, as Lambda's async retries would.
 */
export class ControllerRunner {
  readonly counts: ControllerCounts = { events: 0, eventFailures: 0, resyncs: 0 };
  readonly refused = new Map<string, RefusedSource>();
  readonly reconciler: Reconciler;
  private readonly handle: (event: unknown) => Promise<TaskEventReport>;
  private readonly pending = new Set<Promise<void>>();
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private resyncing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: ControllerRunnerOptions) {
    const config = parseConfig({
      owner: OWNER,
      target: options.targetId,
      filter: options.filterId,
      select: { clusters: [options.cluster] },
      predictRefusals: options.mode === 'forwarder',
    });
    this.reconciler = new Reconciler({
      ec2: new Ec2Adapter(options.clients.ec2),
      ecs: new EcsAdapter(options.clients.ecs),
      config,
      refusals: new MemoryRefusalCache({ ttlMs: config.refusalCacheTtlMs }),
      readAfterWriteDelayMs: 200,
    });
    this.handle = createTaskEventHandler({
      reconciler: this.reconciler,
      metrics: new MemoryMetrics(),
      log: { debug() {}, info() {}, warn() {}, error() {} },
    });
  }

  get owner(): string {
    return OWNER;
  }

  start(): void {
    this.unsubscribe = this.options.aws.onEvent((event) => this.track(this.handleEvent(event)));
    this.timer = setInterval(() => void this.resync(), this.options.resyncEveryMs ?? 5000);
  }

  /** Runs a full resync now (also at start, for tasks that existed before the handler). */
  resync(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.resyncing ??= this.reconciler
      .resync()
      .then((report) => {
        this.counts.resyncs++;
        for (const r of report.results) this.noteRefusal(r.eniId, r.outcome, r.unmirrorable);
        // Refusals the plan predicted make no result (nothing was tried): they are in the plans.
        for (const p of report.plans)
          if (p.unmirrorable && !p.keep) this.noteRefusal(p.eniId, 'unmirrorable', p.unmirrorable);
      })
      .catch((error: unknown) => this.options.onError(error, 'controller resync'))
      .finally(() => {
        this.resyncing = undefined;
      });
    return this.resyncing;
  }

  /**
   * Every selected task as `fargate-mirror-controller status` shows it: mirrored by a session,
   * covered by its forwarder sidecar, or not covered and why.
   */
  async coverage(): Promise<CoverageRow[]> {
    const planned = await this.reconciler.plan();
    const coverage = coverageOf(planned, OWNER, this.reconciler.config.accountSessionQuota);
    return coverage.rows.filter((r) => r.selected);
  }

  /** Stops taking events and waits for the handlers in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.resyncing;
    await Promise.all([...this.pending]);
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async handleEvent(event: unknown): Promise<void> {
    this.counts.events++;
    for (let attempt = 1; attempt <= EVENT_ATTEMPTS && !this.stopped; attempt++) {
      try {
        const report = await this.handle(event);
        for (const eni of report.result?.enis ?? [])
          this.noteRefusal(eni.eniId, eni.outcome, eni.unmirrorable);
        return;
      } catch (error) {
        if (attempt === EVENT_ATTEMPTS) {
          this.counts.eventFailures++;
          this.options.onError(error, 'task event handler');
          return;
        }
        await new Promise((r) => setTimeout(r, EVENT_RETRY_MS * attempt));
      }
    }
  }

  private noteRefusal(
    eniId: string,
    outcome: string,
    unmirrorable: { code: string; reason: string; remedy: string } | undefined,
  ): void {
    // The first answer stays: AWS's own error when a create was tried.
    if (outcome === 'unmirrorable' && unmirrorable !== undefined && !this.refused.has(eniId)) {
      this.refused.set(eniId, { eniId, ...unmirrorable });
    }
  }
}
