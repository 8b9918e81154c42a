// One delivery run for bench/s3/run.ts, in its own process so its CPU time is its own: receive's S3
// delivery (S3Delivery, packages/receiver's built code, the SDK and lib-storage as receive loads them)
// sends every completed file under SPOOL/ocsf and SPOOL/pcap to BUCKET at ENDPOINT, then prints one JSON line.
// Usage: node bench/s3/deliver.ts SPOOL ENDPOINT BUCKET PREFIX [concurrency] [partMiB]
import { readdirSync } from 'node:fs';
import { pino } from 'pino';
import { receiverConfigSchema } from '../../packages/receiver/dist/config/receiver-config.js';
import { S3Delivery } from '../../packages/receiver/dist/sinks/s3/s3-delivery.js';

const [spool, endpoint, bucket, prefix, concurrency = '2', partMiB = '8'] = process.argv.slice(2);
if (spool === undefined || endpoint === undefined || bucket === undefined || prefix === undefined) {
  console.error('usage: node bench/s3/deliver.ts SPOOL ENDPOINT BUCKET PREFIX [concurrency] [partMiB]');
  process.exit(2);
}
const config = receiverConfigSchema.parse({
  s3: {
    bucket,
    prefix,
    endpoint,
    region: 'us-east-1',
    concurrency: Number(concurrency),
    partBytes: Number(partMiB) * 1024 * 1024,
    retryBaseMs: 100,
    retryMaxMs: 1000,
    scanSeconds: 3600,
  },
}).s3;
if (config === undefined) throw new Error('no s3 config');
const count = (dir: string) => readdirSync(dir).length;
const files = count(`${spool}/ocsf`) + count(`${spool}/pcap`);
const started = performance.now();
const cpu0 = process.cpuUsage();
const delivery = await S3Delivery.open(
  config,
  [
    {
      kind: 'ocsf',
      dir: `${spool}/ocsf`,
      keyOf: (rel) => `${prefix}ocsf/${rel}`,
      isComplete: (n) => n.endsWith('.parquet'),
    },
    {
      kind: 'pcap',
      dir: `${spool}/pcap`,
      keyOf: (rel) => `${prefix}pcap/${rel}`,
      isComplete: (n) => n.endsWith('.pcap'),
    },
  ],
  spool,
  pino({ level: 'warn' }),
);
delivery.start();
while (delivery.stats.uploadedFiles < files) await new Promise((r) => setTimeout(r, 5));
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpu0);
await delivery.close(0);
console.log(
  JSON.stringify({
    files: delivery.stats.uploadedFiles,
    bytes: delivery.stats.uploadedBytes,
    failedAttempts: delivery.stats.failedAttempts,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
  }),
);
