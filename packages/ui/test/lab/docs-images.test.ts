// The deployment diagram in docs/images is the one scripts/deployment-diagram.mjs draws from today's
// `cdk synth` of the example app (both variants): drawn again into a temporary directory, the SVG is
// byte for byte the committed one, and the PNG chromium rendered from it is a PNG of the SVG's size.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@fargate-mirror/testkit/proc';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/chromium.ts';

describe('the deployment diagram', () => {
  const out = mkdtempSync(join(tmpdir(), 'fm-diagram-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('is what the script draws from the synthesized app, and is committed as drawn', async () => {
    const r = await run(process.execPath, [join(REPO, 'scripts/deployment-diagram.mjs'), '--out', out], {
      timeoutMs: 600_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const svg = readFileSync(join(out, 'deployment.svg'), 'utf8');
    // The boxes name the app's resources; a box with no resource behind it fails the script itself.
    for (const part of ['EventBridge', 'Lambda', 'SQS', 'NLB', 'GWLB', 'Receiver fleet', 'sidecar']) {
      expect(svg).toContain(part);
    }
    expect(svg, 'docs/images/deployment.svg is stale: run node scripts/deployment-diagram.mjs').toBe(
      readFileSync(join(REPO, 'docs/images/deployment.svg'), 'utf8'),
    );
    const png = readFileSync(join(out, 'deployment.png'));
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    const size = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg) as RegExpExecArray;
    expect([width, height]).toEqual([Number(size[1]), Number(size[2])]);
  }, 600_000);
});
