import { DEFAULT_REDACTED_QUERY_PARAMETERS, type ReadSummary, readCapture } from '@fargate-mirror/receiver';
import { Command, Option } from 'commander';
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
    .option('--summary-json', 'print the summary on stderr as one JSON object')
    .action((file: string, opts: ReadCommandOptions) => {
      const records = opts.records ?? (opts.pcapOut === undefined ? '-' : undefined);
      const summary = readCapture({
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
                redaction: opts.redactQuery !== undefined ? { queryParameters: opts.redactQuery } : undefined,
                captureHeaders: opts.captureHeaders,
              },
      });
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
}

function formatCounts(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? 'off' : entries.map(([k, v]) => `${k}=${v}`).join(', ');
}

function formatSummary(s: ReadSummary): string {
  const malformed = Object.entries(s.malformed);
  const lines = [
    `read ${s.file} (${s.format}): ${s.packets} packets, ${s.bytes} bytes`,
    `  mirrored: ${s.mirroredPackets} packets, ${s.mirroredIpBytes} IP bytes; truncated: ${s.truncated}`,
    `  flows: ${s.flows}; records written: ${s.records}`,
    `  non-VXLAN: ${s.notMirror}; inner non-IP: ${s.innerNotIp}; outer fragments: ${s.outerFragments} (reassembled ${s.reassembled})`,
    `  transactions: ${formatCounts(s.transactions)}`,
    `  tcp reassembly: ${formatCounts(s.reassembly)}`,
    `  malformed: ${malformed.length === 0 ? 0 : malformed.map(([k, v]) => `${k}=${v}`).join(', ')}`,
  ];
  if (s.captureStop !== null) lines.push(`  capture ended early: ${s.captureStop}`);
  return `${lines.join('\n')}\n`;
}
