// DuckDB, a real SQL engine (its own Parquet reader, not ours), reads the OCSF Parquet that
// `fargate-mirror read --ocsf-parquet` writes for the shipped kernel-mirror capture, with workload
// identity from an identity map, and agrees with the JSON Lines records of the same run: counts per
// class, the fields of every record, the hive partitions, and the Athena named queries' results.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MirrorRecord, readCapture } from '@fargate-mirror/analysis';
import { REPO_ROOT, readJsonLines, runCli } from '@fargate-mirror/testkit/cli';
import { duckdbOverLake, type Row } from '@fargate-mirror/testkit/ocsf-lake';
import { SAMPLE_ADDRESSES } from '@fargate-mirror/testkit/sample-identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMED_QUERIES } from '../../src/athena/named-queries.js';
import { OcsfParquetSink } from '../../src/parquet/ocsf-parquet-sink.js';

const svc = (r: Row, side: 'src' | 'dest') =>
  (r[`${side}_ecs_service`] as string | undefined) ?? (r[`${side}_ip`] as string);
const sortRows = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();

describe('DuckDB over the OCSF Parquet of read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-ocsf-duckdb-'));
  const parquet = join(dir, 'lake');
  const recordsFile = join(dir, 'records.jsonl');
  let records: Row[] = [];
  let query: (sql: string) => Promise<Row[]>;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    const map = join(dir, 'identity.json');
    writeFileSync(
      map,
      JSON.stringify({
        addresses: SAMPLE_ADDRESSES,
        sessions: [
          { vni: 42, outer_ip: '10.77.2.1', eni_id: 'eni-0123456789abcdef0', mirror_session_id: 'tms-0abc' },
        ],
      }),
    );
    const result = await runCli([
      'read',
      join(REPO_ROOT, 'fixtures', 'sample-mirror.pcap'),
      '--records',
      recordsFile,
      '--ocsf-parquet',
      parquet,
      '--identity-map',
      map,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/OCSF Parquet: \d+ records in 3 files/);
    records = readJsonLines(recordsFile);
    query = await duckdbOverLake(parquet);
  });

  it('holds as many events per class as there are records of its types', async () => {
    const counts = await query(
      `SELECT 'network_activity' AS c, count(*) AS n FROM network_activity UNION ALL
       SELECT 'http_activity', count(*) FROM http_activity UNION ALL
       SELECT 'dns_activity', count(*) FROM dns_activity`,
    );
    const of = (...types: string[]) => records.filter((r) => types.includes(r.type as string)).length;
    expect(Object.fromEntries(counts.map((r) => [r.c, Number(r.n)]))).toEqual({
      network_activity: of('flow', 'tls'),
      http_activity: of('http'),
      dns_activity: of('dns'),
    });
    expect(of('flow')).toBeGreaterThan(0);
  });

  it('partitions by the workload’s region and account and the event day', async () => {
    const parts = await query(
      `SELECT DISTINCT region, accountId, eventDay, cloud.region AS r, cloud.account.uid AS a FROM network_activity`,
    );
    const day = (records[0].time as string).slice(0, 10).replace(/-/g, '');
    expect(parts).toEqual([
      { region: 'eu-west-1', accountId: '123456789012', eventDay: day, r: 'eu-west-1', a: '123456789012' },
    ]);
  });

  it('has every flow’s endpoints, workloads, traffic and times', async () => {
    const rows = await query(
      `SELECT src_endpoint.ip, src_endpoint.port, dst_endpoint.ip, dst_endpoint.port,
              src_endpoint.svc_name, dst_endpoint.instance_uid, connection_info.community_uid,
              traffic.bytes_out, traffic.bytes_in, traffic.packets, time, duration,
              network_observation_point.interface_uid, unmapped['flow_end_reason']
       FROM network_activity WHERE metadata.log_name = 'flow'`,
    );
    const flows = records.filter((r) => r.type === 'flow');
    const expected = flows.map((r) => [
      r.src_ip,
      r.src_port === 0 ? null : r.src_port,
      r.dest_ip,
      r.dest_port === 0 ? null : r.dest_port,
      r.src_ecs_service ?? null,
      r.dest_ecs_task_arn ?? null,
      r.community_id,
      String(r.bytes_out),
      String(r.bytes_in),
      String(r.packets),
      String(Date.parse(r.time as string)),
      String(Date.parse(r.end_time as string) - Date.parse(r.start_time as string)),
      (r.mirror_points as Row[])[0]?.eni_id ?? null,
      r.flow_end_reason,
    ]);
    expect(sortRows(rows.map((r) => Object.values(r)))).toEqual(sortRows(expected));
    // The identity map named both ends and the mirror session's ENI.
    expect(flows.some((r) => r.src_ecs_service === 'web')).toBe(true);
    expect(rows.some((r) => Object.values(r)[12] === 'eni-0123456789abcdef0')).toBe(true);
  });

  it('has every HTTP, DNS and TLS transaction’s fields', async () => {
    const http = await query(
      `SELECT http_request.http_method, http_request.url.url_string, http_request.url.path,
              http_response.code, http_request.user_agent, traffic.bytes, dst_endpoint.svc_name
       FROM http_activity`,
    );
    expect(sortRows(http.map((r) => Object.values(r)))).toEqual(
      sortRows(
        records
          .filter((r) => r.type === 'http')
          .map((r) => [
            r.http_method,
            r.url,
            r.uri_path,
            r.status,
            r.http_user_agent,
            String(r.bytes),
            svc(r, 'dest'),
          ]),
      ),
    );
    const dns = await query(
      `SELECT query.hostname, query.type, rcode_id, list_transform(answers, a -> a.rdata) FROM dns_activity`,
    );
    expect(sortRows(dns.map((r) => Object.values(r)))).toEqual(
      sortRows(
        records
          .filter((r) => r.type === 'dns')
          .map((r) => [r.query, r.query_type, r.reply_code_id, r.answer]),
      ),
    );
    const tls = await query(
      `SELECT tls.sni, tls.version, ja4_fingerprint_list[1].value FROM network_activity WHERE metadata.log_name = 'tls'`,
    );
    expect(sortRows(tls.map((r) => Object.values(r)))).toEqual(
      sortRows(records.filter((r) => r.type === 'tls').map((r) => [r.server_name, r.tls_version, r.ja4])),
    );
  });

  it('answers the Athena named queries as the JSON Lines records do', async () => {
    const [talkers, httpErrors, dnsFailures] = NAMED_QUERIES;
    const got = await query(talkers.sql);
    const byPair = new Map<string, number[]>();
    for (const r of records.filter((x) => x.type === 'flow')) {
      const key = JSON.stringify([svc(r, 'src'), svc(r, 'dest')]);
      const t = byPair.get(key) ?? [0, 0, 0];
      byPair.set(key, [t[0] + 1, t[1] + (r.bytes as number), t[2] + (r.packets as number)]);
    }
    expect(
      sortRows(
        got.map((r) => [r.source, r.destination, Number(r.flows), Number(r.bytes), Number(r.packets)]),
      ),
    ).toEqual(sortRows([...byPair].map(([k, v]) => [...(JSON.parse(k) as string[]), ...v])));
    expect(got.some((r) => r.source === 'web' && r.destination === 'api')).toBe(true);
    // The sample's HTTP answers are all 200.
    expect(await query(httpErrors.sql)).toEqual([]);
    const failures = records.filter(
      (r) => r.type === 'dns' && r.reply_code_id !== 0 && r.reply_code_id !== null,
    );
    expect(failures.length).toBeGreaterThan(0);
    expect(
      (await query(dnsFailures.sql)).map((r) => [r.name, r.rcode, r.client, Number(r.failures)]),
    ).toEqual(failures.map((r) => [r.query, 'NXDomain', svc(r, 'src'), 1]));
  });

  it('finds HTTP errors by service (the sample’s responses given error statuses)', async () => {
    // The capture has no failing response: its records, with the status of every other one changed,
    // through the same sink, so the query has errors to find.
    const sample: MirrorRecord[] = [];
    readCapture({
      file: join(REPO_ROOT, 'fixtures', 'sample-mirror.pcap'),
      recordSinks: [(r) => sample.push(r)],
    });
    const lake = join(dir, 'errors');
    const sink = new OcsfParquetSink({
      dir: lake,
      productVersion: 't',
      region: 'eu-west-1',
      accountId: '123456789012',
    });
    let i = 0;
    const statuses: number[] = [];
    for (const r of sample) {
      if (r.type !== 'http') continue;
      const status = [200, 404, 503][i++ % 3];
      statuses.push(status);
      sink.write({ ...r, status, dest_ecs_service: 'api' });
    }
    sink.close();
    const got = await (await duckdbOverLake(lake))(NAMED_QUERIES[1].sql);
    const count = (s: number) => statuses.filter((x) => x === s).length;
    expect(got.map((r) => [r.service, r.status, Number(r.responses)]).sort()).toEqual(
      [
        ['api', 404, count(404)],
        ['api', 503, count(503)],
      ].sort(),
    );
  });
});
