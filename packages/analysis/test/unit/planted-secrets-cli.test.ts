// The planted-secret corpus through the real `fargate-mirror read` binary with --capture-headers and
// Splunk HEC output to a local stand-in HEC: no planted secret in any byte it writes — the records
// file, every HEC body (gunzipped), the HEC spool, stdout and stderr.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { CLI_BIN } from '@fargate-mirror/testkit/cli';
import { run } from '@fargate-mirror/testkit/proc';
import { afterAll, describe, expect, it } from 'vitest';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const CORPUS = join(FIXTURES, 'planted-secrets.json');
const corpus = JSON.parse(readFileSync(CORPUS, 'utf8')) as { secrets: { where: string; secret: string }[] };

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

describe('planted secrets through fargate-mirror read with HEC output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-planted-cli-'));
  let server: Server | undefined;
  afterAll(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    rmSync(dir, { recursive: true, force: true });
  });

  it('leave no planted secret in records, HEC bodies, spool or logs', async () => {
    const pcap = join(dir, 'planted.pcap');
    try {
      execFileSync('/usr/bin/python3', [join(FIXTURES, 'planted-secrets-pcap.py'), CORPUS, pcap], {
        stdio: 'pipe',
      });
    } catch (e) {
      throw new Error(`building the capture needs /usr/bin/python3 with scapy: ${(e as Error).message}`);
    }
    const bodies: Buffer[] = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        bodies.push(req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Success","code":0}');
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const records = join(dir, 'records.jsonl');
    const headers =
      'x-api-key,x-auth-token,x-amz-security-token,x-csrf-token,authorization,cookie,referer,location,set-cookie';
    const result = await run(
      process.execPath,
      [
        CLI_BIN,
        'read',
        pcap,
        '--records',
        records,
        '--capture-headers',
        headers,
        '--hec-url',
        url,
        '--hec-spool-dir',
        join(dir, 'spool'),
        '--hec-drain-seconds',
        '5',
      ],
      { allowFailure: true, env: { ...process.env, FARGATE_MIRROR_HEC_TOKEN: 'test-token' } },
    );
    expect(result.code, result.stderr).toBe(0);
    const hec = Buffer.concat(bodies).toString('utf8');
    const outputs: Record<string, string> = {
      records: readFileSync(records, 'utf8'),
      hec,
      stdout: result.stdout,
      stderr: result.stderr,
    };
    for (const f of filesUnder(join(dir, 'spool'))) outputs[f] = readFileSync(f).toString('latin1');
    // HEC got every http record.
    expect(hec.split('"type":"http"').length - 1).toBe(corpus.secrets.length);
    const leaks: string[] = [];
    for (const s of corpus.secrets)
      for (const [name, text] of Object.entries(outputs))
        if (text.includes(s.secret)) leaks.push(`${s.where} in ${name}`);
    expect(leaks).toEqual([]);
  });
});
