// TypeScript wrappers for the scapy capture rewriters (truncate.py, geneve.py, fragment.py).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './proc.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Debian's python with python3-scapy; the python3 on PATH may be another one. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

async function rewrite(script: string, args: string[]): Promise<Record<string, number>> {
  // -B: no __pycache__ left in the source tree.
  const { stdout } = await run(SYSTEM_PYTHON, ['-B', join(HERE, script), ...args], { timeoutMs: 300_000 });
  const counts: Record<string, number> = {};
  for (const m of stdout.matchAll(/(\w+)=(\d+)/g)) counts[m[1]] = Number(m[2]);
  return counts;
}

/** Cuts every inner frame to `keep` bytes after the VXLAN header, outer lengths rewritten (AWS PacketLength). */
export async function truncateCapture(input: string, output: string, keep = 128) {
  const c = await rewrite('truncate.py', [input, output, String(keep)]);
  return { truncated: c.truncated, copied: c.copied };
}

/** Wraps each mirrored IP/UDP/VXLAN packet in GENEVE over UDP 6081 with AWS GWLB options. */
export async function wrapInGeneve(input: string, output: string) {
  const c = await rewrite('geneve.py', [input, output]);
  return { wrapped: c.wrapped, copied: c.copied };
}

/** IP-fragments each VXLAN datagram above `mtu` (IPv4 or IPv6), fragments in `order`. */
export async function fragmentCapture(
  input: string,
  output: string,
  opts: { mtu?: number; order?: 'forward' | 'reverse' } = {},
) {
  const c = await rewrite('fragment.py', [input, output, String(opts.mtu ?? 1500), opts.order ?? 'forward']);
  return { fragmented: c.fragmented, fragments: c.fragments, copied: c.copied };
}
