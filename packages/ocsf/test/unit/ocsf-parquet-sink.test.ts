// The OCSF Parquet sink over the records of a real capture: partitioned folders, one file per class
// and window, rolled by size and by time, owner-only, whole files only, readable back by parquet-wasm
// (the Arrow reader) with every record in it; a record that cannot be mapped is counted, not fatal;
// a file that cannot be written is held and written at the next roll, and counted when given up.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { type MirrorRecord, readCapture } from '@fargate-mirror/analysis';
import { REPO_ROOT } from '@fargate-mirror/testkit/cli';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { type CompletedParquetFile, OcsfParquetSink } from '../../src/parquet/ocsf-parquet-sink.js';

const records: MirrorRecord[] = [];
readCapture({
  file: join(REPO_ROOT, 'fixtures', 'sample-mirror.pcap'),
  recordSinks: [(r) => records.push(r)],
});
const classOf = (r: MirrorRecord) =>
  r.type === 'http' ? 'http_activity' : r.type === 'dns' ? 'dns_activity' : 'network_activity';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

function rowsOf(path: string): Record<string, unknown>[] {
  const table = tableFromIPC(readParquet(readFileSync(path)).intoIPCStream());
  return table.toArray().map((row) => row.toJSON() as Record<string, unknown>);
}

describe('OcsfParquetSink', () => {
  const root = mkdtempSync(join(tmpdir(), 'fm-ocsf-sink-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const options = { productVersion: '0.1.0', region: 'eu-west-1', accountId: '123456789012', writerId: 't' };

  it('writes one file per class under region=/accountId=/eventDay=, with every record', () => {
    const dir = join(root, 'one');
    const completed: CompletedParquetFile[] = [];
    const sink = new OcsfParquetSink({ ...options, dir, onFile: (f) => completed.push(f) });
    for (const r of records) sink.write(r);
    expect(filesUnder(dir)).toEqual([]);
    sink.close();
    const day = records[0].time.slice(0, 10).replace(/-/g, '');
    const files = filesUnder(dir);
    expect(files.map((f) => f.replace(/[^/]*$/, ''))).toEqual(
      ['dns_activity', 'http_activity', 'network_activity'].map(
        (c) => `${c}/region=eu-west-1/accountId=123456789012/eventDay=${day}/`,
      ),
    );
    expect(completed.map((f) => f.relativePath).sort()).toEqual(files);
    for (const file of completed) {
      const path = join(dir, file.relativePath);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(path).size).toBe(file.bytes);
      // zstd-compressed Parquet: the magic at both ends, the codec in the name.
      const bytes = readFileSync(path);
      expect([bytes.subarray(0, 4).toString(), bytes.subarray(-4).toString()]).toEqual(['PAR1', 'PAR1']);
      expect(file.relativePath).toMatch(/\.zstd\.parquet$/);
      const rows = rowsOf(path);
      const expected = records.filter((r) => classOf(r) === file.className);
      expect(rows.length).toBe(expected.length);
      expect(file.records).toBe(expected.length);
      expect(rows.map((row) => Number(row.time)).sort()).toEqual(
        expected.map((r) => Date.parse(r.time)).sort(),
      );
    }
    expect(sink.stats).toMatchObject({ records: records.length, failed: 0, files: 3 });
  });

  it('rolls by size: small files, no record lost or doubled', () => {
    const dir = join(root, 'size');
    const sink = new OcsfParquetSink({ ...options, dir, rowGroupRecords: 2, maxFileBytes: 1 });
    for (const r of records) sink.write(r);
    sink.close();
    const files = filesUnder(dir);
    // Every second record of a class seals a row group past the limit: a file of two records.
    const perClass = (c: string) => records.filter((r) => classOf(r) === c).length;
    const expectedFiles = ['network_activity', 'http_activity', 'dns_activity']
      .map((c) => Math.ceil(perClass(c) / 2))
      .reduce((a, b) => a + b);
    expect(files.length).toBe(expectedFiles);
    const total = files.map((f) => rowsOf(join(dir, f)).length).reduce((a, b) => a + b);
    expect(total).toBe(records.length);
    // Sequence numbers keep the names of one window's files apart.
    expect(new Set(files).size).toBe(files.length);
  });

  it('rolls by time: one file per event-time window, written once the window is over', () => {
    // The sample lasts half a second: spread its records over minutes (20 s apart) to span windows.
    const iso = (ms: number) => new Date(ms).toISOString();
    const spread = records.map((r, i) => {
      const shift = i * 20_000;
      const moved = { ...r, time: iso(Date.parse(r.time) + shift) } as MirrorRecord;
      if (moved.type === 'flow' && r.type === 'flow') {
        moved.start_time = iso(Date.parse(r.start_time) + shift);
        moved.end_time = iso(Date.parse(r.end_time) + shift);
      }
      return moved;
    });
    const windowOf = (r: MirrorRecord) => Math.floor(Date.parse(r.time) / 60_000) * 60_000;
    const dir = join(root, 'time');
    const sink = new OcsfParquetSink({ ...options, dir, windowSeconds: 60 });
    for (const r of spread) sink.write(r);
    const lastWindow = windowOf(spread[spread.length - 1]);
    sink.rollWindowsBefore(lastWindow);
    const key = (r: MirrorRecord) => `${classOf(r)}/${windowOf(r)}`;
    expect(filesUnder(dir).length).toBe(
      new Set(spread.filter((r) => windowOf(r) < lastWindow).map(key)).size,
    );
    expect(sink.pendingRecords).toBe(spread.filter((r) => windowOf(r) === lastWindow).length);
    sink.close();
    expect(new Set(spread.map(key)).size).toBeGreaterThan(3);
    const files = filesUnder(dir);
    expect(files.length).toBe(new Set(spread.map(key)).size);
    // Each file holds its window's records only; its name starts with the window.
    for (const file of files) {
      const times = rowsOf(join(dir, file)).map((row) => Number(row.time));
      const window = Math.floor(times[0] / 60_000) * 60_000;
      for (const t of times) expect(Math.floor(t / 60_000) * 60_000).toBe(window);
      const stamp = new Date(window)
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}Z$/, 'Z');
      expect(file).toContain(`_${stamp}_`);
    }
  });

  it('with eventTimeGraceSeconds, writes each window once records that far past its end arrive', () => {
    // As read does: event time is the clock. Records 20 s apart, 60 s windows, 30 s of grace.
    const iso = (ms: number) => new Date(ms).toISOString();
    const base = Date.parse(records[0].time);
    const spread = records.map((r, i) => ({ ...r, time: iso(base + i * 20_000) }) as MirrorRecord);
    const dir = join(root, 'event-time');
    const written: { file: CompletedParquetFile; after: number }[] = [];
    let seen = 0;
    const sink = new OcsfParquetSink({
      ...options,
      dir,
      windowSeconds: 60,
      eventTimeGraceSeconds: 30,
      onFile: (file) => written.push({ file, after: seen }),
    });
    for (const r of spread) {
      seen++;
      sink.write(r);
    }
    const beforeClose = written.length;
    sink.close();
    const windowEnd = (f: CompletedParquetFile) =>
      Math.floor(Number(rowsOf(f.path)[0].time) / 60_000) * 60_000 + 60_000;
    expect(beforeClose).toBeGreaterThan(1);
    for (const { file, after } of written.slice(0, beforeClose)) {
      // Written by the first record 30 s past the window's end, and not before it.
      const trigger = spread.findIndex((r) => Date.parse(r.time) - 30_000 >= windowEnd(file));
      expect(after).toBe(trigger + 1);
    }
    // Nothing lost or doubled, and each window is in one file (the records came in time order).
    const total = written.map(({ file }) => rowsOf(file.path).length).reduce((a, b) => a + b);
    expect(total).toBe(records.length);
    const keys = written.map(({ file }) => `${file.className} ${windowEnd(file)}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('counts a record it cannot map and goes on', () => {
    const dir = join(root, 'bad');
    const sink = new OcsfParquetSink({ ...options, dir });
    sink.write({ ...records[0], time: 'not a time' } as MirrorRecord);
    expect(sink.stats.lastError).toMatch(/not a time/);
    sink.write({ ...records[0], type: 'smtp' } as unknown as MirrorRecord);
    expect(sink.stats.lastError).toMatch(/no OCSF mapping for records of type smtp/);
    for (const r of records) sink.write(r);
    sink.close();
    expect(sink.stats.failed).toBe(2);
    expect(sink.stats.records).toBe(records.length);
  });

  // A real write failure: a plain file where the class's folder must go (mkdir fails with ENOTDIR).
  const blockFolder = (dir: string, className: string) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, className), 'in the way');
  };
  const httpRecords = records.filter((r) => classOf(r) === 'http_activity').length;

  it('holds a file it cannot write and writes it at the next roll: nothing lost', () => {
    const dir = join(root, 'held');
    blockFolder(dir, 'http_activity');
    const completed: CompletedParquetFile[] = [];
    const sink = new OcsfParquetSink({ ...options, dir, onFile: (f) => completed.push(f) });
    for (const r of records) sink.write(r);
    expect(() => sink.rollWindowsBefore(Number.POSITIVE_INFINITY)).toThrow(
      /cannot write .*http_activity.*held in memory and written at the next roll \(1 files, \d+ records held\)/,
    );
    // The other classes were written all the same.
    expect(completed.map((f) => f.className).sort()).toEqual(['dns_activity', 'network_activity']);
    expect(sink.stats).toMatchObject({ heldFiles: 1, heldRecords: httpRecords, lost: 0 });
    expect(sink.stats.heldBytes).toBeGreaterThan(0);
    // Still blocked: still held, and the roll says so.
    expect(() => sink.rollWindowsBefore(Number.POSITIVE_INFINITY)).toThrow(/still holding 1 files/);
    rmSync(join(dir, 'http_activity'));
    sink.rollWindowsBefore(Number.POSITIVE_INFINITY);
    sink.close();
    expect(sink.stats).toMatchObject({ heldFiles: 0, heldRecords: 0, heldBytes: 0, lost: 0, files: 3 });
    const http = completed.find((f) => f.className === 'http_activity');
    expect(http?.records).toBe(httpRecords);
    expect(rowsOf(join(dir, http?.relativePath ?? '')).length).toBe(httpRecords);
    // No temporary file left behind by the failed tries.
    expect(filesUnder(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('counts what it gives up: still unwritable at close, or past maxHeldBytes', () => {
    const atClose = join(root, 'lost-at-close');
    blockFolder(atClose, 'http_activity');
    const sink = new OcsfParquetSink({ ...options, dir: atClose });
    for (const r of records) sink.write(r);
    expect(() => sink.close()).toThrow(
      new RegExp(
        `${httpRecords} records in 1 OCSF Parquet files could not be written and are lost: cannot write`,
      ),
    );
    expect(sink.stats).toMatchObject({ heldFiles: 0, heldRecords: 0, lost: httpRecords, files: 2 });

    const small = join(root, 'lost-past-limit');
    blockFolder(small, 'http_activity');
    const bounded = new OcsfParquetSink({ ...options, dir: small, maxHeldBytes: 1 });
    for (const r of records) bounded.write(r);
    expect(() => bounded.rollWindowsBefore(Number.POSITIVE_INFINITY)).toThrow(/cannot write/);
    expect(bounded.stats).toMatchObject({ heldFiles: 0, heldRecords: 0, heldBytes: 0, lost: httpRecords });
    bounded.close();
  });
});
