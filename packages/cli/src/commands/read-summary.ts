import type { ReadSummary } from '@fargate-mirror/analysis';

function formatCounts(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? 'off' : entries.map(([k, v]) => `${k}=${v}`).join(', ');
}

/** The end-of-run summary of `read`, for people (`--summary-json` gives the object itself). */
export function formatReadSummary(s: ReadSummary): string {
  const malformed = Object.entries(s.malformed);
  const lines = [
    `read ${s.file} (${s.format}, ${s.encapsulation === 'mirror' ? 'mirror traffic, decapsulated' : 'an ordinary capture, not encapsulated'}): ${s.packets} packets, ${s.bytes} bytes`,
    `  mirrored: ${s.mirroredPackets} packets, ${s.mirroredIpBytes} IP bytes; truncated: ${s.truncated}`,
    `  flows: ${s.flows}; records written: ${s.records}; duplicates removed (seen at two mirror points): ${s.duplicates}`,
    `  non-VXLAN: ${s.notMirror}; inner non-IP: ${s.innerNotIp}; outer fragments: ${s.outerFragments} (reassembled ${s.reassembled})`,
    `  transactions: ${formatCounts(s.transactions)}`,
    `  tcp reassembly: ${formatCounts(s.reassembly)}`,
    `  malformed: ${malformed.length === 0 ? 0 : malformed.map(([k, v]) => `${k}=${v}`).join(', ')}`,
  ];
  if (s.captureStop !== null) lines.push(`  capture ended early: ${s.captureStop}`);
  return `${lines.join('\n')}\n`;
}
