import { statSync } from 'node:fs';
import {
  readCapture,
  recordFilesUnder,
  type SummaryReport,
  summarizeRecordFiles,
  TrafficSummary,
} from '@fargate-mirror/analysis';
import { ocsfParquetFilesUnder, readOcsfSummaryRecords } from '@fargate-mirror/ocsf';
import { CaptureFormatError, CaptureReader } from '@fargate-mirror/wire';
import { Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../errors.js';
import { parsePositiveInt } from './option-parsers.js';
import { formatSummaryMarkdown, formatSummaryText } from './summary-format.js';

/** Whether `file` is a capture (pcap, pcapng), as the reader `read` uses decides. */
function isCapture(file: string): boolean {
  try {
    CaptureReader.open(file).close();
    return true;
  } catch (error) {
    if (error instanceof CaptureFormatError) return false;
    throw error;
  }
}

function existingPath(value: string): string {
  try {
    statSync(value);
  } catch {
    throw new InvalidArgumentError(`no such file or directory: ${value}`);
  }
  return value;
}

/** OCSF Parquet (`read --ocsf-parquet DIR`): the same table from where the mapping put each field. */
function summarizeOcsfParquet(files: readonly string[], top: number): SummaryReport {
  const summary = new TrafficSummary({ top });
  for (const file of files) for (const record of readOcsfSummaryRecords(file)) summary.add(record);
  return summary.report();
}

async function summarize(path: string, top: number): Promise<SummaryReport> {
  const parquet =
    path.endsWith('.parquet') || statSync(path).isDirectory() ? ocsfParquetFilesUnder(path) : [];
  const files = path.endsWith('.parquet') ? [] : recordFilesUnder(path);
  if (parquet.length > 0 && files.length > 0) {
    // `read --records r/x.jsonl --ocsf-parquet r/` puts the same records there twice.
    throw new UsageError(
      'USAGE_INVALID',
      `${path} holds both JSON Lines (*.jsonl) and OCSF Parquet (*.parquet) files, likely the same records twice: give the folder of one of them`,
    );
  }
  if (parquet.length > 0) return summarizeOcsfParquet(parquet, top);
  if (files.length === 0) {
    throw new UsageError(
      'USAGE_INVALID',
      `${path} holds no records (*.jsonl or OCSF *.parquet files): give a records file, a lake folder or a capture`,
    );
  }
  if (files.length === 1 && files[0] === path && isCapture(path)) {
    // A capture: analysed in memory through the same pipeline as `read`, no records file written.
    const summary = new TrafficSummary({ top });
    readCapture({ file: path, recordSinks: [(r) => summary.add(r)] });
    return summary.report();
  }
  return summarizeRecordFiles(files, { top });
}

export function createSummaryCommand(): Command {
  return new Command('summary')
    .summary('Who talks to whom: requests, errors, latency')
    .description(
      "Summarise records (a JSON Lines file, or a directory of them such as a demo run or a receiver's " +
        'records directory; or the OCSF Parquet of read --ocsf-parquet) or a capture: for each source, destination and protocol the connections, ' +
        'requests, error rate (HTTP 4xx/5xx, DNS failures, TCP resets), latency percentiles (request start ' +
        'to response end, nearest rank) and bytes each way; then the top talkers, DNS names, TLS server ' +
        'names and versions.',
    )
    .argument(
      '<path>',
      'records file, directory of *.jsonl files, OCSF Parquet file or folder, or a capture',
      existingPath,
    )
    .addOption(
      new Option('--format <format>', 'text on a terminal, json for machines, markdown for reports')
        .choices(['text', 'json', 'markdown'])
        .default('text'),
    )
    .addOption(new Option('--json', 'the same as --format json').conflicts('format'))
    .addOption(new Option('--markdown', 'the same as --format markdown').conflicts(['format', 'json']))
    .option('--top <n>', 'length of the top lists', parsePositiveInt, 10)
    .action(async (path: string, opts: SummaryOptions) => {
      const report = await summarize(path, opts.top);
      const format = opts.json ? 'json' : opts.markdown ? 'markdown' : opts.format;
      process.stdout.write(
        format === 'json'
          ? `${JSON.stringify(report, null, 2)}\n`
          : format === 'markdown'
            ? formatSummaryMarkdown(report)
            : formatSummaryText(report),
      );
    });
}

interface SummaryOptions {
  format: 'text' | 'json' | 'markdown';
  json?: boolean;
  markdown?: boolean;
  top: number;
}
