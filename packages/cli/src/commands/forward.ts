import { type Forwarder, formatStatsLine, startForwarder } from '@fargate-mirror/forwarder';
import { Command } from 'commander';
import { parseNonNegativeInt, parsePositiveInt } from './option-parsers.js';

export function createForwardCommand(): Command {
  return new Command('forward')
    .description(
      'The sidecar: capture the traffic of this network namespace (the task ENI, found by itself) with ' +
        'tcpdump and send it to --to as AWS-format VXLAN, so receivers cannot tell it from VPC Traffic ' +
        'Mirroring. Offload super-frames are split into MSS-sized segments that fit the path MTU. Needs ' +
        'CAP_NET_RAW (in Docker and Fargate by default). Stats as one JSON line on stderr on SIGUSR1 ' +
        'and at exit; runs until SIGTERM/SIGINT.',
    )
    .requiredOption('--to <host:port>', 'where to send the VXLAN datagrams (mirror target NLB or a receiver)')
    .option(
      '--vni <n>',
      'VXLAN network identifier (default: a hash of the task ARN, else 1)',
      parseNonNegativeInt,
    )
    .option(
      '--packet-length <n>',
      'cut each mirrored frame to N bytes after the VXLAN header',
      parsePositiveInt,
    )
    .option('--filter <file>', 'mirror filter rules (JSON or YAML); default: mirror everything')
    .option(
      '--interface <name>',
      'interface to capture on (default: the one with the default route; never any)',
    )
    .option('--mtu <n>', 'path MTU for the VXLAN datagrams (default: the interface MTU)', parsePositiveInt)
    .option('--truncate-superframes', 'cut offload super-frames to fit instead of splitting them (counted)')
    .option(
      '--queue <n>',
      'datagrams in flight at most; more are dropped and counted',
      parsePositiveInt,
      1024,
    )
    .option('--source-ports <n>', 'outer UDP source ports the flows are hashed over', parsePositiveInt, 16)
    .option('--capture-buffer <kib>', 'kernel capture buffer (tcpdump -B), KiB', parsePositiveInt, 32_768)
    .option('--tcpdump <path>', 'tcpdump program', 'tcpdump')
    .option('--metadata-uri <uri>', 'ECS task metadata v4 base URI (default: $ECS_CONTAINER_METADATA_URI_V4)')
    .option('--log-level <level>', 'pino log level on stderr', 'warn')
    .action(async (opts: ForwardCommandOptions) => {
      const forwarder = await startForwarder({
        to: opts.to,
        vni: opts.vni,
        packetLength: opts.packetLength,
        filterFile: opts.filter,
        interface: opts.interface,
        mtu: opts.mtu,
        truncateSuperframes: opts.truncateSuperframes ?? false,
        queueDatagrams: opts.queue,
        sourcePorts: opts.sourcePorts,
        captureBufferKiB: opts.captureBuffer,
        tcpdump: opts.tcpdump,
        metadataUri: opts.metadataUri,
        logLevel: opts.logLevel,
      });
      const result = await runUntilSignalled(forwarder);
      process.exitCode = result === 'stopped' ? 0 : 1;
    });
}

interface ForwardCommandOptions {
  to: string;
  vni?: number;
  packetLength?: number;
  filter?: string;
  interface?: string;
  mtu?: number;
  truncateSuperframes?: boolean;
  queue: number;
  sourcePorts: number;
  captureBuffer: number;
  tcpdump: string;
  metadataUri?: string;
  logLevel: string;
}

/** SIGTERM/SIGINT stop it gracefully, SIGUSR1 prints the stats; the exit stats line is always written. */
async function runUntilSignalled(forwarder: Forwarder): Promise<string> {
  const stop = () => void forwarder.stop();
  const printStats = () => process.stderr.write(formatStatsLine(forwarder, 'sigusr1'));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGUSR1', printStats);
  try {
    const result = await forwarder.done;
    process.stderr.write(formatStatsLine(forwarder, `exit:${result.reason}`, result.stats));
    if (result.error) process.stderr.write(`fargate-mirror: forward: ${result.error.message}\n`);
    else if (result.reason === 'capture-ended') {
      process.stderr.write(
        `fargate-mirror: forward: tcpdump ended on its own: ${result.captureExit.stderr}\n`,
      );
    }
    return result.reason;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    process.off('SIGUSR1', printStats);
  }
}
