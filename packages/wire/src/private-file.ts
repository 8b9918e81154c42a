import { fchmodSync, fstatSync } from 'node:fs';

/**
 * Tightens an open file to `mode` (owner-only for traffic and records) when that is ours to do: a
 * regular file this process owns. open() applies the umask and leaves an existing file's mode alone,
 * so a file we create or reuse is set explicitly; but a device, FIFO or socket (`--records /dev/null`,
 * a pipe to another program) or another user's file is left exactly as it is: changing /dev/null's
 * mode as root breaks every other program on the machine. Returns whether the mode was set.
 */
export function restrictOpenFile(fd: number, mode = 0o600): boolean {
  const stat = fstatSync(fd);
  if (!stat.isFile()) return false;
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) return false;
  if ((stat.mode & 0o777) !== mode) fchmodSync(fd, mode);
  return true;
}
