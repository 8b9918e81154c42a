import type { FlowTable } from '../flows/flow-table.js';
import type { MirrorPointRegistry } from '../flows/mirror-points.js';

/** What transaction record builders read besides the transaction itself. */
export interface RecordContext {
  readonly table: FlowTable;
  readonly points: MirrorPointRegistry;
  /** CIM `dvc`. */
  readonly dvc: string;
}
