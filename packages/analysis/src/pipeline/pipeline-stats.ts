import { DECODE_STATUS_COUNT, DecodeStatus, decodeStatusNames } from '@fargate-mirror/wire';

/**
 * Counters of the data path. Plain numbers in typed arrays, incremented on the hot path; read by the
 * summary, metrics and health.
 */
export class PipelineStats {
  /** Packets read from a capture, or datagrams from a socket. */
  input = 0;
  inputBytes = 0;
  /** Inner frames recovered from VXLAN/GENEVE. */
  mirrored = 0;
  /** IP-layer bytes of mirrored packets, from their headers. */
  mirroredIpBytes = 0;
  truncated = 0;
  /** Outer packets that were not mirror traffic (not UDP, other ports). */
  notMirror = 0;
  /** Inner frames that are not IP (ARP and the like): kept in pcap, no flow. */
  innerNotIp = 0;
  /**
   * Inner frames recovered whose inner packet did not decode: counted in `mirrored` (the frame was
   * recovered and goes to pcap) and in `malformed` (by reason), so a datagram's outcome subtracts them
   * from one of the two to count each datagram once.
   */
  innerMalformed = 0;
  outerFragments = 0;
  reassembled = 0;
  /** Malformed packets by DecodeStatus. */
  readonly malformed = new Float64Array(DECODE_STATUS_COUNT);

  get malformedTotal(): number {
    let n = 0;
    for (let i = 0; i < this.malformed.length; i++) n += this.malformed[i];
    return n;
  }

  malformedByReason(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < this.malformed.length; i++) {
      if (this.malformed[i] > 0 && i !== DecodeStatus.OK) out[decodeStatusNames[i]] = this.malformed[i];
    }
    return out;
  }
}
