import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfigFile, parseConfigText } from '../../src/config.js';
import { ConfigInvalidError } from '../../src/errors.js';

const base = 'owner: shop-prod\ntarget: tmt-0123456789abcdef0\nfilter: tmf-0123456789abcdef0\n';

function issuesOf(text: string): string[] {
  try {
    parseConfigText(text, 'c.yaml');
  } catch (error) {
    if (error instanceof ConfigInvalidError) return [...error.issues];
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('config', () => {
  it('reads the docs/design.md example with defaults', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fm-config-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'c.yaml');
    await writeFile(
      file,
      `${base}select:\n  clusters: [shop]\n  services: [web]\n  launchTypes: [FARGATE, EC2]\nvni: random\npacketLength: 128\n`,
    );
    const c = await loadConfigFile(file);
    expect(c).toMatchObject({
      owner: 'shop-prod',
      targetId: 'tmt-0123456789abcdef0',
      filterId: 'tmf-0123456789abcdef0',
      selection: { clusters: ['shop'], services: ['web'], launchTypes: ['FARGATE', 'EC2'] },
      vni: { kind: 'random' },
      sessionNumber: { kind: 'highest-free' },
      packetLength: 128,
      mirrorContainerInstances: true,
      accountSessionQuota: 10000,
    });
  });

  it('accepts JSON, per-service VNIs with a map, a fixed session number and excludes', () => {
    const c = parseConfigText(
      JSON.stringify({
        owner: 'o',
        target: 'tmt-1',
        filter: 'tmf-1',
        vni: 'per-service',
        vniByService: { web: 7 },
        sessionNumber: 100,
        select: { exclude: { taskTags: { mirror: 'off' } } },
      }),
      'c.json',
    );
    expect(c.vni).toEqual({ kind: 'per-service', map: { web: 7 } });
    expect(c.sessionNumber).toEqual({ kind: 'fixed', number: 100 });
    expect(c.selection.exclude?.taskTags).toEqual({ mirror: 'off' });
  });

  it('names every bad key in one error', () => {
    const issues = issuesOf(
      'owner: ""\ntarget: eni-123\nfilter: tmf-1\nvni: 0\npacketLength: 20\nsessionNumber: lowest\nselect:\n  clusterz: [a]\n  launchTypes: [LAMBDA]\n',
    );
    const text = issues.join('\n');
    expect(text).toContain('c.yaml: owner:');
    expect(text).toContain('c.yaml: target: must be a traffic mirror target id (tmt-...)');
    expect(text).toContain('c.yaml: vni: must be "random", "per-service" or a number 1-16777215');
    expect(text).toContain('c.yaml: packetLength: must be at least 35');
    expect(text).toContain(
      'c.yaml: sessionNumber: must be "highest-free", "lowest-free" or a fixed number 1-32766',
    );
    expect(text).toContain('c.yaml: select.clusterz: unknown key');
    expect(text).toContain('c.yaml: select.launchTypes[0]:');
  });

  it('rejects a missing file and non-mapping content with clear codes', async () => {
    await expect(loadConfigFile('/nonexistent/c.yaml')).rejects.toMatchObject({ code: 'CONFIG_UNREADABLE' });
    expect(() => parseConfigText('- a\n- b\n', 'list.yaml')).toThrow(/expected a mapping/);
    expect(() => parseConfigText(`${base}vniByService: {web: 1}\n`, 'c.yaml')).toThrow(
      /vniByService: only used with vni: per-service/,
    );
  });
});
