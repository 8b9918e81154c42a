import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SummaryReport } from './summary-report.js';
import { TrafficSummary, type TrafficSummaryOptions } from './traffic-summary.js';

/**
 * The JSON Lines files under `path`: the file itself, or every `*.jsonl` below a directory (a demo
 * run, a receiver's records directory with rotated files), in name order.
 */
export function recordFilesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.jsonl')) files.push(full);
    }
  };
  walk(path);
  return files;
}

/** Streams the records of `files` (JSON Lines) into one summary; lines that are not JSON count as malformed. */
export async function summarizeRecordFiles(
  files: readonly string[],
  options: TrafficSummaryOptions = {},
): Promise<SummaryReport> {
  const summary = new TrafficSummary(options);
  for (const file of files) {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        summary.addMalformed();
        continue;
      }
      summary.add(value);
    }
  }
  return summary.report();
}
