// Upload throughput of receive's S3 delivery beside the AWS CLI, in one run, to aws-local's S3 on
// loopback, then a run through an outage (the endpoint stopped, then started) showing the spool's
// backlog and its recovery.
// Usage: node bench/s3/run.ts [--parquet-files 6] [--parquet-mib 8] [--pcap-files 2] [--pcap-mib 64]
//                             [--rounds 3] [--concurrency 2]
// The files are random bytes (incompressible, as zstd Parquet and most payload are). Each round
// uploads the same files with receive's delivery code (bench/s3/deliver.ts: S3Delivery with the SDK
// v3 and lib-storage, multipart in 8 MiB parts, conditional writes) and with Debian's
// `aws s3 cp --recursive` (its transfer manager: 8 MiB parts, 10 threads), alternating, each under
// /usr/bin/time in a process of its own (CPU: user + sys of that process, startup included; aws-local
// runs in a third process). Prints MB/s by wall time, CPU ms per MB, and the ratios.
// Never a test: only the ratios within one run mean something.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { receiverConfigSchema } from '../../packages/receiver/dist/config/receiver-config.js';
import { S3Delivery } from '../../packages/receiver/dist/sinks/s3/s3-delivery.js';
import { freePort } from '../../packages/testkit/free-port.ts';

const REPO = join(import.meta.dirname, '..', '..');
const AWS = '/usr/bin/aws';
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return Number(i >= 0 ? args[i + 1] : fallback);
};
const parquetFiles = option('--parquet-files', '6');
const parquetMiB = option('--parquet-mib', '8');
const pcapFiles = option('--pcap-files', '2');
const pcapMiB = option('--pcap-mib', '64');
const rounds = option('--rounds', '3');
const concurrency = option('--concurrency', '2');
const MiB = 1024 * 1024;
const ENV = {
  PATH: '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  AWS_ACCESS_KEY_ID: 'AKIDBENCH',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_REGION: 'us-east-1',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_MAX_ATTEMPTS: '1',
  AWS_PAGER: '',
};

interface AwsLocalProcess {
  url: string;
  stop(): Promise<void>;
}

async function startAwsLocal(port: number): Promise<AwsLocalProcess> {
  const child = spawn(
    process.execPath,
    [join(REPO, 'packages/aws-local/dist/bin.js'), '--port', String(port)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) =>
      resolve((JSON.parse(d.toString().split('\n')[0]) as { url: string }).url),
    );
    child.once('exit', (code) => reject(new Error(`aws-local exited (${code})`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function aws(endpoint: string, cliArgs: string[]): void {
  execFileSync(AWS, [...cliArgs, '--endpoint-url', endpoint, '--region', 'us-east-1'], {
    env: ENV,
    stdio: 'pipe',
  });
}

/** Runs a command under /usr/bin/time: its wall seconds and CPU seconds (user + sys), its stdout. */
function timed(command: string, commandArgs: string[]): { wall: number; cpu: number; stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S', command, ...commandArgs], {
    env: { ...ENV, PATH: process.env.PATH ?? '/usr/bin:/bin' },
    encoding: 'utf8',
    maxBuffer: 64 * MiB,
  });
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (r.status !== 0 || m === null) throw new Error(`${command} failed (${r.status}): ${r.stderr}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), stdout: r.stdout };
}

const dir = mkdtempSync(join(tmpdir(), 'fm-bench-s3-'));
const master = join(dir, 'files');
const spool = join(dir, 'spool');
const stops: (() => Promise<void>)[] = [];
try {
  mkdirSync(join(master, 'ocsf'), { recursive: true });
  mkdirSync(join(master, 'pcap'), { recursive: true });
  for (let i = 0; i < parquetFiles; i++)
    writeFileSync(join(master, 'ocsf', `network_activity_${i}.zstd.parquet`), randomBytes(parquetMiB * MiB));
  for (let i = 0; i < pcapFiles; i++)
    writeFileSync(join(master, 'pcap', `fargate-mirror-w0-${i}.pcap`), randomBytes(pcapMiB * MiB));
  const totalMB = (parquetFiles * parquetMiB + pcapFiles * pcapMiB) * (MiB / 1e6);
  console.log(
    `files: ${parquetFiles} x ${parquetMiB} MiB "Parquet" + ${pcapFiles} x ${pcapMiB} MiB pcap = ${totalMB.toFixed(1)} MB a round; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  const s3 = await startAwsLocal(0);
  stops.push(s3.stop);
  aws(s3.url, ['s3', 'mb', 's3://bench']);
  const ours: { wall: number; cpu: number; inProcess: number; inProcessCpu: number }[] = [];
  const cli: { wall: number; cpu: number }[] = [];
  for (let round = 0; round < rounds; round++) {
    rmSync(spool, { recursive: true, force: true });
    cpSync(master, spool, { recursive: true });
    const r = timed(process.execPath, [
      join(REPO, 'bench/s3/deliver.ts'),
      spool,
      s3.url,
      'bench',
      `ours-${round}/`,
      String(concurrency),
    ]);
    const report = JSON.parse(r.stdout.trim().split('\n').pop() as string) as {
      cpuMs: number;
      wallMs: number;
      bytes: number;
      failedAttempts: number;
    };
    if (report.failedAttempts > 0)
      throw new Error(`receive's delivery failed ${report.failedAttempts} attempts`);
    ours.push({ ...r, inProcess: report.wallMs / 1000, inProcessCpu: report.cpuMs / 1000 });
    const c = timed(AWS, [
      's3',
      'cp',
      '--recursive',
      '--only-show-errors',
      master,
      `s3://bench/cli-${round}/`,
      '--endpoint-url',
      s3.url,
      '--region',
      'us-east-1',
    ]);
    cli.push(c);
    // aws-local holds objects in memory: each round's go before the next.
    aws(s3.url, ['s3', 'rm', '--recursive', '--only-show-errors', 's3://bench/']);
    console.log(
      `round ${round + 1}: receive delivery wall ${r.wall.toFixed(2)} s (in-process ${(report.wallMs / 1000).toFixed(2)} s) cpu ${r.cpu.toFixed(2)} s | aws s3 cp wall ${c.wall.toFixed(2)} s cpu ${c.cpu.toFixed(2)} s`,
    );
  }
  const best = <T extends { wall: number }>(xs: T[]) => xs.reduce((a, b) => (b.wall < a.wall ? b : a));
  const o = best(ours);
  const c = best(cli);
  const line = (name: string, wall: number, cpu: number) =>
    console.log(
      `${name.padEnd(44)} wall ${wall.toFixed(2).padStart(6)} s ${(totalMB / wall).toFixed(1).padStart(7)} MB/s | cpu ${cpu.toFixed(2).padStart(6)} s ${((cpu * 1000) / totalMB).toFixed(2).padStart(7)} ms/MB`,
    );
  console.log(`best of ${rounds} (by wall time):`);
  line(`receive S3 delivery (concurrency ${concurrency})`, o.wall, o.cpu);
  console.log(
    `  same, from S3Delivery.open (SDK load in)   wall ${o.inProcess.toFixed(2).padStart(6)} s ${(totalMB / o.inProcess).toFixed(1).padStart(7)} MB/s | cpu ${o.inProcessCpu.toFixed(2).padStart(6)} s ${((o.inProcessCpu * 1000) / totalMB).toFixed(2).padStart(7)} ms/MB`,
  );
  line('aws s3 cp --recursive (Debian AWS CLI 2.9)', c.wall, c.cpu);
  const idle = timed(AWS, ['--version']);
  console.log(
    `  the CLI's start alone (aws --version)       wall ${idle.wall.toFixed(2).padStart(6)} s | cpu ${idle.cpu.toFixed(2).padStart(6)} s; cp less that: ${(((c.cpu - idle.cpu) * 1000) / totalMB).toFixed(2)} ms/MB`,
  );
  console.log(
    `ratio: receive's delivery ${(c.wall / o.wall).toFixed(2)}x the CLI's throughput by wall time; ${(o.cpu / c.cpu).toFixed(2)}x its CPU per MB (goal: throughput >= 1x, CPU per MB <= 1x)`,
  );
  await s3.stop();
  stops.pop();

  // The outage: the endpoint is down (nothing listens on its port) while the files wait in the spool.
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  rmSync(spool, { recursive: true, force: true });
  cpSync(master, spool, { recursive: true });
  const config = receiverConfigSchema.parse({
    s3: {
      bucket: 'bench',
      endpoint,
      region: 'us-east-1',
      concurrency,
      retryBaseMs: 200,
      retryMaxMs: 1000,
      scanSeconds: 3600,
      maxPendingFiles: 2,
    },
  }).s3;
  if (config === undefined) throw new Error('no s3 config');
  process.env.AWS_ACCESS_KEY_ID = 'AKIDBENCH';
  process.env.AWS_SECRET_ACCESS_KEY = 'secret';
  const delivery = await S3Delivery.open(
    config,
    [
      {
        kind: 'ocsf',
        dir: join(spool, 'ocsf'),
        keyOf: (r) => `ocsf/${r}`,
        isComplete: (n) => n.endsWith('.parquet'),
      },
      {
        kind: 'pcap',
        dir: join(spool, 'pcap'),
        keyOf: (r) => `pcap/${r}`,
        isComplete: (n) => n.endsWith('.pcap'),
      },
    ],
    spool,
    pino({ level: 'silent' }),
  );
  const t0 = performance.now();
  const at = () => ((performance.now() - t0) / 1000).toFixed(1).padStart(5);
  const show = (what: string) =>
    console.log(
      `  t=${at()} s ${what.padEnd(16)} pending ${delivery.pendingFiles} files ${(delivery.pendingBytes / 1e6).toFixed(1)} MB, failed attempts ${delivery.stats.failedAttempts}, uploaded ${delivery.stats.uploadedFiles}, backlog over /healthz bound: ${delivery.backlogExceeded}`,
    );
  console.log(
    `outage: endpoint ${endpoint} stopped for 5 s, then started (retry 200 ms doubling to 1 s, /healthz bound 2 files)`,
  );
  delivery.start();
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    show('endpoint down');
  }
  const back = await startAwsLocal(port);
  stops.push(back.stop);
  aws(back.url, ['s3', 'mb', 's3://bench']);
  const up = performance.now();
  show('endpoint up');
  while (delivery.pendingFiles > 0) await new Promise((r) => setTimeout(r, 20));
  show('drained');
  console.log(
    `recovery: backlog of ${parquetFiles + pcapFiles} files (${totalMB.toFixed(1)} MB) delivered ${((performance.now() - up) / 1000).toFixed(2)} s after the endpoint came back (retry wait included); ${delivery.stats.failedAttempts} failed attempts during the outage; ${delivery.stats.uploadedFiles} files uploaded, each once`,
  );
  await delivery.close(0);
} finally {
  for (const stop of stops.reverse()) await stop();
  rmSync(dir, { recursive: true, force: true });
}
