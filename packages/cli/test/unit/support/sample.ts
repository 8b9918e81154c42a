// The shipped sample capture, and a larger one made of it for tests that need more output than a
// pipe holds.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@fargate-mirror/testkit/cli';

export const SAMPLE = join(REPO_ROOT, 'fixtures', 'sample-mirror.pcap');

/** The sample's packets `times` times over, in one pcap (the 24-byte file header once). */
export function writeRepeatedSample(file: string, times: number): string {
  const sample = readFileSync(SAMPLE);
  const parts = [sample.subarray(0, 24)];
  for (let i = 0; i < times; i++) parts.push(sample.subarray(24));
  writeFileSync(file, Buffer.concat(parts));
  return file;
}
