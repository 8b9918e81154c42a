// recordJson writes exactly what JSON.stringify writes, for the records of every golden case and for
// flow records bent out of the shape its fast path knows (fields added, reordered, retyped, removed,
// strings that need escaping, workload fields appended, mirror points filled in by the receiver).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { recordJson } from '../../src/output/record-json.js';
import { GOLDEN_CASES, goldenFile } from '../golden/cases.ts';

type Rec = Record<string, unknown>;
const goldenRecords = (): Rec[] =>
  GOLDEN_CASES.flatMap((c) =>
    gunzipSync(readFileSync(goldenFile(c)))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Rec),
  );

describe('recordJson', () => {
  const records = goldenRecords();
  const flow = records.find((r) => r['type'] === 'flow') as Rec;

  it('is JSON.stringify for every golden record', () => {
    expect(records.length).toBeGreaterThan(6000);
    const differing = records.filter((r) => recordJson(r) !== JSON.stringify(r));
    expect(differing).toEqual([]);
  });

  const variants: [string, (r: Rec) => Rec][] = [
    ['a field added at the end', (r) => ({ ...r, src_ecs_cluster: 'prod', dest_ecs_task_arn: 'arn:x' })],
    ['an added field that JSON leaves out', (r) => ({ ...r, later: undefined, fn: () => 1 })],
    ['a field added in the middle', (r) => ({ type: r['type'], extra: 1, ...r })],
    ['a field removed', ({ dvc: _, ...r }) => r],
    ['the last field removed and another added', ({ dvc: _, ...r }) => ({ ...r, other: 'x' })],
    ['a number where a string was', (r) => ({ ...r, src_ip: 7 })],
    ['a string where a number was', (r) => ({ ...r, bytes: '7' })],
    ['a number that JSON writes as null', (r) => ({ ...r, duration: Number.NaN, bytes: Infinity })],
    ['negative zero', (r) => ({ ...r, duration: -0 })],
    ['a numeric transport', (r) => ({ ...r, transport: 132 })],
    ['strings to escape', (r) => ({ ...r, dvc: 'a"b\\c\n\u0001\ud800 é 😀', app: '\u2028' })],
    ['null mirror points', (r) => ({ ...r, mirror_points: null })],
    ['no mirror points', (r) => ({ ...r, mirror_points: [] })],
    [
      'mirror points filled in and extended',
      (r) => ({
        ...r,
        mirror_points: [
          { vni: 1, eni_id: 'eni-1', mirror_session_id: 'tms-"1', outer_src_ip: '10.0.0.1' },
          { vni: 2, eni_id: null, mirror_session_id: null, outer_src_ip: '10.0.0.2', az: 'a' },
        ],
      }),
    ],
    ['a mirror point of another type', (r) => ({ ...r, mirror_points: [5] })],
    ['a nested object added', (r) => ({ ...r, tags: { a: [1, 'x', null], b: new Date(0) } })],
  ];
  for (const [name, bend] of variants) {
    it(`is JSON.stringify for a flow record with ${name}`, () => {
      const record = bend({ ...flow });
      expect(recordJson(record)).toBe(JSON.stringify(record));
    });
  }

  it('leaves out what JSON.stringify leaves out: inherited fields', () => {
    const record = Object.assign(Object.create({ inherited: 1 }) as Rec, flow);
    expect(recordJson(record)).toBe(JSON.stringify(record));
  });
});
