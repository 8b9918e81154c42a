import type { MirrorRecord } from '@fargate-mirror/analysis';
import { OcsfError } from '../errors.js';
import type { OcsfMappingOptions } from './common.js';
import { dnsToDnsActivity } from './dns-activity.js';
import { httpToHttpActivity } from './http-activity.js';
import { flowToNetworkActivity, tlsToNetworkActivity } from './network-activity.js';
import type { OcsfEvent } from './ocsf-event.js';

/** A record as its OCSF event: flow and TLS as Network Activity, HTTP and DNS as their classes. */
export function toOcsfEvent(record: MirrorRecord, options: OcsfMappingOptions): OcsfEvent {
  switch (record.type) {
    case 'flow':
      return { className: 'network_activity', event: flowToNetworkActivity(record, options) };
    case 'tls':
      return { className: 'network_activity', event: tlsToNetworkActivity(record, options) };
    case 'http':
      return { className: 'http_activity', event: httpToHttpActivity(record, options) };
    case 'dns':
      return { className: 'dns_activity', event: dnsToDnsActivity(record, options) };
    default:
      // A record type added to analysis after this mapping: counted by the sink, not written.
      throw new OcsfError(
        'OCSF_RECORD_UNMAPPABLE',
        `no OCSF mapping for records of type ${(record as { type: string }).type}`,
      );
  }
}
