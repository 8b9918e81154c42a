// Issue 17 item 11: each receiver reports its own health as CloudWatch embedded metric format lines,
// and names its records after the instance. The built `receive` on loopback, with a stand-in of the
// EC2 instance metadata service (IMDSv2: PUT a token, GET meta-data/instance-id with it) and a
// stand-in Splunk HEC: records and HEC events carry the instance id as `dvc`/`host`; every EMF line
// follows the EMF specification (the `_aws` metadata, each metric and dimension a top-level member)
// and the counts add up to what the receiver wrote. Without the metadata service: the host name.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HecServer, newToken } from '../helpers/hec-server.ts';
import {
  LOOPBACK_RECEIVE,
  metric,
  metrics,
  readJsonLines,
  requireBuiltCli,
  sendDatagrams,
  startReceive,
  stopReceive,
  vxlanDatagram,
  waitUntil,
} from '../helpers/receive-support.ts';

const INSTANCE_ID = 'i-0a1b2c3d4e5f60718';

let dir: string;
beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'fm-receive-cloudwatch-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** IMDSv2 as the EC2 documentation describes it: no token, no answer (401). */
async function startImds(): Promise<{ server: Server; url: string; tokenRequests: () => number }> {
  let tokens = 0;
  const token = 'imds-session-token';
  const server = createServer((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (req.headers['x-aws-ec2-metadata-token-ttl-seconds'] === undefined)
        return void res.writeHead(400).end();
      tokens++;
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
    }
    if (req.method === 'GET' && req.url === '/latest/meta-data/instance-id') {
      if (req.headers['x-aws-ec2-metadata-token'] !== token) return void res.writeHead(401).end();
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end(INSTANCE_ID);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, tokenRequests: () => tokens };
}

function flows(n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    out.push(vxlanDatagram({ vni: 5, src: '10.0.7.1', dst: '10.0.8.2', sport: 20_000 + i, dport: 443 }));
  }
  return out;
}

type Emf = {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
} & Record<string, unknown>;

describe('receive with CloudWatch EMF and dvcFromInstance', () => {
  it('names records and HEC events after the instance and writes EMF lines that add up', async () => {
    const imds = await startImds();
    const token = newToken();
    const hec = await HecServer.start({ tokens: { [token]: {} } });
    const saved = { ...process.env };
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = imds.url;
    process.env.FARGATE_MIRROR_HEC_TOKEN = token;
    try {
      const emfFile = join(dir, 'emf.jsonl');
      const records = join(dir, 'records.jsonl');
      const config = join(dir, 'receive.json');
      writeFileSync(
        config,
        JSON.stringify({
          dvcFromInstance: true,
          cloudwatch: { emfFile, intervalSeconds: 1, fleet: 'test-fleet' },
          hec: { flushMs: 100 },
        }),
      );
      const r = await startReceive([
        ...LOOPBACK_RECEIVE,
        '--config',
        config,
        '--records',
        records,
        '--hec-url',
        hec.url,
        '--hec-spool-dir',
        join(dir, 'spool'),
      ]);
      await sendDatagrams(r.port, flows(50));
      await new Promise((res) => setTimeout(res, 2500)); // a few EMF intervals
      const stderr = await stopReceive(r);
      expect(imds.tokenRequests()).toBe(1);

      const written = readJsonLines(records);
      expect(written.length).toBe(50);
      for (const rec of written) expect(rec.dvc).toBe(INSTANCE_ID);
      expect(hec.events.length).toBe(50);
      for (const e of hec.events) {
        expect(e.host).toBe(INSTANCE_ID);
        expect((e.event as { dvc: string }).dvc).toBe(INSTANCE_ID);
      }

      expect(statSync(emfFile).mode & 0o777).toBe(0o600);
      const lines = readFileSync(emfFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Emf);
      expect(lines.length).toBeGreaterThanOrEqual(3);
      let recordsWritten = 0;
      let kernelDrops = 0;
      for (const line of lines) {
        expect(typeof line._aws.Timestamp).toBe('number');
        const [directive] = line._aws.CloudWatchMetrics;
        expect(directive.Namespace).toBe('FargateMirror/Receiver');
        expect(directive.Dimensions).toEqual([['Fleet'], ['Fleet', 'InstanceId']]);
        for (const dim of directive.Dimensions.flat()) expect(typeof line[dim]).toBe('string');
        expect(line.Fleet).toBe('test-fleet');
        expect(line.InstanceId).toBe(INSTANCE_ID);
        expect(directive.Metrics.map((m) => m.Name).sort()).toEqual(
          [
            'DatagramsPerSecond',
            'DiskUsedPercent',
            'HecSpoolUsedPercent',
            'Healthy',
            'KernelDrops',
            'RecordsDropped',
            'RecordsWritten',
          ].sort(),
        );
        for (const m of directive.Metrics) expect(typeof line[m.Name], m.Name).toBe('number');
        recordsWritten += line.RecordsWritten as number;
        kernelDrops += line.KernelDrops as number;
        expect(line.RecordsDropped).toBe(0);
        expect(line.DiskUsedPercent as number).toBeGreaterThan(0);
      }
      // Deltas per interval add up to the totals the stop summary printed.
      expect(recordsWritten).toBe(50);
      expect(kernelDrops).toBe(Number(/kernel drops (\d+)/.exec(stderr)?.[1]));
      expect(lines.some((l) => (l.DatagramsPerSecond as number) > 0)).toBe(true);
    } finally {
      process.env = saved;
      await hec.close();
      await new Promise<void>((res) => imds.server.close(() => res()));
    }
  }, 60_000);

  it('falls back to the host name where no metadata service answers', async () => {
    const saved = { ...process.env };
    // A port nothing listens on: refused at once, as off EC2 the link-local address never answers.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((r) => closed.close(() => r()));
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = `http://127.0.0.1:${port}`;
    try {
      const records = join(dir, 'fallback.jsonl');
      const config = join(dir, 'fallback.json');
      writeFileSync(config, JSON.stringify({ dvcFromInstance: true }));
      const r = await startReceive([...LOOPBACK_RECEIVE, '--config', config, '--records', records]);
      await sendDatagrams(r.port, flows(3));
      // A stop closes the sockets: datagrams still queued in them are not read (CI once stopped first).
      await waitUntil('the 3 datagrams received', async () => {
        return metric(await metrics(r.healthPort), 'datagrams_received_total') >= 3;
      });
      await stopReceive(r);
      const written = readJsonLines(records);
      expect(written.length).toBe(3);
      for (const rec of written) expect(rec.dvc).toBe(hostname());
    } finally {
      process.env = saved;
    }
  }, 60_000);
});
