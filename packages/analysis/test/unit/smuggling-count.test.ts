// Request smuggling shapes in real HTTP/1.1 connections (a scapy-built capture): each flagged on its
// record in http_anomalies, and counted in read's summary (transactions.httpAnomalies).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readCapture } from '../../src/offline/read-capture.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

describe('request smuggling shapes in a capture', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-smuggle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are flagged per record and counted', () => {
    const pcap = join(dir, 'smuggle.pcap');
    try {
      const script = join(FIXTURES, 'planted-secrets-pcap.py');
      execFileSync('/usr/bin/python3', [script, join(FIXTURES, 'smuggling-shapes.json'), pcap], {
        stdio: 'pipe',
      });
    } catch (e) {
      throw new Error(`building the capture needs /usr/bin/python3 with scapy: ${(e as Error).message}`);
    }
    const records = join(dir, 'records.jsonl');
    const summary = readCapture({ file: pcap, records });
    const http = readFileSync(records, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r['type'] === 'http')
      .map((r) => [r['uri_path'], r['http_anomalies'] ?? null])
      .sort();
    expect(http).toEqual([
      ['/cl-te', ['request_content_length_with_transfer_encoding']],
      ['/clean', null],
      ['/conflict', ['request_conflicting_content_length']],
      ['/dup', ['request_duplicate_content_length']],
    ]);
    expect(summary.transactions['httpAnomalies']).toBe(3);
    expect(summary.transactions['http']).toBe(4);
  });
});
