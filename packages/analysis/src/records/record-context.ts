import type { FlowPcapPositions } from '../flows/flow-pcap-positions.js';
import type { FlowTable } from '../flows/flow-table.js';
import type { MirrorPointRegistry } from '../flows/mirror-points.js';

/** What record builders read besides the transaction itself. */
export interface RecordContext {
  readonly table: FlowTable;
  readonly points: MirrorPointRegistry;
  /** CIM `dvc`. */
  readonly dvc: string;
  /** Where each flow's first packet is in the pcap (undefined: no pcap, or no positions). */
  readonly pcap?: FlowPcapPositions;
}
