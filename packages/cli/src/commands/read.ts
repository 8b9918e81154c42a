import {
  type ReadCaptureOptions,
  type ReadSummary,
  type RecordSink,
  readCapture,
  readCaptureInWorkers,
} from '@fargate-mirror/analysis';
import type { OcsfParquetSink } from '@fargate-mirror/ocsf';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CliRuntimeError, UsageError } from '../errors.js';
import { type AwsFlags, applyAwsFlags, checkAwsConfig, withAwsFix } from './aws-config.js';
import { hecFailure, hecStatsLine } from './hec-outcome.js';
import { inputFile } from './input-file.js';
import {
  parseList,
  parsePort,
  parsePortOrZero,
  parsePositiveInt,
  parsePositiveNumber,
} from './option-parsers.js';
import { formatReadSummary } from './read-summary.js';
import {
  addDedupOptions,
  addHecOptions,
  addIdentityOptions,
  addTransactionOptions,
} from './shared-options.js';
import { pcapOutPath } from './stdout-pcap.js';

export function createReadCommand(): Command {
  const command = new Command('read')
    .summary('Read a mirrored capture into records and pcap')
    .description(
      'Read a capture (pcap or pcapng) of mirrored traffic - outer Ethernet/IP/UDP 4789/VXLAN, or GENEVE 6081 ' +
        'from a Gateway Load Balancer - through the same pipeline as `receive`. Outer IP fragments are ' +
        'reassembled as the kernel would. A summary goes to stderr.',
    )
    .argument('<file>', 'capture file, or - for standard input', inputFile({ stdin: true }))
    .option(
      '--records <file|->',
      'write JSON Lines records here, - for stdout (default: stdout when there is no --pcap-out, --hec-url or --ocsf-parquet)',
    )
    .option(
      '--ocsf-parquet <dir>',
      'also write the records as OCSF 1.8 events in Parquet (zstd), one file per class and 5-minute window, under DIR/<class>/region=R/accountId=A/eventDay=YYYYMMDD/',
    )
    .option(
      '--ocsf-region <region>',
      'cloud.region (and region= partition) of records whose workload is unknown (default: AWS_REGION, else unknown)',
    )
    .option(
      '--ocsf-account-id <id>',
      'cloud.account.uid (and accountId= partition) of records whose workload is unknown (default: unknown)',
      parseAccountId,
    )
    .option(
      '--pcap-out <file|->',
      'write the decapsulated inner frames as pcap, - for stdout (raw payload: treat it as sensitive)',
    )
    .option(
      '--dedup-pcap <file>',
      'write the decapsulated frames without the second copies de-duplication removed (both ends mirrored): what Wireshark should see, without false retransmissions (raw payload)',
    )
    .addOption(
      new Option(
        '--encapsulation <kind>',
        'mirror: decapsulate VXLAN/GENEVE; none: an ordinary capture (tcpdump on a host, --pcap-out) analysed as it is; auto: mirror when one of the first packets is mirror traffic',
      )
        .choices(['auto', 'mirror', 'none'])
        .default('auto'),
    )
    .addOption(
      new Option('--address-domain <domain>', 'flow key address space')
        .choices(['global', 'vni'])
        .default('global'),
    )
    .option(
      '--flow-capacity <n>',
      'concurrent flows held before the oldest is evicted',
      parsePositiveInt,
      262_144,
    )
    .option('--vxlan-port <port>', 'UDP port of VXLAN in the capture', parsePort, 4789)
    // The name `receive` used for the same thing, kept so that one command line works for both.
    .addOption(new Option('--port <port>').argParser(parsePort).hideHelp().conflicts('vxlanPort'))
    .option('--geneve-port <port>', 'UDP port of GENEVE in the capture; 0 disables', parsePortOrZero, 6081);
  addTransactionOptions(command);
  addDedupOptions(command);
  addIdentityOptions(command).option(
    '--identity-clusters <names>',
    'clusters whose tasks are mapped (default: every cluster)',
    parseList,
  );
  addHecOptions(command, 'fargate-mirror-out/hec-spool');
  return command
    .option(
      '--hec-drain-seconds <s>',
      'wait this long for delivery before exiting; the rest stays spooled (default: 60)',
      parsePositiveNumber,
    )
    .option(
      '--workers <n>',
      'analyse in N threads, each owning a share of the flows (records: the same, in another order; ' +
        'not with --pcap-out, --dedup-pcap, --hec-url, --ocsf-parquet or workload identity)',
      parsePositiveInt,
      1,
    )
    .option('--summary-json', 'print the summary on stderr as one JSON object')
    .action(async (file: string, opts: ReadCommandOptions, self: Command) => {
      if (opts.workers > 1) checkWorkersOptions(opts);
      const records =
        opts.records ??
        (opts.pcapOut === undefined && opts.hecUrl === undefined && opts.ocsfParquet === undefined
          ? '-'
          : undefined);
      const pcapOut = pcapOutPath(opts.pcapOut, records === '-');
      if (opts.awsIdentity) {
        applyAwsFlags(opts);
        checkAwsConfig();
      }
      // The receiver package (HEC, workload identity; the AWS SDK behind it) takes longer to load than
      // a small capture takes to read: loaded only when asked for.
      const receiver =
        opts.hecUrl !== undefined || opts.identityMap !== undefined || opts.awsIdentity === true
          ? await import('@fargate-mirror/receiver')
          : undefined;
      const identity = await receiver?.startWorkloadIdentity({
        mapFile: opts.identityMap,
        aws: opts.awsIdentity,
        clusters: opts.identityClusters,
        onError: (error, what) =>
          process.stderr.write(`fargate-mirror read: ${what} failed: ${withAwsFix(error)}\n`),
      });
      const hec =
        opts.hecUrl === undefined || receiver === undefined
          ? undefined
          : receiver.HecSink.open({
              url: opts.hecUrl,
              token: receiver.resolveHecToken({ tokenFile: opts.hecTokenFile }),
              index: opts.hecIndex,
              ack: opts.hecAck === true,
              spoolDir: opts.hecSpoolDir ?? 'fargate-mirror-out/hec-spool',
              log: stderrLog,
            });
      const ocsf =
        opts.ocsfParquet === undefined
          ? undefined
          : new (await loadOcsf()).OcsfParquetSink({
              dir: opts.ocsfParquet,
              productVersion: self.parent?.version() ?? 'unknown',
              region: opts.ocsfRegion ?? process.env.AWS_REGION,
              accountId: opts.ocsfAccountId,
              // Windows are written as the capture's time passes them, so memory holds a few windows,
              // not the whole capture: a flow is reported up to its idle timeout (300 s) after its
              // last packet, plus a minute.
              eventTimeGraceSeconds: 360,
            });
      const sinks: RecordSink[] = [];
      if (hec !== undefined) sinks.push((r) => hec.writeRecord(r));
      if (ocsf !== undefined)
        sinks.push((r) => {
          try {
            ocsf.write(r);
          } catch (error) {
            // A file not written is held and tried again at the next window; close says what was lost.
            process.stderr.write(`fargate-mirror read: ${(error as Error).message}\n`);
          }
        });
      let summary: ReadSummary;
      try {
        const readOptions: ReadCaptureOptions = {
          file,
          records,
          pcapOut,
          dedupPcapOut: opts.dedupPcap,
          encapsulation: opts.encapsulation,
          addressDomain: opts.addressDomain,
          flows: { capacity: opts.flowCapacity },
          vxlanPort: opts.port ?? opts.vxlanPort,
          genevePort: opts.genevePort,
          transactions:
            opts.transactions === false
              ? false
              : {
                  redaction:
                    opts.redactQuery !== undefined ? { queryParameters: opts.redactQuery } : undefined,
                  captureHeaders: opts.captureHeaders,
                },
          dedup: opts.dedup === false ? false : { windowMs: opts.dedupWindowMs },
          enrich: identity?.enrich,
          recordSinks: sinks,
        };
        summary =
          opts.workers > 1 ? await readCaptureInWorkers(readOptions, opts.workers) : readCapture(readOptions);
        ocsf?.close();
      } finally {
        identity?.close();
        await hec?.close((opts.hecDrainSeconds ?? 60) * 1000);
      }
      if (hec !== undefined) process.stderr.write(hecStatsLine(hec));
      if (ocsf !== undefined) process.stderr.write(ocsfStatsLine(ocsf, opts.ocsfParquet ?? ''));
      process.stderr.write(opts.summaryJson ? `${JSON.stringify(summary)}\n` : formatReadSummary(summary));
      // The records went to the file, but not everywhere they were asked to go: not a success.
      const failure = hec === undefined ? undefined : hecFailure(hec, opts.hecUrl ?? '');
      if (failure !== undefined) throw failure;
    });
}

interface ReadCommandOptions extends AwsFlags {
  records?: string;
  ocsfParquet?: string;
  ocsfRegion?: string;
  ocsfAccountId?: string;
  pcapOut?: string;
  dedupPcap?: string;
  encapsulation: 'auto' | 'mirror' | 'none';
  addressDomain: 'global' | 'vni';
  flowCapacity: number;
  vxlanPort: number;
  port?: number;
  genevePort: number;
  summaryJson?: boolean;
  workers: number;
  transactions: boolean;
  redactQuery?: string[];
  captureHeaders?: string[];
  dedup: boolean;
  dedupWindowMs?: number;
  identityMap?: string;
  awsIdentity?: boolean;
  identityClusters?: string[];
  hecUrl?: string;
  hecTokenFile?: string;
  hecIndex?: string;
  hecAck?: boolean;
  hecSpoolDir?: string;
  hecDrainSeconds?: number;
}

/** The outputs one pipeline writes in capture order, or in its own thread: not with --workers. */
function checkWorkersOptions(opts: ReadCommandOptions): void {
  const single: [boolean, string][] = [
    [opts.pcapOut !== undefined, '--pcap-out'],
    [opts.dedupPcap !== undefined, '--dedup-pcap'],
    [opts.hecUrl !== undefined, '--hec-url'],
    [opts.ocsfParquet !== undefined, '--ocsf-parquet'],
    [opts.identityMap !== undefined, '--identity-map'],
    [opts.awsIdentity === true, '--aws-identity'],
  ];
  const asked = single.filter(([given]) => given).map(([, name]) => name);
  if (asked.length > 0) {
    throw new UsageError(
      'USAGE_INVALID',
      `--workers ${opts.workers} cannot be combined with ${asked.join(', ')}: those outputs are written by one pipeline (leave out --workers, or the option)`,
    );
  }
}

/**
 * The OCSF Parquet writer, loaded only when asked for: it brings WebAssembly (parquet-wasm) that a
 * single-file bundle (the CDK receiver asset) does not carry, and every other command must start
 * without it.
 */
async function loadOcsf(): Promise<typeof import('@fargate-mirror/ocsf')> {
  try {
    return await import('@fargate-mirror/ocsf');
  } catch (error) {
    throw new CliRuntimeError(
      'OUTPUT_FAILED',
      `--ocsf-parquet: the OCSF Parquet writer cannot be loaded in this build (${(error as Error).message}); run the npm-installed fargate-mirror`,
      { cause: error },
    );
  }
}

function parseAccountId(value: string): string {
  if (!/^\d{12}$/.test(value))
    throw new InvalidArgumentError(`expected a 12-digit AWS account id, got '${value}'`);
  return value;
}

/** The OCSF Parquet outcome as one line; records that could not be mapped name the last reason. */
function ocsfStatsLine(sink: OcsfParquetSink, dir: string): string {
  const s = sink.stats;
  const failed = s.failed === 0 ? '' : `, ${s.failed} not written (last: ${s.lastError})`;
  return `fargate-mirror read: OCSF Parquet: ${s.records} records in ${s.files} files (${s.bytes} bytes) under ${dir}${failed}\n`;
}

/** HEC sink problems as one line each on stderr. */
const stderrLog = {
  info: (_: object, msg: string) => process.stderr.write(`fargate-mirror read: ${msg}\n`),
  warn: (_: object, msg: string) => process.stderr.write(`fargate-mirror read: ${msg}\n`),
  error: (_: object, msg: string) => process.stderr.write(`fargate-mirror read: ${msg}\n`),
};
