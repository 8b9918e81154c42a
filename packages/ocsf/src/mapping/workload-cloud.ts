import type { MirrorRecord } from '@fargate-mirror/analysis';
import type { OcsfObject } from './ocsf-event.js';

/** Where events whose workload is unknown are said to come from (a capture read on a laptop). */
export interface CloudDefaults {
  /** AWS region, e.g. us-east-1. */
  readonly region?: string;
  /** 12-digit AWS account id. */
  readonly accountId?: string;
}

const TASK_ARN = /^arn:aws[a-z-]*:ecs:([a-z0-9-]+):(\d{12}):task\//;

/**
 * OCSF `cloud` (required by the cloud profile Security Lake uses): the region and account of the ECS
 * task on the source side, else the destination's (both ARNs name them), else the defaults given.
 */
export function cloudOf(record: MirrorRecord, defaults: CloudDefaults): OcsfObject {
  const arn = record.src_ecs_task_arn ?? record.dest_ecs_task_arn;
  const match = arn === undefined ? null : TASK_ARN.exec(arn);
  const region = match?.[1] ?? defaults.region;
  const accountId = match?.[2] ?? defaults.accountId;
  const cloud: OcsfObject = { provider: 'AWS' };
  if (region !== undefined) cloud.region = region;
  // type_id 10: AWS Account.
  if (accountId !== undefined) cloud.account = { uid: accountId, type_id: 10, type: 'AWS Account' };
  return cloud;
}
