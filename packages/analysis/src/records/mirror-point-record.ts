import { formatAddress } from '@fargate-mirror/wire';
import type { MirrorPointRegistry } from '../flows/mirror-points.js';

export interface MirrorPointRecord {
  vni: number;
  eni_id: string | null;
  mirror_session_id: string | null;
  outer_src_ip: string;
}

const scratch = new Uint32Array(4);

export function mirrorPointRecord(registry: MirrorPointRegistry, id: number): MirrorPointRecord {
  registry.sourceWordsOf(id, scratch);
  return {
    vni: registry.vniOf(id),
    eni_id: null,
    mirror_session_id: null,
    outer_src_ip: formatAddress(scratch, 0, registry.versionOf(id)),
  };
}
