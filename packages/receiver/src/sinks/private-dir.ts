import { chmodSync, mkdirSync, statSync } from 'node:fs';

/**
 * Creates `dir` (and parents) if missing and makes it owner-only (0700): what it holds (pcap of raw
 * payload, records) may carry credentials and personal data. An existing directory we created earlier
 * is tightened too; one owned by someone else is left alone (chmod would fail anyway).
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (typeof process.getuid === 'function' && st.uid === process.getuid() && (st.mode & 0o077) !== 0) {
    chmodSync(dir, 0o700);
  }
}
