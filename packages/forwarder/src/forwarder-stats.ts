/**
 * The forwarder's counters: plain numbers bumped on the hot path, copied out by `snapshot()` for the
 * stats line written on SIGUSR1 and at exit. Every frame captured ends in exactly one of: not IP,
 * filtered out, or forwarded (as one or more datagrams, some of which may be dropped or fail).
 */
export class ForwarderStats {
  /** Frames tcpdump handed over, and their bytes as on the wire (super-frames count once). */
  framesCaptured = 0;
  bytesCaptured = 0;
  /** ARP and other non-IP frames: AWS does not mirror them either. */
  framesNotIp = 0;
  /** IP frames whose headers did not decode fully (forwarded as they are, never segmented). */
  framesMalformed = 0;
  /** Frames the mirror filter rejected (or no rule accepted). */
  framesFilteredOut = 0;
  /** Frames accepted, by direction relative to the task (ingress = destined to a task address). */
  framesIngress = 0;
  framesEgress = 0;
  /** Frames larger than the interface MTU: offload (TSO/GSO/GRO) super-frames. */
  superframes = 0;
  /** Frames (super or not) too large for one VXLAN datagram, split into MSS-sized TCP segments... */
  framesSegmentedTcp = 0;
  /** ...or into UDP datagrams (UDP GSO/GRO super-frames). */
  framesSplitUdp = 0;
  /** TCP super-frames cut at the connection's own segment size (from its handshake or its segments). */
  superframesCutAtConnectionMss = 0;
  /** Segments and datagrams those splits produced. */
  segmentsCreated = 0;
  /** Super-frames cut to fit instead of split (--truncate-superframes, or not splittable). */
  superframesTruncated = 0;
  /** Frames up to the interface MTU that did not fit the path with the encapsulation: cut to fit, as AWS does. */
  oversizeTruncated = 0;
  /** Datagrams cut by --packet-length. */
  packetLengthTruncated = 0;
  /** L4 checksums rewritten (capture with checksum offload sees unfinished ones). */
  checksumsWritten = 0;
  /** Datagrams handed to the socket, and those the kernel accepted or refused. */
  datagramsQueued = 0;
  datagramsSent = 0;
  bytesSent = 0;
  sendErrors = 0;
  /** Datagrams not sent because the bounded send queue was full. */
  droppedQueueFull = 0;
  /** Native engine: frames it left to the TypeScript path (non-IP, fragments, IPv6 extension headers, malformed). */
  framesToTypeScript = 0;
  /** Native engine: sendmmsg batches (datagramsSent / sendBatches = datagrams per system call). */
  sendBatches = 0;
  /** Native engine: UDP GSO messages (the datagrams cut from one super-frame, sent with one pass through the stack). */
  gsoSends = 0;
  /** tcpdump's own counters, known once it has exited. */
  captureKernelDrops: number | null = null;

  snapshot(): ForwarderStatsSnapshot {
    return { ...this };
  }
}

export type ForwarderStatsSnapshot = {
  [K in keyof ForwarderStats as ForwarderStats[K] extends (...args: never) => unknown
    ? never
    : K]: ForwarderStats[K];
};
