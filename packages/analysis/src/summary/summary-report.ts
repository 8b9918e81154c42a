/** Latency percentiles in milliseconds; null where no transaction had a measured duration. */
export interface LatencyPercentiles {
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
}

/** One edge of the service map: traffic from one source to one destination over one protocol. */
export interface EdgeSummary {
  /** The ECS service (`cluster/service` when several clusters are in the records), else the address. */
  readonly source: string;
  /** The same for the destination: an ECS service, or an external address. */
  readonly destination: string;
  /** The application protocol as records label it (`http`, `dns`, `tls`, `tcp`, `udp`, ...). */
  readonly protocol: string;
  /** Flow records (connections, or UDP/ICMP conversations). */
  readonly connections: number;
  /** HTTP transactions and DNS queries. */
  readonly requests: number;
  readonly http4xx: number;
  readonly http5xx: number;
  /** DNS answers other than NOERROR, and queries that got no answer. */
  readonly dnsFailures: number;
  /** Connections in which a TCP reset was seen. */
  readonly tcpResets: number;
  /** (HTTP 4xx + 5xx + DNS failures) / requests; TCP resets / connections where there were no requests. */
  readonly errorRate: number;
  /** Request start to response end (`duration_ms` of the HTTP and DNS records). */
  readonly latencyMs: LatencyPercentiles;
  /** Bytes from source to destination, and back (flow records). */
  readonly bytesOut: number;
  readonly bytesIn: number;
}

export interface TalkerSummary {
  readonly endpoint: string;
  readonly bytes: number;
  readonly connections: number;
}

export interface DnsNameSummary {
  readonly name: string;
  readonly queries: number;
  readonly failures: number;
}

export interface CountByName {
  readonly name: string;
  readonly count: number;
}

/** What `fargate-mirror summary` prints: the service map as a table, and the top lists beside it. */
export interface SummaryReport {
  /** Records read, by type; `malformed` counts lines that were not a record. */
  readonly records: Readonly<Record<string, number>>;
  /** 0: the percentiles are exact (nearest rank); else each is within this fraction of it (the live page's sketch). */
  readonly latencyRelativeError: number;
  readonly firstTime: string | null;
  readonly lastTime: string | null;
  readonly edges: readonly EdgeSummary[];
  readonly topTalkers: readonly TalkerSummary[];
  readonly topDnsNames: readonly DnsNameSummary[];
  readonly tlsServerNames: readonly CountByName[];
  readonly tlsVersions: readonly CountByName[];
}
