/**
 * Where the inner frames go, as far as records need it: the pcap file and byte offset of the frame
 * just written. A rotating pcap sink, or `read --pcap-out`'s writer.
 */
export interface FramePositionSource {
  /** The file of the frame last written, a number `fileName` resolves; 0 when that frame was not written. */
  readonly lastFrameFile: number;
  /** Byte offset of that frame's record header in its file. */
  readonly lastFrameOffset: number;
  /** The name records carry for a file (undefined once forgotten). */
  fileName(file: number): string | undefined;
}

/** The fields a record gets: where its flow's first packet is in the pcap the receiver wrote. */
export interface PcapPositionFields {
  /** The pcap file holding the flow's first packet (of this record's span, for interim flows). */
  pcap_file?: string;
  /** Byte offset of that packet's record header in the file (a range read from here, after the 24-byte file header, is a capture of the flow). */
  pcap_offset?: number;
}

/**
 * Per flow, the pcap position of its first packet: two columns by slot, like the flow table's own,
 * written once per flow (at its first packet, or again after an interim record restarts its
 * counters). Allocated only when frames are written somewhere with positions.
 */
export class FlowPcapPositions {
  private readonly file: Int32Array;
  private readonly offset: Float64Array;

  constructor(
    capacity: number,
    private readonly source: FramePositionSource,
  ) {
    this.file = new Int32Array(capacity);
    this.offset = new Float64Array(capacity);
  }

  /**
   * After the flow table counted the packet just written to the source: `packets` is the flow's
   * packet count with it. A flow whose first frame was not written (pcap sink failing) takes its first
   * frame that was.
   */
  note(slot: number, packets: number): void {
    if (packets !== 1 && this.file[slot] !== 0) return;
    const source = this.source;
    this.file[slot] = source.lastFrameFile;
    this.offset[slot] = source.lastFrameOffset;
  }

  /** Adds `pcap_file` and `pcap_offset` to the record of `slot`, when its first packet's file is known. */
  addTo(record: PcapPositionFields, slot: number): void {
    const file = this.file[slot];
    if (file === 0) return;
    const name = this.source.fileName(file);
    if (name === undefined) return;
    record.pcap_file = name;
    record.pcap_offset = this.offset[slot];
  }
}
