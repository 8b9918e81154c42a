/** A plain text table: columns padded to their widest cell, no colours, safe to pipe. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** The last path segment of an ARN (`.../task/shop/abc` -> `abc`), for narrow tables. */
export function shortArn(arn: string | undefined): string {
  if (!arn) return '-';
  return arn.slice(arn.lastIndexOf('/') + 1);
}
