// Which packet sits at a byte offset of a pcap file, for records' `pcap_file` / `pcap_offset`: the
// offsets come from walking the file's own record headers (not from our reader), and each frame's
// 5-tuple and time from tshark, the reference decoder.
import { readFileSync } from 'node:fs';
import { flowKey } from './ground-truth.ts';
import { run } from './proc.ts';

/** A frame as tshark reads it: its canonical 5-tuple key (ground-truth's flowKey) and time. */
export interface FrameAtOffset {
  /** 1-based, as tshark numbers frames. */
  readonly number: number;
  /** flowKey(transport, ...) of a TCP or UDP frame; '' for anything else. */
  readonly key: string;
  /** Epoch seconds with nanosecond digits, as tshark prints frame.time_epoch. */
  readonly time: string;
}

/** The byte offset of every record header of a classic pcap file, in order. */
export function pcapRecordOffsets(file: string): number[] {
  const bytes = readFileSync(file);
  const magic = bytes.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d)
    throw new Error(`${file} is not a little-endian classic pcap file (magic ${magic.toString(16)})`);
  const offsets: number[] = [];
  for (let at = 24; at + 16 <= bytes.length; at += 16 + bytes.readUInt32LE(at + 8)) offsets.push(at);
  return offsets;
}

const FIELDS = [
  'frame.time_epoch',
  'ip.src',
  'ip.dst',
  'ipv6.src',
  'ipv6.dst',
  'tcp.srcport',
  'tcp.dstport',
  'udp.srcport',
  'udp.dstport',
];

/** Every frame of `file` by the byte offset of its record header. */
export async function framesByOffset(file: string): Promise<Map<number, FrameAtOffset>> {
  const offsets = pcapRecordOffsets(file);
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f'];
  args.push('-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE');
  for (const f of FIELDS) args.push('-e', f);
  const rows = (await run('tshark', args)).stdout.split('\n').filter((l) => l.length > 0);
  if (rows.length !== offsets.length)
    throw new Error(`${file}: tshark read ${rows.length} frames, the record headers say ${offsets.length}`);
  const frames = new Map<number, FrameAtOffset>();
  rows.forEach((line, i) => {
    const [time, ip4s, ip4d, ip6s, ip6d, ts, td, us, ud] = line.split('\t');
    const src = ip4s || ip6s;
    const dst = ip4d || ip6d;
    const transport = ts !== '' ? 'tcp' : us !== '' ? 'udp' : '';
    const key =
      transport === '' || src === '' ? '' : flowKey(transport, src, Number(ts || us), dst, Number(td || ud));
    frames.set(offsets[i], { number: i + 1, key, time });
  });
  return frames;
}
