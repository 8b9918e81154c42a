// Issue 21, item 1 on the S3 issue's Parquet: `fargate-mirror summary` on the OCSF Parquet that
// `read --ocsf-parquet` writes gives the table it gives on the JSON Lines of the same run (same
// capture, same workload identity), except what OCSF keeps at millisecond resolution: times (to the
// millisecond) and durations (the mapping rounds them to whole milliseconds, so each percentile is
// the JSON Lines one rounded). A folder with both kinds of files is refused, not counted twice.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EdgeSummary, SummaryReport } from '@fargate-mirror/analysis';
import { runCli } from '@fargate-mirror/testkit/cli';
import { SAMPLE_ADDRESSES } from '@fargate-mirror/testkit/sample-identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE } from './support/sample.ts';

async function summary(path: string): Promise<SummaryReport> {
  const result = await runCli(['summary', path, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as SummaryReport;
}

/** What survives OCSF: the time to the millisecond, each percentile rounded as the mapping rounds a duration. */
const toMillis = (iso: string | null) => (iso === null ? null : new Date(Date.parse(iso)).toISOString());
const round = (v: number | null) => (v === null ? null : Math.round(v));
const asOcsfKeepsIt = (e: EdgeSummary): EdgeSummary => ({
  ...e,
  latencyMs: { p50: round(e.latencyMs.p50), p95: round(e.latencyMs.p95), p99: round(e.latencyMs.p99) },
});

describe('summary of OCSF Parquet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-summary-ocsf-'));
  const lake = join(dir, 'lake');
  const records = join(dir, 'records', 'records.jsonl');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    mkdirSync(join(dir, 'records'));
    const map = join(dir, 'identity.json');
    writeFileSync(
      map,
      JSON.stringify({
        // The API's IPv6 address stays unnamed: rows keyed by an address must round-trip too.
        addresses: Object.fromEntries(Object.entries(SAMPLE_ADDRESSES).filter(([a]) => a !== 'fd00:77:1::2')),
      }),
    );
    const result = await runCli([
      'read',
      SAMPLE,
      '--records',
      records,
      '--ocsf-parquet',
      lake,
      '--identity-map',
      map,
    ]);
    expect(result.code, result.stderr).toBe(0);
  });

  it('gives the JSON Lines table: counts, errors, bytes and top lists equal; times and latencies at OCSF resolution', async () => {
    const fromJson = await summary(records);
    const fromParquet = await summary(lake);
    // Not vacuous: services and addresses, HTTP, DNS (with a failure), TLS, latencies above 1 ms.
    expect(fromJson.edges.flatMap((e) => [e.source, e.destination])).toEqual(
      expect.arrayContaining(['web', 'api', 'fd00:77:1::2']),
    );
    expect(fromJson.edges.some((e) => e.dnsFailures > 0)).toBe(true);
    expect(fromJson.edges.some((e) => (e.latencyMs.p99 ?? 0) > 1)).toBe(true);
    expect(fromJson.tlsServerNames.length).toBeGreaterThan(0);

    expect(fromParquet.records).toEqual(fromJson.records);
    expect(fromParquet.edges).toEqual(fromJson.edges.map(asOcsfKeepsIt));
    expect(fromParquet.topTalkers).toEqual(fromJson.topTalkers);
    expect(fromParquet.topDnsNames).toEqual(fromJson.topDnsNames);
    expect(fromParquet.tlsServerNames).toEqual(fromJson.tlsServerNames);
    expect(fromParquet.tlsVersions).toEqual(fromJson.tlsVersions);
    expect(fromParquet.firstTime).toBe(toMillis(fromJson.firstTime));
    expect(fromParquet.lastTime).toBe(toMillis(fromJson.lastTime));
    expect(fromParquet.latencyRelativeError).toBe(0);
  });

  it('reads one Parquet file as well as the lake folder', async () => {
    const classDir = join(lake, 'dns_activity');
    const file = readdirSync(classDir, { recursive: true, encoding: 'utf8' }).find((f) =>
      f.endsWith('.parquet'),
    );
    expect(file).toBeDefined();
    const report = await summary(join(classDir, file as string));
    expect(Object.keys(report.records)).toEqual(['dns']);
    expect(report.records.dns).toBe((await summary(records)).records.dns);
  });

  it('refuses a folder holding both JSON Lines and Parquet (the same records twice)', async () => {
    const result = await runCli(['summary', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/both JSON Lines \(\*\.jsonl\) and OCSF Parquet .*USAGE_INVALID/);
  });
});
