// A small tmpfs mounted under a temp directory: a real full disk (ENOSPC from the kernel) for the
// reliability tests. Unmounted and removed by `unmount`, which the tests call in `finally`, and in
// any case when the test ends: a test that times out never reaches its `finally`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@fargate-mirror/testkit/proc';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { onTestFinished } from 'vitest';

export interface SmallDisk {
  readonly path: string;
  unmount(): Promise<void>;
}

/** Mounts a tmpfs of `size` (mount(8) syntax, e.g. `256k`), optionally with few inodes. Needs root. */
export async function mountSmallDisk(size: string, inodes?: number): Promise<SmallDisk> {
  requireRootAndTools(['mount', 'umount']);
  const path = mkdtempSync(join(tmpdir(), 'fm-small-disk-'));
  const opts = [`size=${size}`, 'mode=0700', ...(inodes === undefined ? [] : [`nr_inodes=${inodes}`])];
  const r = await run('mount', ['-t', 'tmpfs', '-o', opts.join(','), 'fm-small-disk', path]);
  if (r.code !== 0) throw new Error(`cannot mount a tmpfs at ${path}: ${r.stderr}`);
  let mounted = true;
  const unmount = async () => {
    if (!mounted) return;
    mounted = false;
    await run('umount', [path], { allowFailure: true });
    rmSync(path, { recursive: true, force: true });
  };
  try {
    onTestFinished(unmount);
  } catch {
    // mounted from a hook: the hook's teardown unmounts it
  }
  return { path, unmount };
}

/** Writes `name` until the file system is full (the last write fails with ENOSPC). */
export function fillDisk(path: string, name = 'filler'): void {
  const chunk = Buffer.alloc(4096, 0x55);
  const file = join(path, name);
  writeFileSync(file, '');
  for (;;) {
    try {
      writeFileSync(file, chunk, { flag: 'a' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw error;
    }
  }
}
