// Records into OCSF Parquet side by side with the JSON Lines path, in one run, on the same records.
// Usage: node bench/ocsf/run.ts [--packets N] [--seed FILE]
// The records come from `read`'s pipeline over a replicated capture of real traffic (bench/read's
// replicas: flows stay distinct), held in memory, then written by each writer in turn (best of three,
// alternating, after a warm-up): JSON Lines (what --records writes), OCSF events as JSON Lines (the
// mapping's cost alone), and OCSF Parquet (mapping + Arrow + zstd Parquet). Prints records/s, bytes
// per record and the ratios. Never a test: only the ratios within one run mean something.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonLinesWriter, type MirrorRecord, readCapture } from '../../packages/analysis/dist/index.js';
import { OcsfParquetSink, toOcsfEvent } from '../../packages/ocsf/dist/index.js';
import { makeReplicatedCapture } from '../read/make-capture.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const targetPackets = Number(option('--packets', '300000'));
const seed = option('--seed', 'fixtures/sample-mirror.pcap');

function bytesUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  }
  return total;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(`load average at start: ${load()} (${process.version})`);
const dir = mkdtempSync(join(tmpdir(), 'fm-bench-ocsf-'));
try {
  const capture = join(dir, 'replicated.pcap');
  const packets = makeReplicatedCapture(seed, capture, targetPackets);
  const records: MirrorRecord[] = [];
  readCapture({ file: capture, recordSinks: [(r) => records.push(r)] });
  const byType: Record<string, number> = {};
  for (const r of records) byType[r.type] = (byType[r.type] ?? 0) + 1;
  console.log(
    `records: ${records.length} from ${packets} packets (replicas of ${seed}): ${JSON.stringify(byType)}`,
  );
  const options = { productVersion: 'bench', region: 'eu-west-1', accountId: '123456789012' };

  const writers: Record<string, (out: string) => number> = {
    'JSON Lines (--records)': (out) => {
      const w = JsonLinesWriter.open(out);
      for (const r of records) w.write(r);
      w.close();
      return statSync(out).size;
    },
    'OCSF as JSON Lines (mapping only)': (out) => {
      const w = JsonLinesWriter.open(out);
      for (const r of records) w.write(toOcsfEvent(r, options).event);
      w.close();
      return statSync(out).size;
    },
    'OCSF Parquet (--ocsf-parquet, zstd)': (out) => {
      const sink = new OcsfParquetSink({ ...options, dir: out });
      for (const r of records) sink.write(r);
      sink.close();
      if (sink.stats.failed !== 0)
        throw new Error(`${sink.stats.failed} records failed: ${sink.stats.lastError}`);
      return bytesUnder(out);
    },
    // The codec choice: snappy is the other one every Parquet reader takes.
    'OCSF Parquet (snappy)': (out) => {
      const sink = new OcsfParquetSink({ ...options, dir: out, compression: 'snappy' });
      for (const r of records) sink.write(r);
      sink.close();
      return bytesUnder(out);
    },
  };
  const best: Record<string, { wall: number; cpu: number; bytes: number }> = {};
  for (let round = 0; round < 4; round++) {
    for (const [label, write] of Object.entries(writers)) {
      const out = join(dir, `out-${round}-${label.replace(/\W+/g, '_')}`);
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const bytes = write(out);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpuUsed = process.cpuUsage(cpu0);
      const cpu = (cpuUsed.user + cpuUsed.system) / 1e6;
      rmSync(out, { recursive: true, force: true });
      // Round 0 warms up the JIT and the page cache.
      if (round === 0) continue;
      const previous = best[label];
      if (previous === undefined || wall < previous.wall) best[label] = { wall, cpu, bytes };
    }
  }
  for (const [label, b] of Object.entries(best)) {
    console.log(
      `${label.padEnd(38)} ${b.wall.toFixed(2).padStart(6)} s wall ${b.cpu.toFixed(2).padStart(6)} s CPU  ${(records.length / b.wall / 1e3).toFixed(0).padStart(5)} k records/s (wall)  ${(b.bytes / records.length).toFixed(1).padStart(7)} bytes/record`,
    );
  }
  const json = best['JSON Lines (--records)'];
  const parquet = best['OCSF Parquet (--ocsf-parquet, zstd)'];
  const mapped = best['OCSF as JSON Lines (mapping only)'];
  console.log(
    `ratio: Parquet writes ${(json.wall / parquet.wall).toFixed(2)}x the JSON Lines records/s (wall; goal >= 0.80), ` +
      `${(json.cpu / parquet.cpu).toFixed(2)}x per CPU second; ` +
      `${(parquet.bytes / json.bytes).toFixed(3)}x the bytes (${(json.bytes / parquet.bytes).toFixed(1)}x smaller); ` +
      `OCSF JSON Lines ${(json.wall / mapped.wall).toFixed(2)}x the JSON Lines records/s`,
  );

  // The whole path, as a user runs it: `read` (decapsulation, flows, dissectors, records) writing
  // JSON Lines, against the same `read` writing OCSF Parquet instead. Best of three (by wall time), alternating, with the CPU time of that run.
  const cli = 'packages/cli/dist/bin.js';
  const paths: Record<string, string[]> = {
    'read --records FILE': ['--records', join(dir, 'path.jsonl')],
    'read --ocsf-parquet DIR': ['--ocsf-parquet', join(dir, 'path-lake')],
  };
  const path: Record<string, { wall: number; cpu: number }> = {};
  for (let round = 0; round < 4; round++) {
    for (const [label, extra] of Object.entries(paths)) {
      rmSync(join(dir, 'path-lake'), { recursive: true, force: true });
      const t0 = process.hrtime.bigint();
      // GNU time reports the child's CPU: wall time alone is mostly the other tenants of the machine.
      const r = spawnSync(
        '/usr/bin/time',
        ['-f', 'cpu %U %S', process.execPath, cli, 'read', capture, ...extra],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          encoding: 'utf8',
        },
      );
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr}`);
      const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
      if (m === null) throw new Error(`no CPU time from /usr/bin/time: ${r.stderr.slice(-200)}`);
      const cpu = Number(m[1]) + Number(m[2]);
      if (round === 0) continue;
      const previous = path[label];
      if (previous === undefined || wall < previous.wall) path[label] = { wall, cpu };
    }
  }
  for (const [label, p] of Object.entries(path)) {
    console.log(
      `${label.padEnd(38)} ${p.wall.toFixed(2).padStart(6)} s wall ${p.cpu.toFixed(2).padStart(6)} s CPU  ${(records.length / p.wall / 1e3).toFixed(0).padStart(5)} k records/s (wall)  ${(records.length / p.cpu / 1e3).toFixed(0).padStart(5)} k records/s (CPU)`,
    );
  }
  const pj = path['read --records FILE'];
  const pp = path['read --ocsf-parquet DIR'];
  console.log(
    `ratio: read into OCSF Parquet runs at ${(pj.wall / pp.wall).toFixed(2)}x the records/s of read into JSON Lines (wall), ${(pj.cpu / pp.cpu).toFixed(2)}x per CPU second (whole path; goal >= 0.80)`,
  );
  const snappy = best['OCSF Parquet (snappy)'];
  console.log(
    `codec: zstd ${(parquet.bytes / records.length).toFixed(1)} bytes/record in ${parquet.cpu.toFixed(2)} s CPU, snappy ${(snappy.bytes / records.length).toFixed(1)} bytes/record in ${snappy.cpu.toFixed(2)} s CPU`,
  );
  console.log(`load average at end: ${load()}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
