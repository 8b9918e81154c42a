import { DEFAULT_REDACTED_QUERY_PARAMETERS } from '@fargate-mirror/analysis';
import type { Command } from 'commander';
import { inputFile } from './input-file.js';
import { parseList, parsePositiveNumber } from './option-parsers.js';

// Options `read` and `receive` share, written once so the two commands give the same things the same
// names, words and checks.

/** Transaction records: on or off, which query parameters are redacted, which headers are kept. */
export function addTransactionOptions(command: Command): Command {
  return command
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
    );
}

/** De-duplication of packets seen at two mirror points. */
export function addDedupOptions(command: Command): Command {
  return command
    .option('--no-dedup', 'count copies of a packet seen at two mirror points twice (no de-duplication)')
    .option(
      '--dedup-window-ms <ms>',
      'a copy from another mirror point within this long is the same packet (default: 50)',
      parsePositiveNumber,
    );
}

/** Workload identity: a map file, or EC2/ECS with its region and endpoint. */
export function addIdentityOptions(command: Command): Command {
  return command
    .option(
      '--identity-map <file>',
      'JSON/YAML map of IPs and mirror points to ECS workloads (offline identity)',
      inputFile(),
    )
    .option(
      '--aws-identity',
      'name ECS workloads through EC2/ECS (SDK default configuration; AWS_ENDPOINT_URL is honoured)',
    )
    .option('--region <region>', 'AWS region for --aws-identity (default: AWS_REGION, else ~/.aws/config)')
    .option(
      '--endpoint-url <url>',
      'EC2/ECS endpoint for --aws-identity, e.g. aws-local (default: AWS_ENDPOINT_URL)',
    );
}

/** Splunk HEC output: where, with which token, into which index, acknowledged or not. */
export function addHecOptions(command: Command, spoolDefault: string): Command {
  return command
    .option(
      '--hec-url <url>',
      'send records to Splunk HEC (token from FARGATE_MIRROR_HEC_TOKEN or --hec-token-file)',
    )
    .option('--hec-token-file <file>', 'file whose first line is the HEC token', inputFile())
    .option('--hec-index <index>', 'Splunk index for the events (default: the token default)')
    .option('--hec-ack', 'use indexer acknowledgement (a batch leaves the spool only once acknowledged)')
    .option('--hec-spool-dir <dir>', `spool directory of unsent batches (default: ${spoolDefault})`);
}
