// docker/forwarder/Dockerfile, built where no Docker engine exists: Debian's buildah (vfs storage in
// the test's own directory, chroot isolation) from a local debian:bookworm-slim made by mmdebstrap
// (nothing can be pulled here), with the inputs `build-forwarder-image.sh --stage-only` stages. The
// image must carry what the daemon-less build's image carries, from the same recipe
// (docker/forwarder/image-recipe.sh): the container definition's entrypoint and user, Node, the
// bundle, fm-capture, cap_net_raw on tcpdump and fm-capture, the forwarder user, and the dpkg purge.
// The traffic check of image.test.ts runs on this image too: FARGATE_MIRROR_IMAGE_ARCHIVE=<the
// archive `buildah push` writes> npx vitest run packages/forwarder/test/lab/image.test.ts.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@fargate-mirror/testkit/proc';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIDECAR_ENTRYPOINT, SIDECAR_USER } from '../../src/index.ts';

const REPO = join(import.meta.dirname, '..', '..', '..', '..');
const DOCKER_DIR = join(REPO, 'docker', 'forwarder');
const MIRROR = process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
/** What the recipe purges in both builds, and the Docker build's extras. */
const PURGED = ['perl-base', 'debconf', 'bash', 'coreutils', 'findutils', 'util-linux', 'tar', 'grep', 'sed'];
const PURGED_IN_DOCKER_ONLY = ['libcap2-bin', 'apt'];

interface OciConfig {
  config: { User: string; Entrypoint: string[] };
}

let work: string;
let rootfs: string;
let config: OciConfig;

/** buildah with its store in the test's directory, so nothing of the machine's own is touched. */
function buildah(args: readonly string[], timeoutMs = 300_000) {
  return run(
    'buildah',
    ['--root', join(work, 'store'), '--runroot', join(work, 'run'), '--storage-driver', 'vfs', ...args],
    { timeoutMs },
  );
}

beforeAll(async () => {
  requireRootAndTools(['buildah', 'mmdebstrap', 'skopeo', 'umoci', 'getcap', 'strip']);
  work = mkdtempSync(join(tmpdir(), 'fm-dockerfile-'));
  // The Dockerfile's base, made here: Debian's minbase is what debian:bookworm-slim is built from.
  const base = join(work, 'bookworm-slim.tar');
  await run(
    'mmdebstrap',
    [
      '--quiet',
      '--mode=root',
      '--aptopt=APT::Sandbox::User "root"',
      '--variant=minbase',
      '--format=tar',
      'bookworm',
      base,
      MIRROR,
    ],
    { timeoutMs: 900_000 },
  );
  const container = (await buildah(['from', 'scratch'])).stdout.trim();
  await buildah(['add', container, base, '/']);
  await buildah(['commit', '--quiet', container, 'docker.io/library/debian:bookworm-slim']);
  await buildah(['rm', container]);
  rmSync(base);
  // The build context: the Dockerfile and its recipe, and the staged Node, bundle and native sources.
  const context = join(work, 'context');
  await run(join(REPO, 'scripts', 'build-forwarder-image.sh'), ['--stage-only', '--out', context], {
    timeoutMs: 600_000,
  });
  for (const file of ['Dockerfile', 'image-recipe.sh'])
    copyFileSync(join(DOCKER_DIR, file), join(context, file));
  await buildah(
    ['bud', '--isolation', 'chroot', '--pull=never', '-t', 'fargate-mirror-forwarder:dockerfile', context],
    1_800_000,
  );
  const archive = join(work, 'fargate-mirror-forwarder.docker.tar');
  await buildah(
    ['push', '--quiet', 'fargate-mirror-forwarder:dockerfile', `docker-archive:${archive}`],
    900_000,
  );
  const layout = `${join(work, 'oci')}:test`;
  // Some 300 MB uncompressed: minutes on a loaded machine.
  await run('skopeo', ['copy', '--quiet', `docker-archive:${archive}`, `oci:${layout}`], {
    timeoutMs: 900_000,
  });
  const inspected = await run('skopeo', ['inspect', '--config', `oci:${layout}`]);
  config = JSON.parse(inspected.stdout) as OciConfig;
  await run('umoci', ['unpack', '--image', layout, join(work, 'bundle')], { timeoutMs: 900_000 });
  rootfs = join(work, 'bundle', 'rootfs');
}, 3_600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Packages dpkg's database lists as installed in the image. */
function installedPackages(): Set<string> {
  const status = readFileSync(join(rootfs, 'var', 'lib', 'dpkg', 'status'), 'utf8');
  const installed = new Set<string>();
  for (const stanza of status.split('\n\n')) {
    const name = /^Package: (\S+)$/m.exec(stanza)?.[1];
    if (name !== undefined && /^Status: install ok installed$/m.test(stanza)) installed.add(name);
  }
  return installed;
}

describe('docker/forwarder/Dockerfile built by buildah', () => {
  it("has the container definition's entrypoint and user", () => {
    expect(config.config.Entrypoint).toEqual([...SIDECAR_ENTRYPOINT]);
    expect(config.config.User).toBe(SIDECAR_USER);
  });

  it('carries Node, the bundle, fm-capture and the forwarder user, cap_net_raw on tcpdump and fm-capture', async () => {
    for (const file of ['usr/local/bin/node', 'opt/fargate-mirror/forward.mjs', 'usr/bin/tini']) {
      expect(existsSync(join(rootfs, file)), file).toBe(true);
    }
    for (const program of ['usr/bin/tcpdump', 'opt/fargate-mirror/native/fm-capture']) {
      const caps = await run('getcap', [join(rootfs, program)]);
      expect(caps.stdout, program).toMatch(/cap_net_raw[=+]eip/);
    }
    expect(readFileSync(join(rootfs, 'etc', 'passwd'), 'utf8')).toMatch(
      /^forwarder:x:10001:10001:fargate-mirror forwarder:\/nonexistent:\/usr\/sbin\/nologin$/m,
    );
  });

  it("is purged as the daemon-less build's image is, apt and libcap2-bin too; tcpdump, tini, dash and dpkg stay", () => {
    const installed = installedPackages();
    for (const name of [...PURGED, ...PURGED_IN_DOCKER_ONLY]) expect(installed.has(name), name).toBe(false);
    for (const name of ['tcpdump', 'tini', 'dash', 'dpkg', 'libpcap0.8'])
      expect(installed.has(name), name).toBe(true);
    expect(existsSync(join(rootfs, 'usr', 'bin', 'bash'))).toBe(false);
  });
});
