// What a process loads: importing the receiver, and `read` of a capture, never load the AWS SDK
// (it is loaded on the first AWS call of workload identity, and only then).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN } from '@fargate-mirror/testkit/cli';
import { modulesLoadedBy, npmPackagesOf } from '@fargate-mirror/testkit/module-trace';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, requireBuiltCli } from '../helpers/receive-support.ts';

const awsSdk = (packages: Set<string>) => [...packages].filter((p) => p.startsWith('@aws-sdk/'));

describe('module loading', () => {
  const work = mkdtempSync(join(tmpdir(), 'fm-modules-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('importing the receiver loads no AWS SDK module', async () => {
    const urls = await modulesLoadedBy([
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(join(REPO, 'packages/receiver/dist/index.js'))});`,
    ]);
    const packages = npmPackagesOf(urls);
    expect(packages.has('pino')).toBe(true); // the trace really sees npm packages
    expect(awsSdk(packages)).toEqual([]);
  });

  it('read of a capture loads no AWS SDK module', async () => {
    requireBuiltCli();
    const urls = await modulesLoadedBy([
      CLI_BIN,
      'read',
      join(REPO, 'fixtures/sample-mirror.pcap'),
      '--records',
      join(work, 'records.jsonl'),
      '--summary-json',
    ]);
    expect(urls.some((u) => u.includes('/packages/analysis/dist/'))).toBe(true);
    expect(awsSdk(npmPackagesOf(urls))).toEqual([]);
  });
});
