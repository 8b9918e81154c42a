// Every OCSF event the mapping emits for a real capture (the shipped kernel-mirror sample: HTTP, DNS,
// TLS, ICMP, IPv4 and IPv6) validates against the vendored OCSF 1.8.0 schema with Ajv, with and
// without workload identity, and carries the record's values where OCSF puts them.
import { join } from 'node:path';
import { type MirrorRecord, readCapture } from '@fargate-mirror/analysis';
import { REPO_ROOT } from '@fargate-mirror/testkit/cli';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { toOcsfEvent } from '../../src/mapping/map-record.js';
import type { OcsfObject } from '../../src/mapping/ocsf-event.js';
import { loadOcsfSchema, OCSF_VERSION } from '../../src/schema/ocsf-schema.js';

const doc = loadOcsfSchema();
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
ajv.addKeyword('ocsf_type');
ajv.addKeyword('ocsf_version');
ajv.addSchema(doc);
const validatorOf = (className: string) => {
  const validate = ajv.getSchema(`${doc.$id}#/definitions/${className}`);
  if (validate === undefined) throw new Error(`no schema for ${className}`);
  return validate;
};

function sampleRecords(): MirrorRecord[] {
  const records: MirrorRecord[] = [];
  readCapture({
    file: join(REPO_ROOT, 'fixtures', 'sample-mirror.pcap'),
    recordSinks: [(r) => records.push(r)],
  });
  return records;
}

const TASK_A = 'arn:aws:ecs:eu-west-1:123456789012:task/shop/0123456789abcdef0123456789abcdef';
const TASK_B = 'arn:aws:ecs:eu-west-1:123456789012:task/shop/fedcba9876543210fedcba9876543210';
const options = { productVersion: '0.1.0', region: 'us-east-1', accountId: '000000000000' };

function validateAll(records: readonly MirrorRecord[]) {
  const byClass: Record<string, OcsfObject[]> = {};
  for (const record of records) {
    const { className, event } = toOcsfEvent(record, options);
    const validate = validatorOf(className);
    const ok = validate(event);
    if (!ok)
      throw new Error(
        `${record.type} → ${className}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(event)}`,
      );
    byClass[className] = [...(byClass[className] ?? []), event];
  }
  return byClass;
}

describe('OCSF mapping against the OCSF 1.8.0 schema', () => {
  const records = sampleRecords();
  const count = (type: string) => records.filter((r) => r.type === type).length;

  it('maps every record of the sample to a valid event of its class', () => {
    expect(new Set(records.map((r) => r.type))).toEqual(new Set(['flow', 'http', 'dns', 'tls']));
    const byClass = validateAll(records);
    expect(byClass.network_activity?.length).toBe(count('flow') + count('tls'));
    expect(byClass.http_activity?.length).toBe(count('http'));
    expect(byClass.dns_activity?.length).toBe(count('dns'));
    for (const [className, events] of Object.entries(byClass)) {
      for (const e of events) {
        expect(e.type_uid).toBe((e.class_uid as number) * 100 + (e.activity_id as number));
        expect((e.metadata as OcsfObject).version).toBe(OCSF_VERSION);
        expect(e.observation_point_id, className).toBe(3);
        expect((e.network_observation_point as OcsfObject).ip).toBe('10.77.2.1');
        // No workload identity: the defaults given.
        expect(e.cloud).toEqual({
          provider: 'AWS',
          region: 'us-east-1',
          account: { uid: '000000000000', type_id: 10, type: 'AWS Account' },
        });
      }
    }
  });

  it('puts workload identity in cloud, the endpoints and unmapped, still valid', () => {
    const withIdentity = records.map((r) => ({
      ...r,
      src_ecs_cluster: 'shop',
      src_ecs_service: 'web',
      src_ecs_task_arn: TASK_A,
      dest_ecs_cluster: 'shop',
      dest_ecs_service: 'api',
      dest_ecs_task_arn: TASK_B,
    }));
    const byClass = validateAll(withIdentity);
    for (const e of Object.values(byClass).flat()) {
      expect(e.cloud).toEqual({
        provider: 'AWS',
        region: 'eu-west-1',
        account: { uid: '123456789012', type_id: 10, type: 'AWS Account' },
      });
      expect((e.src_endpoint as OcsfObject).instance_uid).toBe(TASK_A);
      expect((e.dst_endpoint as OcsfObject).instance_uid).toBe(TASK_B);
      expect([(e.src_endpoint as OcsfObject).svc_name, (e.dst_endpoint as OcsfObject).svc_name]).toEqual([
        'web',
        'api',
      ]);
      expect(e.unmapped).toMatchObject({
        src_ecs_cluster: 'shop',
        src_ecs_service: 'web',
        dest_ecs_cluster: 'shop',
        dest_ecs_service: 'api',
      });
    }
  });

  it('carries each record type’s values where OCSF puts them', () => {
    for (const r of records) {
      const { event: e } = toOcsfEvent(r, options);
      const src = e.src_endpoint as OcsfObject;
      const dst = e.dst_endpoint as OcsfObject;
      expect([src.ip, dst.ip]).toEqual([r.src_ip, r.dest_ip]);
      expect((e.connection_info as OcsfObject).community_uid).toBe(r.community_id);
      expect(e.time).toBe(Date.parse(r.time));
      if (r.type === 'flow') {
        expect(e.traffic).toEqual({
          bytes: r.bytes,
          bytes_in: r.bytes_in,
          bytes_out: r.bytes_out,
          packets: r.packets,
          packets_in: r.packets_in,
          packets_out: r.packets_out,
        });
        expect((e.connection_info as OcsfObject).protocol_name).toBe(r.transport);
      } else if (r.type === 'http') {
        const request = e.http_request as OcsfObject;
        expect(request.http_method).toBe(r.http_method);
        expect((request.url as OcsfObject).url_string).toBe(r.url);
        expect((e.http_response as OcsfObject | undefined)?.code).toBe(r.status ?? undefined);
      } else if (r.type === 'dns') {
        expect((e.query as OcsfObject | undefined)?.hostname).toBe(r.query ?? undefined);
        expect((e.answers as OcsfObject[]).map((a) => a.rdata)).toEqual(r.answer);
        expect(e.rcode_id).toBe(r.reply_code_id ?? undefined);
      } else {
        expect((e.tls as OcsfObject).sni).toBe(r.server_name ?? undefined);
        expect((e.ja4_fingerprint_list as OcsfObject[])[0]?.value).toBe(r.ja4);
      }
    }
    // The sample has a NXDOMAIN name: a failed DNS Activity.
    const failures = records
      .filter((r) => r.type === 'dns' && r.reply_code === 'NXDOMAIN')
      .map((r) => toOcsfEvent(r, options).event);
    expect(failures.length).toBeGreaterThan(0);
    for (const e of failures) expect([e.rcode, e.status_id]).toEqual(['NXDomain', 2]);
  });

  it('rejects an event with a misplaced or missing attribute (the validator is strict)', () => {
    const flow = records.find((r) => r.type === 'flow') as MirrorRecord;
    const { event } = toOcsfEvent(flow, options);
    const validate = validatorOf('network_activity');
    expect(validate({ ...event, src_endpoint: { ...(event.src_endpoint as OcsfObject), task: 'x' } })).toBe(
      false,
    );
    const { metadata: _, ...noMetadata } = event;
    expect(validate(noMetadata)).toBe(false);
    expect(validate({ ...event, type_uid: 400108 })).toBe(false);
    expect(validatorOf('http_activity')(event)).toBe(false);
  });
});
