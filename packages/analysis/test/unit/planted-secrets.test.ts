// Secrets planted in real HTTP/1.1 traffic (a capture built with scapy from the corpus in
// fixtures/planted-secrets.json) must appear nowhere in what `read` writes: not in the records file,
// with every header captured, nor in what a record sink (HEC) is handed, nor in read's summary.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readCapture } from '../../src/offline/read-capture.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const CORPUS = join(FIXTURES, 'planted-secrets.json');
const corpus = JSON.parse(readFileSync(CORPUS, 'utf8')) as {
  secrets: { where: string; secret: string; header?: string; responseHeader?: string; request?: string }[];
};
const CAPTURED = [
  'x-api-key',
  'x-auth-token',
  'x-amz-security-token',
  'x-csrf-token',
  'authorization',
  'cookie',
  'referer',
  'location',
  'set-cookie',
  'user-agent',
];

describe('planted secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-planted-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('never reach a record, a record sink or the summary, and url_length is of the URL as sent', () => {
    const pcap = join(dir, 'planted.pcap');
    try {
      execFileSync('/usr/bin/python3', [join(FIXTURES, 'planted-secrets-pcap.py'), CORPUS, pcap], {
        stdio: 'pipe',
      });
    } catch (e) {
      throw new Error(`building the capture needs /usr/bin/python3 with scapy: ${(e as Error).message}`);
    }
    const sunk: string[] = [];
    const records = join(dir, 'records.jsonl');
    const summary = readCapture({
      file: pcap,
      records,
      transactions: { captureHeaders: CAPTURED },
      recordSinks: [(r) => sunk.push(JSON.stringify(r))],
    });
    const written = readFileSync(records, 'utf8');
    const http = written
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r['type'] === 'http');
    expect(http.length).toBe(corpus.secrets.length); // every planted exchange made a record
    const outputs = { records: written, sink: sunk.join('\n'), summary: JSON.stringify(summary) };
    const leaks: string[] = [];
    for (const s of corpus.secrets)
      for (const [name, text] of Object.entries(outputs))
        if (text.includes(s.secret)) leaks.push(`${s.where} in ${name}`);
    expect(leaks).toEqual([]);
    // The headers were captured (redacted), not dropped.
    const withKey = http.find(
      (r) => (r['http_request_headers'] as Record<string, string> | undefined)?.['x-api-key'],
    );
    expect((withKey?.['http_request_headers'] as Record<string, string> | undefined)?.['x-api-key']).toBe(
      'REDACTED',
    );
    const sig = http.find((r) => String(r['uri_path']) === '/dl');
    expect(sig?.['uri_query']).toBe('sig=REDACTED&page=2');
    const sent = 'http://svc.internal/dl?sig=SigV4plantedA1b2C3d4&page=2';
    expect(sig?.['url_length']).toBe(sent.length);
  });
});
