import { DEFAULT_REDACTED_QUERY_PARAMETERS, type ReadSummary, readCapture } from '@fargate-mirror/analysis';
import { HecSink, resolveHecToken, startWorkloadIdentity } from '@fargate-mirror/receiver';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseList, parsePositiveInt } from './option-parsers.js';

export function createReadCommand(): Command {
  return new Command('read')
    .description(
      'Read a capture (pcap or pcapng) of mirrored traffic - outer Ethernet/IP/UDP 4789/VXLAN, or GENEVE 6081\n' +
        'from a Gateway Load Balancer - through the same pipeline as `receive`. Outer IP fragments are\n' +
        'reassembled as the kernel would. A summary goes to stderr.',
    )
    .argument('<file>', 'capture file, or - for standard input')
    .option(
      '--records <file|->',
      'write JSON Lines records here (- for stdout); default: stdout when no --pcap-out',
    )
    .option(
      '--pcap-out <file>',
      'write the decapsulated inner frames as pcap (raw payload: treat it as sensitive)',
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
    .option('--vxlan-port <port>', 'UDP port of VXLAN in the capture', parsePositiveInt, 4789)
    .option('--geneve-port <port>', 'UDP port of GENEVE in the capture', parsePositiveInt, 6081)
    .option('--no-transactions', 'flow records only: no TCP reassembly, no HTTP/DNS/TLS records')
    .option(
      '--redact-query <names>',
      `comma-separated query parameter names whose values are replaced by REDACTED (replaces the default: ${DEFAULT_REDACTED_QUERY_PARAMETERS.join(',')})`,
      parseList,
    )
    .option(
      '--capture-headers <names>',
      'comma-separated HTTP header names copied into http records (secrets redacted)',
      parseList,
    )
    .option('--no-dedup', 'count copies of a packet seen at two mirror points twice (no de-duplication)')
    .option(
      '--dedup-window-ms <ms>',
      'a copy from another mirror point within this long is the same packet (default 50)',
      parsePositiveNumber,
    )
    .option(
      '--identity-map <file>',
      'JSON/YAML map of IPs and mirror points to ECS workloads (offline identity)',
    )
    .option(
      '--aws-identity',
      'name ECS workloads through EC2/ECS (SDK default configuration; AWS_ENDPOINT_URL is honoured)',
    )
    .option(
      '--identity-clusters <names>',
      'clusters whose tasks are mapped (default every cluster)',
      parseList,
    )
    .option(
      '--hec-url <url>',
      `send records to Splunk HEC (token from ${'FARGATE_MIRROR_HEC_TOKEN'} or --hec-token-file)`,
    )
    .option('--hec-token-file <file>', 'file whose first line is the HEC token')
    .option('--hec-index <index>', 'Splunk index for the events (default: the token default)')
    .option('--hec-ack', 'use indexer acknowledgement (a batch leaves the spool only once acknowledged)')
    .option(
      '--hec-spool-dir <dir>',
      'spool directory of unsent batches (default fargate-mirror-out/hec-spool)',
    )
    .option(
      '--hec-drain-seconds <s>',
      'wait this long for delivery before exiting; the rest stays spooled (default 60)',
      parsePositiveNumber,
    )
    .option('--summary-json', 'print the summary on stderr as one JSON object')
    .action(async (file: string, opts: ReadCommandOptions) => {
      const records =
        opts.records ?? (opts.pcapOut === undefined && opts.hecUrl === undefined ? '-' : undefined);
      const identity = await startWorkloadIdentity({
        mapFile: opts.identityMap,
        aws: opts.awsIdentity,
        clusters: opts.identityClusters,
        onError: (error, what) =>
          process.stderr.write(`fargate-mirror read: ${what} failed: ${(error as Error).message}\n`),
      });
      const hec =
        opts.hecUrl === undefined
          ? undefined
          : HecSink.open({
              url: opts.hecUrl,
              token: resolveHecToken({ tokenFile: opts.hecTokenFile }),
              index: opts.hecIndex,
              ack: opts.hecAck === true,
              spoolDir: opts.hecSpoolDir ?? 'fargate-mirror-out/hec-spool',
              log: stderrLog,
            });
      let summary: ReadSummary;
      try {
        summary = readCapture({
          file,
          records,
          pcapOut: opts.pcapOut,
          addressDomain: opts.addressDomain,
          flows: { capacity: opts.flowCapacity },
          vxlanPort: opts.vxlanPort,
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
          recordSinks: hec === undefined ? [] : [(r) => hec.writeRecord(r)],
        });
      } finally {
        identity?.close();
        await hec?.close((opts.hecDrainSeconds ?? 60) * 1000);
      }
      if (hec !== undefined) {
        const h = hec.stats;
        process.stderr.write(
          `  hec: ${h.eventsDelivered} events delivered, ${hec.backlogEvents} still spooled, ${h.eventsDropped} dropped, ${h.eventsRejected} rejected, ${h.retries} retries, ${h.permanentErrors} configuration errors\n`,
        );
      }
      process.stderr.write(opts.summaryJson ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
    });
}

interface ReadCommandOptions {
  records?: string;
  pcapOut?: string;
  addressDomain: 'global' | 'vni';
  flowCapacity: number;
  vxlanPort: number;
  genevePort: number;
  summaryJson?: boolean;
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

function parsePositiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a number above 0, got '${value}'`);
  return n;
}

/** HEC sink problems as one line each on stderr. */
const stderrLog = {
  info: (_: object, msg: string) => process.stderr.write(`fargate-mirror read: ${msg}\n`),
  warn: (_: object, msg: string) => process.stderr.write(`fargate-mirror read: ${msg}\n`),
  error: (_: object, msg: string) => process.stderr.write(`fargate-mirror read: ${msg}\n`),
};

function formatCounts(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? 'off' : entries.map(([k, v]) => `${k}=${v}`).join(', ');
}

function formatSummary(s: ReadSummary): string {
  const malformed = Object.entries(s.malformed);
  const lines = [
    `read ${s.file} (${s.format}): ${s.packets} packets, ${s.bytes} bytes`,
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
