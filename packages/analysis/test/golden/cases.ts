// The captures and options whose records the golden test pins byte for byte: every fixture (real
// traffic mirrored by the kernel in the lab, as VXLAN, GENEVE, truncated and IP-fragmented), the
// host's own capture of it, and two generated captures big enough to reuse flow slots and caches
// (bench/read's replicas of the sample, with a small flow table so flows are evicted; bench/
// transactions' keep-alive HTTP). `readCapture` is passed in: the test runs the source, the
// regenerate script the build.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeReplicatedCapture } from '../../../../bench/read/make-capture.ts';
import { makeHttpCapture } from '../../../../bench/transactions/make-http-capture.ts';

export const REPO = join(import.meta.dirname, '../../../..');
export const GOLDEN_DIR = import.meta.dirname;
const FIXTURES = join(REPO, 'fixtures');

/** The options of readCapture a case uses besides `file` and `records`. */
export type CaseOptions = Record<string, unknown>;

export interface GoldenCase {
  readonly name: string;
  /** Writes the capture into `dir` (or names a fixture) and returns its path. */
  readonly capture: (dir: string) => string;
  readonly options: CaseOptions;
}

const fixture = (name: string) => () => join(FIXTURES, name);

export const GOLDEN_CASES: readonly GoldenCase[] = [
  { name: 'sample-mirror', capture: fixture('sample-mirror.pcap'), options: {} },
  {
    name: 'sample-mirror-flows-only',
    capture: fixture('sample-mirror.pcap'),
    options: { transactions: false, dedup: false },
  },
  { name: 'sample-mirror-geneve', capture: fixture('sample-mirror-geneve.pcap'), options: {} },
  { name: 'sample-mirror-trunc128', capture: fixture('sample-mirror-trunc128.pcap'), options: {} },
  { name: 'sample-mirror-frag1500', capture: fixture('sample-mirror-frag1500.pcap'), options: {} },
  { name: 'sample-task', capture: fixture('sample-task.pcap'), options: {} },
  {
    name: 'replicated-20k-small-table',
    capture: (dir) => {
      const file = join(dir, 'replicated.pcap');
      makeReplicatedCapture(join(FIXTURES, 'sample-mirror.pcap'), file, 20_000);
      return file;
    },
    options: { flows: { capacity: 64 } },
  },
  {
    name: 'http-keepalive',
    capture: (dir) => {
      const file = join(dir, 'http.pcap');
      makeHttpCapture(file, 200, 10);
      return file;
    },
    options: {},
  },
];

export const goldenFile = (c: GoldenCase) => join(GOLDEN_DIR, `${c.name}.jsonl.gz`);

/** Runs one case through `read` and returns the JSON Lines bytes it wrote. */
export function recordsOf(
  c: GoldenCase,
  dir: string,
  read: (options: { file: string; records: string } & CaseOptions) => unknown,
): Buffer {
  const records = join(dir, `${c.name}.jsonl`);
  read({ ...c.options, file: c.capture(dir), records });
  return readFileSync(records);
}
