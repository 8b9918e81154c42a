import type { DnsRecord } from './dns-record.js';
import type { FlowRecord } from './flow-record.js';
import type { HttpRecord } from './http-record.js';
import type { TlsRecord } from './tls-record.js';

/**
 * The ECS workload on each side, stamped on records by workload identity (in the receiver) where it
 * is known; absent otherwise.
 */
export interface WorkloadFields {
  src_ecs_cluster?: string;
  src_ecs_service?: string;
  src_ecs_task_arn?: string;
  dest_ecs_cluster?: string;
  dest_ecs_service?: string;
  dest_ecs_task_arn?: string;
}

/** Every record the pipeline emits, told apart by `type`. */
export type MirrorRecord = (FlowRecord | HttpRecord | DnsRecord | TlsRecord) & WorkloadFields;

/** Where records go: called once per record, never per packet. */
export type RecordSink = (record: MirrorRecord) => void;
