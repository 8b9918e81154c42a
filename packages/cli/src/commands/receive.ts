import {
  LOG_LEVELS,
  Receiver,
  type ReceiverConfigInput,
  type ReceiverInfo,
  type ReceiverSummary,
  readConfigFile,
  resolveReceiverConfig,
} from '@fargate-mirror/receiver';
import { Command, Option } from 'commander';
import { createAnnouncer } from '../cli/announcer.js';
import { createLogger, defaultLogFormat, type LogFormat, parseLogFormat } from '../cli/log-format.js';
import { type AwsFlags, applyAwsFlags, checkAwsConfig } from './aws-config.js';
import { inputFile } from './input-file.js';
import { parsePortOrZero } from './option-parsers.js';
import {
  addDedupOptions,
  addHecOptions,
  addIdentityOptions,
  addTransactionOptions,
} from './shared-options.js';

interface ReceiveFlags extends AwsFlags {
  config?: string;
  vxlanPort?: number;
  port?: number;
  genevePort?: number;
  bind?: string;
  workers?: string;
  intake?: string;
  captureInterface?: string;
  recvBuffer?: string;
  pcapDir?: string;
  records?: string;
  outDir?: string;
  rotateMb?: string;
  rotateSeconds?: string;
  pcapMaxTotal?: string;
  pcapPerVni?: boolean;
  recordsRotateSize?: string;
  recordsRotateSeconds?: string;
  recordsMaxTotal?: string;
  healthPort?: number;
  healthBind?: string;
  allowSources?: string;
  ui?: boolean;
  uiPort?: number;
  drainSeconds?: string;
  logLevel?: string;
  logFormat?: LogFormat;
  dedupWindowMs?: number;
  addressDomain?: 'global' | 'vni';
  dedup?: boolean;
  transactions?: boolean;
  redactQuery?: string[];
  captureHeaders?: string[];
  identityMap?: string;
  awsIdentity?: boolean;
  hecUrl?: string;
  hecTokenFile?: string;
  hecIndex?: string;
  hecAck?: boolean;
  hecSpoolDir?: string;
  ocsfParquet?: string;
  s3Bucket?: string;
  s3Prefix?: string;
  s3Endpoint?: string;
}

export function createReceiveCommand(): Command {
  const command = new Command('receive')
    .summary('Receive mirrored traffic live')
    .description(
      'Receive mirrored traffic live: VXLAN on UDP 4789 and GENEVE from a Gateway Load Balancer on UDP 6081, ' +
        'through the same pipeline as `read`. Writes decapsulated pcap (rotated, bounded on disk) and JSON ' +
        'Lines records - by default both under ./fargate-mirror-out/ - and serves /healthz and /metrics. ' +
        'Runs until SIGTERM/SIGINT, then fails /healthz for --drain-seconds, stops reading, ends open flows ' +
        'and closes every file. Every option can also be set in --config FILE (JSON or YAML, same names in ' +
        'camelCase, e.g. genevePort, recvBuffer, flows.udpIdleSeconds); flags win over the file.',
    )
    .option('--config <file>', 'JSON or YAML file with any of the options below and more', inputFile())
    .option('--vxlan-port <port>', 'UDP port for VXLAN; 0 picks a free one (default: 4789)', parsePortOrZero)
    // The name this option had before `read` and `receive` shared their names; kept for scripts.
    .addOption(new Option('--port <port>').argParser(parsePortOrZero).hideHelp().conflicts('vxlanPort'))
    .option(
      '--geneve-port <port>',
      'UDP port for GENEVE from a GWLB endpoint; 0 disables (default: 6081)',
      parsePortOrZero,
    )
    .option('--bind <address>', 'address to receive on; :: is dual-stack IPv6+IPv4 (default ::)')
    .option('--workers <n>', 'worker threads, each with its own sockets on the ports (default 1)')
    .option(
      '--intake <native|js|auto|afpacket>',
      'how workers read the sockets: native (recvmmsg addon), js (dgram), auto (native when built; default), afpacket (packet ring on --capture-interface)',
    )
    .option(
      '--capture-interface <name>',
      'with --intake afpacket: the interface the mirror traffic arrives on (e.g. ens5); needs CAP_NET_RAW',
    )
    .option(
      '--recv-buffer <size>',
      'socket receive buffer, e.g. 32MiB; capped by net.core.rmem_max (default 32MiB)',
    )
    .option('--pcap-dir <dir>', 'write decapsulated pcap here (raw payload: owner-only files)')
    .option('--records <file|->', 'write JSON Lines records here (- for stdout)')
    .option(
      '--out-dir <dir>',
      'where both go when neither --pcap-dir nor --records is given (default fargate-mirror-out)',
    )
    .option('--rotate-mb <mib>', 'complete a pcap file at this size (default 100)')
    .option('--rotate-seconds <s>', 'complete a pcap file at this age (default 300)')
    .option(
      '--pcap-max-total <size>',
      'remove the oldest pcap files beyond this total, e.g. 10GiB (default 10GiB)',
    )
    .option('--pcap-per-vni', 'one pcap file series per VNI (mirror session)')
    .option(
      '--records-rotate-size <size>',
      'complete the records file at this size, e.g. 100MiB (default 100MiB); SIGHUP reopens it',
    )
    .option('--records-rotate-seconds <s>', 'complete the records file at this age (default 3600)')
    .option(
      '--records-max-total <size>',
      'remove the oldest completed records files beyond this total (default 10GiB)',
    )
    .option(
      '--health-port <port>',
      'HTTP port of /healthz and /metrics; 0 picks one (default: 9180)',
      parsePortOrZero,
    )
    .option(
      '--health-bind <address>',
      'address of the /healthz and /metrics server, e.g. a management interface (default ::)',
    )
    .option(
      '--allow-sources <cidrs>',
      'accept mirror datagrams only from these CIDRs, comma-separated (e.g. 10.0.0.0/16); others are counted and dropped',
    )
    .option(
      '--ui',
      'serve the live page (service map, table, transactions, health) under /ui/ on the health port',
    )
    .option(
      '--ui-port <port>',
      'serve the live page on a port of its own, on the health address; 0 picks one',
      parsePortOrZero,
    )
    .option('--drain-seconds <s>', 'on SIGTERM, fail /healthz this long before stopping (default 5)')
    .addOption(
      new Option('--log-level <level>', 'pino log level on stderr (default: warn)').choices([...LOG_LEVELS]),
    )
    .addOption(
      new Option('--log-format <format>', 'text or json (default: text on a terminal, else json)').argParser(
        parseLogFormat,
      ),
    )
    .addOption(
      new Option('--address-domain <domain>', 'flow key address space (default global)').choices([
        'global',
        'vni',
      ]),
    );
  addTransactionOptions(command);
  addDedupOptions(command);
  addIdentityOptions(command);
  addHecOptions(command, '<out-dir>/hec-spool');
  command
    .option(
      '--ocsf-parquet <dir>',
      'also write records as OCSF 1.8 Parquet, partitioned <class>/region=/accountId=/eventDay=/ (config: ocsf)',
    )
    .option(
      '--s3-bucket <bucket>',
      'upload completed pcap and OCSF Parquet files to this S3 bucket (config: s3)',
    )
    .option('--s3-prefix <prefix>', "prefix of every S3 key, e.g. 'team/' (default: none)")
    .option('--s3-endpoint <url>', 'an S3-compatible endpoint (path-style), e.g. aws-local');
  return command.action(async (flags: ReceiveFlags) => {
    const fromFile = flags.config !== undefined ? readConfigFile(flags.config) : {};
    // The flag, else the file's logFormat, else text on a terminal: workers log in the same format.
    const logFormat =
      flags.logFormat ?? (fromFile['logFormat'] === undefined ? defaultLogFormat() : undefined);
    const config = resolveReceiverConfig(
      fromFile,
      { ...toConfig(flags), logFormat },
      flags.config ? `options (--config ${flags.config} and flags)` : 'options',
    );
    if (config.identity.aws) {
      applyAwsFlags(flags);
      checkAwsConfig();
    }
    const format = config.logFormat;
    const announce = createAnnouncer('receive', format);
    const receiver = new Receiver(config, createLogger(config.logLevel, format), command.parent?.version());
    const info = await receiver.start();
    // Handlers first, ready line second: whoever waits for the line may signal at once.
    // SIGHUP reopens the records file (after logrotate moved it) instead of ending the process.
    const reopen = () => void receiver.reopenOutputs();
    process.on('SIGHUP', reopen);
    const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    announce('ready', { ...info }, formatReady(info));
    const signal = await stopSignal;
    // A second SIGINT (Ctrl-C twice) abandons the flush; repeated SIGTERMs (orchestrators) do not.
    const force = () => {
      announce('exiting without flushing', { signal: 'SIGINT' }, 'SIGINT again: exiting without flushing');
      process.exit(1);
    };
    const repeated = () => announce('already stopping', {}, 'already stopping');
    process.on('SIGINT', force);
    process.on('SIGTERM', repeated);
    announce(
      'draining',
      { signal, drainSeconds: config.drainSeconds },
      `${signal}: draining for ${config.drainSeconds} s, then stopping`,
    );
    const summary = await receiver.stop();
    announce('stopped', { ...summary }, formatSummary(summary));
    process.removeListener('SIGINT', force);
    process.removeListener('SIGTERM', repeated);
    process.removeListener('SIGHUP', reopen);
  });
}

/** Flags in config terms: numbers parsed here, everything validated (and named) by the config schema. */
function toConfig(f: ReceiveFlags): Partial<ReceiverConfigInput> {
  const num = (v: string | undefined) =>
    v === undefined ? undefined : v.trim() === '' ? Number.NaN : Number(v);
  const size = (v: string | undefined) => (v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : v);
  return {
    port: f.port ?? f.vxlanPort,
    genevePort: f.genevePort,
    bind: f.bind,
    workers: num(f.workers),
    intake: f.intake as ReceiverConfigInput['intake'],
    captureInterface: f.captureInterface,
    recvBuffer: size(f.recvBuffer),
    pcapDir: f.pcapDir,
    records: f.records,
    outDir: f.outDir,
    rotateMb: num(f.rotateMb),
    rotateSeconds: num(f.rotateSeconds),
    pcapMaxTotal: size(f.pcapMaxTotal),
    pcapPerVni: f.pcapPerVni,
    healthPort: f.healthPort,
    healthBind: f.healthBind,
    allowSources: f.allowSources?.split(',').map((c) => c.trim()),
    recordsRotation: definedOnly({
      rotateBytes: size(f.recordsRotateSize),
      rotateSeconds: num(f.recordsRotateSeconds),
      maxTotal: size(f.recordsMaxTotal),
    }),
    ui: f.uiPort ?? (f.ui === true ? true : undefined),
    drainSeconds: num(f.drainSeconds),
    logLevel: f.logLevel as ReceiverConfigInput['logLevel'],
    addressDomain: f.addressDomain,
    // Nested sections only with the keys given, so they merge with (never blank out) the file's.
    transactions: definedOnly({
      enabled: f.transactions === false ? false : undefined,
      redactQuery: f.redactQuery,
      captureHeaders: f.captureHeaders,
    }),
    dedup: definedOnly({
      enabled: f.dedup === false ? false : undefined,
      windowMs: f.dedupWindowMs,
    }),
    identity: definedOnly({ map: f.identityMap, aws: f.awsIdentity }),
    hec: definedOnly({
      url: f.hecUrl,
      tokenFile: f.hecTokenFile,
      index: f.hecIndex,
      ack: f.hecAck,
      spoolDir: f.hecSpoolDir,
    }),
    ocsf: definedOnly({ dir: f.ocsfParquet }) as ReceiverConfigInput['ocsf'],
    s3: definedOnly({
      bucket: f.s3Bucket,
      prefix: f.s3Prefix,
      endpoint: f.s3Endpoint,
    }) as ReceiverConfigInput['s3'],
  };
}

function definedOnly<T extends Record<string, unknown>>(o: T): Partial<T> | undefined {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as Partial<T>);
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function formatReady(info: ReceiverInfo): string {
  const parts = [
    `vxlan udp ${hostPort(info.bind, info.port)}`,
    info.genevePort === 0 ? 'geneve off' : `geneve udp ${hostPort(info.bind, info.genevePort)}`,
    `health http port ${info.healthPort}`,
    `workers ${info.workers}`,
    info.captureInterface === undefined
      ? `intake ${info.intake}`
      : `intake ${info.intake} on ${info.captureInterface}`,
    `pcap ${info.outputs.pcapDir ?? 'off'}`,
    `records ${info.outputs.records ?? 'off'}`,
  ];
  if (info.hecUrl !== undefined) parts.push(`hec ${info.hecUrl}`);
  if (info.uiUrl !== undefined) parts.push(`ui ${info.uiUrl}`);
  return `ready: ${parts.join(', ')}`;
}

function formatSummary(s: ReceiverSummary): string {
  const t = s.totals;
  const malformed = Object.entries(t.malformed);
  return (
    `stopped: ${t.datagrams} datagrams, ${t.mirrored} mirrored packets, ` +
    `${t.flowsEnded} flows, ${s.recordsWritten} records written (${s.recordsDropped} dropped), ` +
    `kernel drops ${s.kernelDrops}, handoffs ${t.handoffsOut}, worker restarts ${s.workerRestarts}, ` +
    `malformed ${malformed.length === 0 ? 0 : malformed.map(([k, v]) => `${k}=${v}`).join(' ')}, ` +
    `duplicates removed ${t.duplicates}` +
    (s.hec === undefined
      ? ''
      : `, hec delivered ${s.hec.eventsDelivered} events (${s.hec.backlogEvents} still spooled, ${s.hec.eventsDropped} dropped, ` +
        `${s.hec.eventsRejected} rejected, ${s.hec.retries} retries, ${s.hec.permanentErrors} configuration errors)`)
  );
}
