import { type ReplaySummary, type ReplayTarget, replayCapture } from '@fargate-mirror/receiver';
import { Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../errors.js';
import { inputFile } from './input-file.js';
import { parseNonNegativeInt, parsePositiveInt, parsePositiveNumber } from './option-parsers.js';

interface ReplayFlags {
  to: ReplayTarget;
  geneveTo?: ReplayTarget;
  from?: string;
  rate?: number;
  speed?: number;
  loop: number;
  vni?: number;
  distinctLoops?: boolean;
  summaryJson?: boolean;
}

export function createReplayCommand(): Command {
  return new Command('replay')
    .summary("Send a capture's mirror datagrams")
    .description(
      'Send the mirror datagrams of a capture (the UDP payloads to port 4789 - VXLAN - or 6081 - GENEVE) to a ' +
        'receiver, as fast as possible unless --rate or --speed is given. Outer IP fragments are reassembled ' +
        'first. Reports what it sent on stderr. Also the load generator of the receive benchmark.',
    )
    .argument('<file>', 'pcap or pcapng of mirrored traffic', inputFile())
    .requiredOption('--to <host:port>', 'where VXLAN datagrams go', parseTarget)
    .option(
      '--geneve-to <host:port>',
      'where GENEVE datagrams go (default: the --to host, port 6081)',
      parseTarget,
    )
    .option('--from <address>', 'local address to send from (e.g. the original mirror source)')
    .option('--rate <pps>', 'datagrams per second', parsePositiveNumber)
    .option('--speed <x>', 'multiple of the capture timing (1 = as recorded)', parsePositiveNumber)
    .option('--loop <n>', 'send the capture this many times', parsePositiveInt, 1)
    .option('--vni <n>', 'rewrite every VNI to this', parseVni)
    .option(
      '--distinct-loops',
      'pass k XORs k into inner addresses (checksums kept valid): each pass gives distinct flows',
    )
    .option('--summary-json', 'print the summary as one JSON object')
    .action(async (file: string, flags: ReplayFlags) => {
      if (flags.rate !== undefined && flags.speed !== undefined) {
        throw new UsageError('USAGE_INVALID', 'give --rate or --speed, not both');
      }
      const summary = await replayCapture({
        file,
        to: flags.to,
        geneveTo: flags.geneveTo,
        from: flags.from,
        rate: flags.rate,
        speed: flags.speed,
        loops: flags.loop,
        vni: flags.vni,
        distinctLoops: flags.distinctLoops,
      });
      process.stderr.write(flags.summaryJson ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
    });
}

function parseTarget(value: string): ReplayTarget {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(value) ?? /^([^:]+):(\d+)$/.exec(value);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port < 1 || port > 65535) {
    throw new InvalidArgumentError(
      `expected HOST:PORT (IPv6 as [ADDR]:PORT) with a port from 1 to 65535, got '${value}'`,
    );
  }
  return { host: m[1], port };
}

function parseVni(value: string): number {
  const n = parseNonNegativeInt(value);
  if (n > 0xffffff) throw new InvalidArgumentError(`a VNI is 24 bits (0 to 16777215), got '${value}'`);
  return n;
}

function formatSummary(s: ReplaySummary): string {
  return (
    `replay ${s.file}: sent ${s.datagrams} datagrams (${s.bytes} bytes) in ${s.seconds.toFixed(3)} s, ` +
    `${Math.round(s.packetsPerSecond)} datagrams/s, ${s.loops} pass(es); not mirror traffic: ${s.skipped}; ` +
    `cut short by the capture: ${s.truncated}; send errors: ${s.sendErrors}\n`
  );
}
