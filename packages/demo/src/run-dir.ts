import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DemoError } from './errors.js';

/**
 * Creates a fresh `demo-<UTC time>` directory under `base` (owner-only: pcap files hold raw
 * payload), so runs never write into each other's files; a second run within the same second gets
 * `-2`, `-3`, ... The directory itself is created exclusively, so two concurrent runs cannot share it.
 */
export function createRunDir(base: string, now: Date = new Date()): string {
  const root = resolve(base);
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new DemoError('DEMO_OUTPUT_FAILED', `cannot create ${root}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  for (let n = 1; n < 1000; n++) {
    const dir = join(root, n === 1 ? `demo-${stamp}` : `demo-${stamp}-${n}`);
    try {
      mkdirSync(dir, { mode: 0o700 });
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new DemoError('DEMO_OUTPUT_FAILED', `cannot create ${dir}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  throw new DemoError('DEMO_OUTPUT_FAILED', `too many demo runs named demo-${stamp} in ${root}`);
}
