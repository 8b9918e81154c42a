import type { SummaryReport } from '@fargate-mirror/analysis';

type Cells = readonly string[];

/** Bytes as a person reads them: 1023 B, 1.5 KiB, 20.3 MiB. */
export function humanBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

const ms = (v: number | null): string => (v === null ? '-' : v.toFixed(3));
const percent = (v: number): string => `${(v * 100).toFixed(1)}%`;

const EDGE_HEADERS = [
  'source',
  'destination',
  'proto',
  'conns',
  'requests',
  'errors',
  '4xx',
  '5xx',
  'dns fail',
  'rst',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'bytes out',
  'bytes in',
];

function edgeRows(report: SummaryReport): Cells[] {
  return report.edges.map((e) => [
    e.source,
    e.destination,
    e.protocol,
    String(e.connections),
    String(e.requests),
    percent(e.errorRate),
    String(e.http4xx),
    String(e.http5xx),
    String(e.dnsFailures),
    String(e.tcpResets),
    ms(e.latencyMs.p50),
    ms(e.latencyMs.p95),
    ms(e.latencyMs.p99),
    humanBytes(e.bytesOut),
    humanBytes(e.bytesIn),
  ]);
}

interface Section {
  readonly title: string;
  readonly headers: Cells;
  readonly rows: readonly Cells[];
}

function sections(report: SummaryReport): Section[] {
  return [
    { title: 'Service to service', headers: EDGE_HEADERS, rows: edgeRows(report) },
    {
      title: 'Top talkers',
      headers: ['endpoint', 'bytes', 'conns'],
      rows: report.topTalkers.map((t) => [t.endpoint, humanBytes(t.bytes), String(t.connections)]),
    },
    {
      title: 'Top DNS names',
      headers: ['name', 'queries', 'failures'],
      rows: report.topDnsNames.map((d) => [d.name, String(d.queries), String(d.failures)]),
    },
    {
      title: 'TLS server names',
      headers: ['sni', 'handshakes'],
      rows: report.tlsServerNames.map((s) => [s.name, String(s.count)]),
    },
    {
      title: 'TLS versions',
      headers: ['version', 'handshakes'],
      rows: report.tlsVersions.map((s) => [s.name, String(s.count)]),
    },
  ];
}

function recordsLine(report: SummaryReport): string {
  const counts = Object.entries(report.records)
    .map(([type, n]) => `${type}=${n}`)
    .join(', ');
  const span = report.firstTime === null ? '' : `, ${report.firstTime} to ${report.lastTime}`;
  return `records: ${counts || 'none'}${span}`;
}

/** Numbers right-aligned, text left-aligned: a column is numeric when every cell starts with a digit. */
function textTable(headers: Cells, rows: readonly Cells[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => /^[\d-]/.test(r[i] ?? '')));
  const line = (cells: Cells) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function formatSummaryText(report: SummaryReport): string {
  const parts = [recordsLine(report)];
  for (const s of sections(report)) {
    if (s.rows.length === 0) continue;
    parts.push(`\n${s.title}\n${textTable(s.headers, s.rows)}`);
  }
  return `${parts.join('\n')}\n`;
}

const mdCell = (c: string): string => c.replace(/\|/g, '\\|');

export function formatSummaryMarkdown(report: SummaryReport): string {
  const parts = [recordsLine(report)];
  for (const s of sections(report)) {
    if (s.rows.length === 0) continue;
    const row = (cells: Cells) => `| ${cells.map(mdCell).join(' | ')} |`;
    parts.push(
      `\n## ${s.title}\n\n${row(s.headers)}\n|${s.headers.map(() => ' --- |').join('')}\n${s.rows.map(row).join('\n')}`,
    );
  }
  return `${parts.join('\n')}\n`;
}
