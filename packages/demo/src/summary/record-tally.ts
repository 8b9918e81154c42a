import type { MirrorRecord } from '@fargate-mirror/analysis';
/** Counts of what the receiver wrote, for the live summary and the final report. */
export class RecordTally {
  total = 0;
  /** Records naming an ECS workload on at least one side. */
  withWorkload = 0;
  readonly byType = new Map<string, number>();
  /** HTTP transactions by the service that answered them (`?` when unresolved). */
  readonly httpByService = new Map<string, number>();
  /** Task ARNs the records name, on either side. */
  readonly taskArns = new Set<string>();

  readonly add = (record: MirrorRecord): void => {
    this.total++;
    const type = record.type;
    this.byType.set(type, (this.byType.get(type) ?? 0) + 1);
    if (record.src_ecs_cluster !== undefined || record.dest_ecs_cluster !== undefined) this.withWorkload++;
    if (type === 'http') {
      const key = record.dest_ecs_service ?? '?';
      this.httpByService.set(key, (this.httpByService.get(key) ?? 0) + 1);
    }
    for (const arn of [record.src_ecs_task_arn, record.dest_ecs_task_arn]) {
      if (arn !== undefined) this.taskArns.add(arn);
    }
  };

  count(type: string): number {
    return this.byType.get(type) ?? 0;
  }
}
