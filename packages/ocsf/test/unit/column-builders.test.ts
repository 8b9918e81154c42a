// The hand-made Arrow column builders, through a Parquet file and back (parquet-wasm): the values
// their fast paths take apart must come back whole: non-ASCII strings next to ASCII ones, int64
// beyond 32 bits and below zero, nulls at every level, map entries, and a second batch after flush;
// thousands of strings, ASCII and not, next to structs absent for long runs.
import {
  Field,
  Int32,
  Int64,
  List,
  Map_,
  RecordBatch,
  Schema,
  Struct,
  tableFromIPC,
  Utf8,
} from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import { columnBuilder } from '../../src/parquet/column-builders.js';
import { encodeParquet } from '../../src/parquet/parquet-encode.js';

const entries = new Struct([new Field('key', new Utf8(), false), new Field('value', new Utf8(), true)]);
const layout = new Struct([
  new Field('name', new Utf8(), true),
  new Field('time', new Int64(), true),
  new Field('port', new Int32(), true),
  new Field('endpoint', new Struct([new Field('ip', new Utf8(), true)]), true),
  new Field('tags', new List(new Field('element', new Utf8(), true)), true),
  new Field('unmapped', new Map_(new Field('entries', entries, false)), true),
]);
const schema = new Schema(layout.children);

const first = [
  {
    name: 'ascii',
    time: 1_764_680_000_123,
    port: 443,
    endpoint: { ip: '10.0.0.1' },
    tags: ['a'],
    unmapped: { vni: '7' },
  },
  { name: 'café ☕ 東京', time: -1, endpoint: null, tags: [], unmapped: { clé: 'välue', empty: '' } },
  { time: 2 ** 53 - 1, port: 0, endpoint: {}, unmapped: {} },
];
const second = [{ name: 'after flush', time: 4_294_967_296, port: 65535, tags: ['x', 'ÿ'] }];

function roundTrip(...batches: Record<string, unknown>[][]): Record<string, unknown>[] {
  const builder = columnBuilder(layout);
  const recordBatches = batches.map((rows) => {
    for (const row of rows) builder.append(row);
    return new RecordBatch(schema, builder.flush() as never);
  });
  const file = encodeParquet(recordBatches, 'zstd', 'test');
  return tableFromIPC(readParquet(file).intoIPCStream())
    .toArray()
    .map((row) => row.toJSON());
}

describe('column builders', () => {
  it('keep every value through Parquet, over two batches', () => {
    const rows = roundTrip(first, second);
    expect(rows.map((r) => r.name)).toEqual(['ascii', 'café ☕ 東京', null, 'after flush']);
    expect(rows.map((r) => r.time)).toEqual([1_764_680_000_123n, -1n, BigInt(2 ** 53 - 1), 4_294_967_296n]);
    expect(rows.map((r) => r.port)).toEqual([443, null, 0, 65535]);
    expect(rows.map((r) => (r.endpoint as { toJSON(): unknown } | null)?.toJSON() ?? null)).toEqual([
      { ip: '10.0.0.1' },
      null,
      { ip: null },
      null,
    ]);
    expect(rows.map((r) => (r.tags as { toArray(): unknown[] } | null)?.toArray() ?? null)).toEqual([
      ['a'],
      [],
      null,
      ['x', 'ÿ'],
    ]);
    const maps = rows.map((r) => (r.unmapped as { toJSON(): unknown } | null)?.toJSON() ?? null);
    expect(maps).toEqual([{ vni: '7' }, { clé: 'välue', empty: '' }, {}, null]);
  });

  it('keep thousands of strings, ASCII and not, and structs absent for long runs', () => {
    // Every 7th value is not ASCII, every 11th a null, one long value (an upper-bound buffer sized
    // by it), over two row groups.
    const name = (i: number) =>
      i % 11 === 0 ? null : i === 1234 ? 'x'.repeat(70_000) : i % 7 === 0 ? `é${i}東` : `host-${i}`;
    // Structs absent for long runs, present now and then: their children stay aligned.
    const endpoint = (i: number) => (i % 500 === 7 ? { ip: `10.0.${i >> 8}.${i & 255}` } : undefined);
    const many = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => ({
        name: name(from + k),
        tags: [`t${from + k}`],
        endpoint: endpoint(from + k),
        time: (from + k) % 3 === 0 ? undefined : from + k,
      }));
    const rows = roundTrip(many(0, 3000), many(3000, 3300));
    expect(rows.length).toBe(3300);
    expect(rows.map((r) => r.name)).toEqual(Array.from({ length: 3300 }, (_, i) => name(i)));
    expect(rows.map((r) => (r.tags as { toArray(): unknown[] }).toArray()[0])).toEqual(
      Array.from({ length: 3300 }, (_, i) => `t${i}`),
    );
    expect(rows.map((r) => (r.endpoint as { toJSON(): unknown } | null)?.toJSON() ?? null)).toEqual(
      Array.from({ length: 3300 }, (_, i) => endpoint(i) ?? null),
    );
    expect(rows.map((r) => r.time)).toEqual(
      Array.from({ length: 3300 }, (_, i) => (i % 3 === 0 ? null : BigInt(i))),
    );
  });
});
