import { isIP } from 'node:net';
import { z } from 'zod';
import { parseCidr } from '../live/source-allow-list.js';
import { LOG_FORMATS } from '../logging/stderr-logger.js';
import { formatByteSize, parseByteSize } from './byte-size.js';

const port = (what: string) =>
  z
    .number({ error: `expected a UDP/TCP port number for ${what}` })
    .int('expected a whole number')
    .min(0, 'expected a port from 0 to 65535')
    .max(65535, 'expected a port from 0 to 65535');

const byteSize = (min: number) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const n = parseByteSize(value);
    if (Number.isNaN(n)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a byte size such as 33554432, "32MiB" or "1GiB", got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    if (n < min) {
      ctx.addIssue({
        code: 'custom',
        message: `expected at least ${formatByteSize(min)}, got ${formatByteSize(n)}`,
      });
      return z.NEVER;
    }
    return n;
  });

const positiveInt = () => z.number().int('expected a whole number').min(1, 'expected a whole number >= 1');
const nonNegative = () => z.number().min(0, 'expected a number >= 0');
const ipAddress = z.string().refine((s) => isIP(s) !== 0, { message: 'expected an IPv4 or IPv6 address' });

const cidr = z.string().superRefine((s, ctx) => {
  try {
    parseCidr(s);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const flowsSchema = z.strictObject({
  /** Concurrent flows per worker before the least recently seen is evicted. */
  capacity: positiveInt().default(262_144),
  tcpIdleSeconds: nonNegative().default(300),
  udpIdleSeconds: nonNegative().default(60),
  closeLingerSeconds: nonNegative().default(5),
  /**
   * A flow still open after this long emits an interim record (`flow_end_reason: "active_timeout"`,
   * counters since the previous record: IPFIX's active timeout) and goes on: what a crash can lose of
   * an open flow is bounded by it. `read` keeps the analysis default (1800 s).
   */
  activeTimeoutSeconds: z.number().positive('expected a number of seconds above 0').default(60),
});

const healthSchema = z.strictObject({
  /** How often the checks run. */
  intervalMs: z.number().int().min(50, 'expected at least 50 ms').default(1000),
  /** Consecutive failing checks before /healthz turns 503 (one burst does not flap it). */
  unhealthyAfter: positiveInt().default(2),
  /** Consecutive passing checks before /healthz is 200 again. */
  healthyAfter: positiveInt().default(3),
  /** Records waiting to be written beyond this mean the records sink cannot keep up. */
  recordsBacklogLimit: byteSize(1).default(32 * 1024 * 1024),
  /** Free space below this share of a sink's file system is unhealthy. */
  minDiskFreePercent: z.number().min(0).max(100, 'expected a percentage from 0 to 100').default(5),
});

const dedupSchema = z.strictObject({
  /** Count a packet seen at two mirror points (both ends mirrored) once. */
  enabled: z.boolean().default(true),
  /** A copy from another mirror point within this long is the same packet. */
  windowMs: z.number().min(0, 'expected a number of ms >= 0').default(50),
  /** Packets remembered at once per worker. */
  capacity: positiveInt().default(65_536),
});

const transactionsSchema = z.strictObject({
  /** HTTP, DNS and TLS transaction records (TCP reassembly included); false: flow records only. */
  enabled: z.boolean().default(true),
  /** Query parameters whose values are replaced by REDACTED; omitted = the default list. */
  redactQuery: z.array(z.string().min(1)).optional(),
  /** HTTP headers copied into http records (secret ones redacted). */
  captureHeaders: z.array(z.string().min(1)).optional(),
});

const identitySchema = z.strictObject({
  /** JSON/YAML map of IPs and mirror points to ECS workloads (offline identity). */
  map: z.string().min(1).optional(),
  /** Resolve workloads through EC2/ECS with the SDK default configuration (AWS_ENDPOINT_URL honoured). */
  aws: z.boolean().default(false),
  /** Clusters whose tasks are mapped; omitted = every cluster. */
  clusters: z.array(z.string().min(1)).optional(),
  refreshSeconds: z.number().positive().default(60),
  ttlSeconds: z.number().positive().default(300),
  negativeTtlSeconds: z.number().positive().default(60),
  /**
   * Tasks, ENIs and sessions that disappeared keep naming records this long: a flow's record is written
   * up to a flow timeout after its last packet (flows.tcpIdleSeconds), when its task may be gone.
   */
  graceSeconds: nonNegative().default(600),
});

/** `http://user:pass@host` is refused: the credentials would end up in logs and in clear on the wire. */
function urlWithoutCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username === '' && u.password === '';
  } catch {
    return true; // the .url() check reports it
  }
}

const hecSchema = z.strictObject({
  /** Splunk HEC base URL, e.g. https://splunk.example.com:8088; omitted = no HEC sink. */
  url: z
    .string()
    .url('expected a URL such as https://splunk.example.com:8088')
    .refine(
      urlWithoutCredentials,
      'must not carry credentials (user:password@host): they would be logged and sent in clear; give the HEC token with FARGATE_MIRROR_HEC_TOKEN or hec.tokenFile',
    )
    .optional(),
  /** Prefer FARGATE_MIRROR_HEC_TOKEN or tokenFile: a token here sits in a file in clear. */
  token: z.string().min(1).optional(),
  tokenFile: z.string().min(1).optional(),
  index: z.string().min(1).optional(),
  source: z.string().min(1).default('fargate-mirror'),
  /** Indexer acknowledgement (a batch leaves the spool only once acknowledged). */
  ack: z.boolean().default(false),
  /** Spool of unsent batches; default <outDir>/hec-spool. */
  spoolDir: z.string().min(1).optional(),
  maxSpoolBytes: byteSize(1024).default(1024 ** 3),
  /** While the spool's disk refuses writes (full), batches wait in memory up to this much, then the oldest are dropped. */
  maxMemoryBytes: byteSize(1024).default(64 * 1024 ** 2),
  /** Free space the spool leaves on its file system for the other outputs. */
  spoolReserveBytes: byteSize(0).default(1024 ** 2),
  /** Uncompressed bytes per request (Splunk max_content_length). */
  maxBatchBytes: byteSize(1024).default(1_000_000),
  flushMs: z.number().int().min(10).default(1000),
  retryBaseMs: z.number().int().min(1).default(500),
  retryMaxMs: z.number().int().min(1).default(30_000),
  permanentRetryMs: z.number().int().min(1).default(60_000),
  ackPollMs: z.number().int().min(10).default(1000),
  ackTimeoutSeconds: z.number().positive().default(300),
  requestTimeoutMs: z.number().int().min(100).default(30_000),
  /** On stop, delivery goes on this long; what is left stays spooled for the next start. */
  drainSeconds: nonNegative().default(10),
  /** Spool share at which back-pressure is reported, and at which /healthz fails. */
  backpressureRatio: z.number().min(0).max(1).default(0.5),
  unhealthyRatio: z.number().min(0).max(1).default(0.9),
});

const recordsRotationSchema = z
  .strictObject({
    /** false: one growing file (as before rotation existed). */
    enabled: z.boolean().default(true),
    /** The live file is completed before a write would take it past this size... */
    rotateBytes: byteSize(4096).default(100 * 1024 ** 2),
    /** ...or once it is this old, whichever comes first. */
    rotateSeconds: z.number().positive('expected a number of seconds above 0').default(3600),
    /** Completed files beyond this total (the live file counted) are removed, oldest first. */
    maxTotal: byteSize(8192).default(10 * 1024 ** 3),
  })
  .refine((r) => r.maxTotal >= 2 * r.rotateBytes, {
    message: 'maxTotal must be at least twice rotateBytes (the live file and one completed file)',
    path: ['maxTotal'],
  });

const cloudwatchSchema = z.strictObject({
  /** Embedded metric format lines go to this file (for the CloudWatch agent to ship); omitted: none. */
  emfFile: z.string().min(1).optional(),
  intervalSeconds: z.number().min(1, 'expected at least 1 second').default(60),
  namespace: z.string().min(1).default('FargateMirror/Receiver'),
  /** The `Fleet` dimension: the same on every receiver of a fleet (its alarms watch it). */
  fleet: z.string().min(1).default('fargate-mirror'),
});

const ocsfSchema = z.strictObject({
  /** Root of the partitioned files: `<class>/region=…/accountId=…/eventDay=YYYYMMDD/*.parquet`. */
  dir: z.string().min(1),
  /** `cloud.region` (and the partition) of records whose workload identity names none; default AWS_REGION. */
  region: z.string().min(1).optional(),
  /** `cloud.account.uid` of records whose workload identity names none. */
  accountId: z.string().min(1).optional(),
  /** A file is completed once its Arrow data (uncompressed) reaches this size... */
  rotateBytes: byteSize(64 * 1024).default(128 * 1024 ** 2),
  /** ...and when its event-time window (Security Lake: 5 minutes) is over. */
  windowSeconds: z.number().int('expected a whole number of seconds').min(1).default(300),
  /** A window is written this long after it ended (records of flows still open arrive late). */
  graceSeconds: nonNegative().default(30),
  rowGroupRecords: positiveInt().default(16_384),
});

/** `s3://bucket/prefix/` into its bucket and key prefix (the prefix ending in `/`, or empty). */
function parseS3Location(location: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(location);
  if (m === null) return undefined;
  const prefix = m[2] ?? '';
  return { bucket: m[1], prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
}

/**
 * One Security Lake custom source: its provider location (CreateCustomLogSource's
 * `source.provider.location`, or bucket + prefix) and the provider role the receiver assumes, with
 * the external id the role's trust policy demands.
 */
const securityLakeDestinationSchema = z
  .strictObject({
    /** `s3://aws-security-data-lake-REGION-xxx/ext/SOURCE/` (or bucket and prefix). */
    location: z.string().optional(),
    bucket: z.string().min(3, 'expected an S3 bucket name').optional(),
    prefix: z.string().optional(),
    roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'expected an IAM role ARN'),
    externalId: z.string().min(2, 'expected the external id of the provider role').max(1224),
    /** Default: the s3 section's region. */
    region: z.string().min(1).optional(),
  })
  .transform((d, ctx) => {
    const at =
      d.location !== undefined
        ? parseS3Location(d.location)
        : d.bucket !== undefined
          ? parseS3Location(`s3://${d.bucket}/${d.prefix ?? ''}`)
          : undefined;
    if (at === undefined || (d.location !== undefined && d.bucket !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected either location (s3://bucket/prefix/) or bucket and prefix',
      });
      return z.NEVER;
    }
    return {
      bucket: at.bucket,
      prefix: at.prefix,
      roleArn: d.roleArn,
      externalId: d.externalId,
      region: d.region,
    };
  });

const securityLakeSchema = z.strictObject({
  /** Per OCSF class folder: where Security Lake wants that class's objects (region=/accountId=/eventDay=/ below). */
  destinations: z.partialRecord(
    z.enum(['network_activity', 'http_activity', 'dns_activity']),
    securityLakeDestinationSchema,
  ),
  /** An STS endpoint of its own (aws-local); default: the SDK's regional STS. */
  stsEndpoint: z.string().url('expected a URL such as http://127.0.0.1:4566').optional(),
  /** Lifetime asked of each assumed-role session (the SDK refreshes it before it expires). */
  sessionSeconds: z.number().int().min(900).max(43_200).default(3600),
});

const s3Schema = z
  .strictObject({
    bucket: z.string().min(3, 'expected an S3 bucket name'),
    /** Prepended to every key as given (`team/` gives `team/ocsf/...`). */
    prefix: z.string().default(''),
    /** Default: the SDK's (AWS_REGION, the profile, IMDS). */
    region: z.string().min(1).optional(),
    /** An S3-compatible endpoint, e.g. aws-local's http://127.0.0.1:PORT (path-style requests). */
    endpoint: z.string().url('expected a URL such as http://127.0.0.1:4566').optional(),
    /** Remove the local file once S3 has it; false keeps it (a journal then remembers what was sent). */
    deleteAfterUpload: z.boolean().default(true),
    uploadPcap: z.boolean().default(true),
    uploadOcsf: z.boolean().default(true),
    /** Uploads in flight at once. */
    concurrency: positiveInt().max(16).default(2),
    /** Files above this go up as multipart uploads in parts of this size (S3's minimum: 5 MiB). */
    partBytes: byteSize(5 * 1024 ** 2).default(8 * 1024 ** 2),
    retryBaseMs: z.number().int().min(1).default(1000),
    retryMaxMs: z.number().int().min(1).default(60_000),
    /** The spool (the output folders themselves) is scanned this often for files to send. */
    scanSeconds: z.number().positive().default(10),
    /** /healthz fails while more than this many files or bytes wait for S3. */
    maxPendingFiles: positiveInt().default(1000),
    maxPendingBytes: byteSize(1024 * 1024).default(5 * 1024 ** 3),
    requestTimeoutMs: z.number().int().min(100).default(60_000),
    /** On stop, delivery goes on this long; what is left stays on disk for the next start. */
    drainSeconds: nonNegative().default(10),
    /** OCSF Parquet also delivered to Security Lake's custom sources (each class by its provider role). */
    securityLake: securityLakeSchema.optional(),
  })
  .refine((s) => s.retryMaxMs >= s.retryBaseMs, {
    message: 'retryMaxMs must be at least retryBaseMs',
    path: ['retryMaxMs'],
  });

const testingSchema = z.strictObject({
  /** Enables POST /debug/crash-worker?id=N on the health port, for tests of worker restarts. */
  faultInjection: z.boolean().default(false),
});

/**
 * Every option of `fargate-mirror receive`, as read from `--config FILE` (JSON or YAML) and overridden by
 * command-line flags. Unknown keys are errors, so a typo never silently does nothing.
 */
export const receiverConfigSchema = z
  .strictObject({
    /** UDP port of VXLAN (the mirror's own format). */
    port: port('port').default(4789),
    /** UDP port of GENEVE from a Gateway Load Balancer endpoint; 0 disables it. */
    genevePort: port('genevePort').default(6081),
    /** Address to receive on; `::` is dual-stack (IPv4 senders appear as themselves, never ::ffff:). */
    bind: ipAddress.default('::'),
    /**
     * Mirror sources accepted (CIDRs or addresses, IPv4 and IPv6): datagrams from any other sender are
     * counted (`datagrams_refused_total{reason="source_not_allowed"}`) and dropped before decoding.
     * Omitted: every sender is accepted (anyone who reaches the ports can inject records).
     */
    allowSources: z
      .array(cidr)
      .min(1, 'expected at least one CIDR (omit the option to accept every sender)')
      .optional(),
    /** Worker threads, each with its own sockets on the ports (SO_REUSEPORT). */
    workers: positiveInt().max(64, 'expected at most 64 workers').default(1),
    /**
     * How workers read their sockets: `native`, the recvmmsg addon built from native/fm-recv.c (a batch
     * of datagrams per call); `js`, Node's dgram (one callback per datagram); `auto`, native when the
     * addon loads, else js (the start-up log says which and why); `afpacket`, the same addon's packet
     * ring on `captureInterface` (the kernel copies each frame into memory the worker reads, as tcpdump
     * captures; needs CAP_NET_RAW), the ports still bound so that senders get no ICMP errors.
     */
    intake: z.enum(['auto', 'native', 'js', 'afpacket']).default('auto'),
    /** The interface the `afpacket` intake captures on (the mirror target's ENI, e.g. `ens5`). */
    captureInterface: z
      .string()
      .min(1)
      .max(15, 'expected an interface name (at most 15 characters)')
      .optional(),
    /** Receive buffer asked for on each socket (the kernel caps it at net.core.rmem_max). */
    recvBuffer: byteSize(4096).default(32 * 1024 * 1024),
    /** Directory of the default outputs when neither pcapDir nor records is given. */
    outDir: z.string().min(1).default('fargate-mirror-out'),
    /** Decapsulated pcap files go here (raw payload: owner-only files). */
    pcapDir: z.string().min(1).optional(),
    /** JSON Lines records: a file path or `-` for standard output. */
    records: z.string().min(1).optional(),
    /** A pcap file is completed and a new one started after this many MiB... */
    rotateMb: z.number().positive('expected a size in MiB above 0').default(100),
    /** ...or after this many seconds, whichever comes first. */
    rotateSeconds: z.number().positive('expected a number of seconds above 0').default(300),
    /** Completed pcap files beyond this total are removed, oldest first. */
    pcapMaxTotal: byteSize(1024 * 1024).default(10 * 1024 ** 3),
    /** One pcap file series per VNI (mirror session) instead of one per worker. */
    pcapPerVni: z.boolean().default(false),
    /** Longest inner frame kept in pcap; longer ones are cut (their original length kept). */
    pcapSnaplen: positiveInt().max(262_144).default(262_144),
    /** Records waiting beyond this are dropped (counted, logged) rather than exhausting memory; health.recordsBacklogLimit (32 MiB) reports first. */
    recordsMaxBacklog: byteSize(64 * 1024).default(64 * 1024 * 1024),
    /** Rotation and total bound of the records file (a regular file; not stdout, FIFOs or devices). */
    recordsRotation: recordsRotationSchema.prefault({}),
    /** HTTP port of /healthz and /metrics; 0 picks a free one. */
    healthPort: port('healthPort').default(9180),
    /** Address of the health server; `::` is dual-stack. */
    healthBind: ipAddress.default('::'),
    /** The live page: false (off), true (under /ui/ on the health port), or a port of its own (0 picks one) on healthBind. */
    ui: z.union([z.boolean(), port('ui')]).default(false),
    /** On SIGTERM/SIGINT, /healthz fails this long before the receiver stops reading. */
    drainSeconds: nonNegative().default(5),
    logLevel: z.enum(LOG_LEVELS).default('warn'),
    /** Logs on stderr as JSON Lines or human text (the receive command: text on a terminal). */
    logFormat: z.enum(LOG_FORMATS).default('json'),
    /** Flow key address space: the whole receiver, or each VNI its own (overlapping VPC ranges). */
    addressDomain: z.enum(['global', 'vni']).default('global'),
    /** Device name in records (CIM `dvc`). */
    dvc: z.string().min(1).optional(),
    /**
     * Without `dvc`: name records (and HEC `host`) after this host, the EC2 instance id from IMDSv2,
     * else the host name. false: `fargate-mirror`, as `read` writes (records equal to read's).
     */
    dvcFromInstance: z.boolean().default(false),
    /** The receiver's own health as CloudWatch metrics (embedded metric format). */
    cloudwatch: cloudwatchSchema.prefault({}),
    flows: flowsSchema.prefault({}),
    health: healthSchema.prefault({}),
    /** Shared ring between each pair of workers for packets owned by the other one. */
    handoffRingBytes: byteSize(64 * 1024).default(4 * 1024 * 1024),
    /** How often workers send their counters to the main thread. */
    statsIntervalMs: z.number().int().min(50).default(1000),
    /** How often workers hand finished records to the writer. */
    recordsFlushMs: z.number().int().min(10).default(200),
    testing: testingSchema.prefault({}),
    /** De-duplication of packets seen at two mirror points. */
    transactions: transactionsSchema.prefault({}),
    dedup: dedupSchema.prefault({}),
    /** Workload identity on every record. */
    identity: identitySchema.prefault({}),
    /** Splunk HTTP Event Collector sink. */
    hec: hecSchema.prefault({}),
    /** OCSF 1.8 records in Parquet (Security Lake's layout); omitted: none. */
    ocsf: ocsfSchema.optional(),
    /** Completed Parquet and pcap files delivered to S3; omitted: they stay local. */
    s3: s3Schema.optional(),
  })
  .superRefine((c, ctx) => {
    // The packet ring reads one interface: without one it has nothing to open, and an interface with
    // another intake would be silently ignored.
    if (c.intake === 'afpacket' && c.captureInterface === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['captureInterface'],
        message: 'intake afpacket needs the interface to capture on (--capture-interface, e.g. ens5)',
      });
    if (c.intake !== 'afpacket' && c.captureInterface !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['captureInterface'],
        message: `only the afpacket intake captures on an interface (intake is ${c.intake})`,
      });
  });

/** The configuration as written (sizes may be strings). */
export type ReceiverConfigInput = z.input<typeof receiverConfigSchema>;
/** The validated configuration with every default filled in. */
export type ReceiverConfig = z.output<typeof receiverConfigSchema>;
