// Test helpers: run the real tools (scapy, editcap, mergecap, tshark) and read their answers.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CaptureReader } from '../../../src/capture/capture-reader.js';

export const PYTHON = '/usr/bin/python3';
const HERE = new URL('.', import.meta.url).pathname;

/** Fails (never skips) when a tool the test drives is missing. */
export function requireTools(...tools: string[]): void {
  for (const tool of tools) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (found.status !== 0) {
      throw new Error(
        `required tool '${tool}' is not installed (apt-get install tshark tcpdump python3-scapy)`,
      );
    }
  }
  const scapy = spawnSync(PYTHON, ['-c', 'import scapy'], { encoding: 'utf8' });
  if (scapy.status !== 0) throw new Error(`scapy is not importable by ${PYTHON}: ${scapy.stderr}`);
}

/** Runs a program; throws with its stderr when it fails. */
export function run(program: string, args: string[]): string {
  const result = spawnSync(program, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`${program} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return result.stdout;
}

/** Runs one of the Python generators next to this file. */
export function runPython(script: string, ...args: string[]): string {
  return run(PYTHON, [join(HERE, script), ...args]);
}

/** One frame as tshark sees it. */
export interface Frame {
  len: number;
  capLen: number;
  sec: number;
  nsec: number;
  /** pcapng interface within its section; null for pcap. */
  interfaceId: number | null;
  /** LINKTYPE_* derived from tshark's WTAP encapsulation. */
  linkType: number;
  hex: string;
}

/** Wireshark's WTAP_ENCAP_* numbers (what tshark reports) for the LINKTYPE_* values the fixtures use. */
const LINKTYPE_BY_WTAP_ENCAP: Record<string, number> = { '1': 1, '7': 101, '25': 113, '210': 276 };

/** tshark's view of every packet record in `file` (non-packet records, e.g. custom blocks, left out). */
export function tsharkFrames(file: string): Frame[] {
  const json = execFileSync('tshark', ['-r', file, '-T', 'json', '-x', '-j', 'frame'], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const packets = JSON.parse(json) as { _source: { layers: Record<string, unknown> } }[];
  const frames: Frame[] = [];
  for (const packet of packets) {
    const layers = packet._source.layers;
    const frame = layers['frame'] as Record<string, string>;
    const encap = frame['frame.encap_type'];
    if (encap === undefined) continue; // a custom block tshark lists as a record
    const linkType = LINKTYPE_BY_WTAP_ENCAP[encap];
    if (linkType === undefined) throw new Error(`unexpected tshark encapsulation ${encap} in ${file}`);
    const [sec, nsec] = splitEpoch(frame['frame.time_epoch']);
    const interfaceId = frame['frame.interface_id'];
    frames.push({
      len: Number(frame['frame.len']),
      capLen: Number(frame['frame.cap_len']),
      sec,
      nsec,
      interfaceId: interfaceId === undefined ? null : Number(interfaceId),
      linkType,
      hex: (layers['frame_raw'] as [string])[0],
    });
  }
  return frames;
}

/** "1700000000.123456789" → [1700000000, 123456789], exactly (no float); absent → [0, 0]. */
export function splitEpoch(epoch: string | undefined): [number, number] {
  if (epoch === undefined) return [0, 0];
  const [whole, fraction = ''] = epoch.split('.');
  return [Number(whole), Number(fraction.padEnd(9, '0').slice(0, 9))];
}

/** Every packet a CaptureReader returns, in the same shape as tshark's. */
export function readerFrames(file: string, chunkBytes?: number): { frames: Frame[]; reader: CaptureReader } {
  const reader = CaptureReader.open(file, chunkBytes === undefined ? {} : { chunkBytes });
  const frames: Frame[] = [];
  try {
    while (reader.next()) frames.push(currentFrame(reader));
  } finally {
    reader.close();
  }
  return { frames, reader };
}

export function currentFrame(reader: CaptureReader): Frame {
  return {
    len: reader.originalLength,
    capLen: reader.capturedLength,
    sec: reader.tsSec,
    nsec: reader.tsNsec,
    interfaceId: reader.format === 'pcapng' ? reader.interfaceId : null,
    linkType: reader.linkType,
    hex: reader.buf.toString('hex', reader.offset, reader.offset + reader.capturedLength),
  };
}

/** Deterministic PRNG (mulberry32), so a failing shuffle or mutation can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
