import type { EdgeSummary } from '@fargate-mirror/analysis';
import { cell, errorColour, formatBytes, formatCount, formatMs, formatPercent } from './format.js';

/** The table `fargate-mirror summary` prints, one row per (source, destination, protocol). */
export function renderSummaryTable(
  body: HTMLTableSectionElement,
  edges: readonly EdgeSummary[],
  total: number,
): void {
  const rows = edges.map((e) => {
    const tr = document.createElement('tr');
    const errors = e.http4xx + e.http5xx + e.dnsFailures + (e.requests === 0 ? e.tcpResets : 0);
    const rate = cell(formatPercent(e.errorRate), 'num');
    rate.style.color = errorColour(e.errorRate);
    tr.append(
      cell(e.source),
      cell(e.destination),
      cell(e.protocol),
      cell(formatCount(e.connections), 'num'),
      cell(formatCount(e.requests), 'num'),
      cell(formatCount(errors), 'num'),
      rate,
      cell(formatMs(e.latencyMs.p50), 'num'),
      cell(formatMs(e.latencyMs.p95), 'num'),
      cell(formatMs(e.latencyMs.p99), 'num'),
      cell(formatBytes(e.bytesOut), 'num'),
      cell(formatBytes(e.bytesIn), 'num'),
    );
    return tr;
  });
  if (total > edges.length) {
    const tr = document.createElement('tr');
    const td = cell(
      `${total - edges.length} quieter rows not shown (fargate-mirror summary prints them all)`,
    );
    td.colSpan = 12;
    tr.append(td);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}
