// tshark (Wireshark's dissectors) as the independent judge of what the forwarder produces.
import { run } from '@fargate-mirror/testkit/proc';

/** Checksum validation on: a status of 1 is Good, 0 Bad, 2 Unverified. */
const CHECKS = [
  '-o',
  'ip.check_checksum:TRUE',
  '-o',
  'tcp.check_checksum:TRUE',
  '-o',
  'udp.check_checksum:TRUE',
];

/**
 * One row per frame with the given fields; a field present several times (outer and inner headers)
 * comes back as its occurrences joined by ','. Reassembly is off: every frame stands for itself.
 */
export async function tsharkRows(
  pcap: string,
  fields: readonly string[],
  opts: { filter?: string; extra?: readonly string[] } = {},
): Promise<Record<string, string>[]> {
  const args = ['-r', pcap, '-n', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', ...CHECKS];
  args.push(
    '-o',
    'tcp.desegment_tcp_streams:FALSE',
    '-o',
    'ip.defragment:FALSE',
    '-o',
    'ipv6.defragment:FALSE',
  );
  args.push('-o', 'tcp.analyze_sequence_numbers:FALSE', ...(opts.extra ?? []));
  if (opts.filter) args.push('-Y', opts.filter);
  for (const f of fields) args.push('-e', f);
  const { stdout } = await run('tshark', args, { timeoutMs: 120_000 });
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const cols = line.split('\t');
      return Object.fromEntries(fields.map((f, i) => [f, cols[i] ?? '']));
    });
}
