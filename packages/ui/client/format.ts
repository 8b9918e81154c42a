/** 1536 -> "1.5 KiB": binary units, as the CLI prints sizes. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatMs(n: number | null): string {
  return n === null ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(0);
}

export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.01 ? 2 : 1)}%`;
}

/** A table cell holding text (never markup: records carry text from the mirrored traffic). */
export function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className !== undefined) td.className = className;
  return td;
}

/** Error-rate colour shared by the map and the table: green below 5%, amber below 25%, red above. */
export function errorColour(ratio: number): string {
  return ratio >= 0.25 ? '#d2453b' : ratio >= 0.05 ? '#d8a21a' : '#2e9d57';
}
