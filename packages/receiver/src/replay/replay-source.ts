import {
  CaptureReader,
  DecodeStatus,
  IpProtocol,
  IpReassembler,
  LinkType,
  MirrorDecoder,
  ReassemblyStatus,
} from '@fargate-mirror/wire';

/** Which socket a datagram was sent to in the capture, so replay sends it to the same kind. */
export const ReplayKind = {
  VXLAN: 0,
  GENEVE: 1,
} as const;

/** The UDP payloads of a capture's mirror traffic, packed in one buffer, with their capture times. */
export interface ReplaySource {
  readonly file: string;
  readonly blob: Buffer;
  readonly offsets: Int32Array;
  readonly lengths: Int32Array;
  readonly kinds: Uint8Array;
  readonly timesMicros: Float64Array;
  readonly count: number;
  /** Packets that are not UDP to the VXLAN or GENEVE port (and outer fragments still incomplete). */
  readonly skipped: number;
  /** Datagrams the capture cut short (snaplen): sent as captured, shorter than they were. */
  readonly truncated: number;
  /** Outer IP fragments reassembled into whole datagrams (the kernel does the same for a socket). */
  readonly reassembled: number;
}

export interface LoadReplayOptions {
  readonly vxlanPort?: number;
  readonly genevePort?: number;
}

/**
 * Reads a capture of mirrored traffic and keeps the payload of every outer UDP datagram to the VXLAN
 * or GENEVE port: what a receiving socket would have read. Outer IP fragments are reassembled first.
 */
export function loadReplaySource(file: string, options: LoadReplayOptions = {}): ReplaySource {
  const reader = CaptureReader.open(file);
  const decoder = new MirrorDecoder(options);
  const reassembler = new IpReassembler();
  let blob = Buffer.alloc(1024 * 1024);
  let used = 0;
  const offsets: number[] = [];
  const lengths: number[] = [];
  const kinds: number[] = [];
  const times: number[] = [];
  let skipped = 0;
  let truncated = 0;
  let reassembled = 0;
  const keep = (buf: Buffer, micros: number) => {
    const outer = decoder.outer;
    const udp = outer.udp;
    if (outer.status !== DecodeStatus.OK || outer.protocol !== IpProtocol.UDP || !udp.headerComplete) {
      skipped++;
      return;
    }
    const kind =
      udp.dstPort === decoder.vxlanPort
        ? ReplayKind.VXLAN
        : udp.dstPort === decoder.genevePort
          ? ReplayKind.GENEVE
          : -1;
    if (kind < 0) {
      skipped++;
      return;
    }
    const length = udp.capturedPayloadLength;
    if (length < udp.payloadLength) truncated++;
    while (used + length > blob.length) {
      const bigger = Buffer.alloc(blob.length * 2);
      blob.copy(bigger, 0, 0, used);
      blob = bigger;
    }
    buf.copy(blob, used, udp.payloadOffset, udp.payloadOffset + length);
    offsets.push(used);
    lengths.push(length);
    kinds.push(kind);
    times.push(micros);
    used += length;
  };
  try {
    while (reader.next()) {
      const micros = reader.tsSec * 1e6 + Math.floor(reader.tsNsec / 1000);
      const status = decoder.decodeCaptured(
        reader.buf,
        reader.offset,
        reader.offset + reader.capturedLength,
        reader.linkType,
      );
      if (status !== DecodeStatus.OUTER_FRAGMENT) {
        keep(reader.buf, micros);
        continue;
      }
      const outer = decoder.outer;
      const l3End = outer.ipVersion === 4 ? outer.ipv4.capturedEnd : outer.ipv6.capturedEnd;
      if (
        reassembler.add(reader.buf, outer.l3Offset, l3End - outer.l3Offset, micros) !==
        ReassemblyStatus.COMPLETE
      ) {
        continue;
      }
      reassembled++;
      decoder.decodeCaptured(
        reassembler.out,
        reassembler.outOffset,
        reassembler.outOffset + reassembler.outLength,
        LinkType.RAW,
      );
      keep(reassembler.out, micros);
    }
  } finally {
    reader.close();
  }
  return {
    file,
    blob: blob.subarray(0, used),
    offsets: Int32Array.from(offsets),
    lengths: Int32Array.from(lengths),
    kinds: Uint8Array.from(kinds),
    timesMicros: Float64Array.from(times),
    count: offsets.length,
    skipped,
    truncated,
    reassembled,
  };
}
