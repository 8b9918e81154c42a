import { PIPELINE_COUNTERS, type ReadSummary } from '@fargate-mirror/analysis';

function formatCounts(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? 'off' : entries.map(([k, v]) => `${k}=${v}`).join(', ');
}

/** The end-of-run summary of `read`, for people (`--summary-json` gives the object itself). */
export function formatReadSummary(s: ReadSummary): string {
  const malformed = Object.entries(s.malformed);
  const kind =
    s.encapsulation === 'mirror' ? 'mirror traffic, decapsulated' : 'an ordinary capture, not encapsulated';
  const lines = [`read ${s.file} (${s.format}, ${kind})`];
  // One line per counter of the data path, as its table describes it.
  for (const c of PIPELINE_COUNTERS) lines.push(`  ${c.help}: ${s[c.key]}`);
  lines.push(
    `  records written: ${s.records}`,
    `  transactions: ${formatCounts(s.transactions)}`,
    `  tcp reassembly: ${formatCounts(s.reassembly)}`,
    `  malformed: ${malformed.length === 0 ? 0 : malformed.map(([k, v]) => `${k}=${v}`).join(', ')}`,
  );
  if (s.captureStop !== null) lines.push(`  capture ended early: ${s.captureStop}`);
  return `${lines.join('\n')}\n`;
}
