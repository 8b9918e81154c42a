import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureReader } from '../../../src/capture/capture-reader.js';
import { CaptureFormatError, CaptureReadError } from '../../../src/capture/errors.js';
import { LinkType } from '../../../src/capture/link-type.js';
import {
  currentFrame,
  type Frame,
  readerFrames,
  requireTools,
  run,
  runPython,
  seededRandom,
  tsharkFrames,
} from './capture-tools.js';

// Every capture variant is written by a real tool (scapy, editcap, mergecap) or, for block types no
// tool writes on demand, framed by hand; the expected packets always come from tshark reading the file.

let dir: string;
const file = (name: string) => join(dir, name);

/** name → how it was made, for failure messages. */
const VARIANTS: Record<string, string> = {
  'eth-nsec-le.pcap': 'scapy, nanosecond, little endian',
  'eth-nsec-be.pcap': 'scapy, nanosecond, big endian',
  'eth-usec-be.pcap': 'scapy, microsecond, big endian',
  'eth-usec-le.pcap': 'editcap -F pcap (microsecond, native order)',
  'eth-nsec-from-usec.pcap': 'editcap -F nsecpcap of the big-endian microsecond file',
  'eth-mod.pcap': 'editcap -F modpcap (Kuznetzov 24-byte record headers)',
  'eth.pcapng': 'editcap -F pcapng (if_tsresol 9)',
  'eth-usec-snap100.pcapng': 'editcap -F pcapng -s 100 of the microsecond file',
  'rawip-nsec.pcap': 'scapy, LINKTYPE_RAW',
  'sll-usec.pcap': 'scapy, LINKTYPE_LINUX_SLL',
  'sll2-nsec.pcap': 'scapy, LINKTYPE_LINUX_SLL2',
  'multi.pcapng': 'mergecap of Ethernet/usec, raw IP/nsec, SLL/usec, SLL2/nsec: four interfaces',
  'crafted.pcapng':
    'hand-framed: big- and little-endian sections, 2^-10/2^-20/ms resolutions, if_tsoffset, SPB, OPB, NRB, ISB, custom and unknown blocks',
};

beforeAll(() => {
  requireTools('tshark', 'editcap', 'mergecap');
  dir = mkdtempSync(join(tmpdir(), 'capture-reader-'));
  runPython('make_captures.py', dir);
  run('editcap', ['-F', 'pcap', file('eth-nsec-le.pcap'), file('eth-usec-le.pcap')]);
  run('editcap', ['-F', 'nsecpcap', file('eth-usec-be.pcap'), file('eth-nsec-from-usec.pcap')]);
  run('editcap', ['-F', 'modpcap', file('eth-nsec-le.pcap'), file('eth-mod.pcap')]);
  run('editcap', ['-F', 'pcapng', file('eth-nsec-le.pcap'), file('eth.pcapng')]);
  run('editcap', ['-F', 'pcapng', '-s', '100', file('eth-usec-be.pcap'), file('eth-usec-snap100.pcapng')]);
  run('mergecap', [
    '-F',
    'pcapng',
    '-w',
    file('multi.pcapng'),
    ...['eth-usec-be.pcap', 'rawip-nsec.pcap', 'sll-usec.pcap', 'sll2-nsec.pcap'].map(file),
  ]);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('CaptureReader against tshark', () => {
  for (const [name, how] of Object.entries(VARIANTS)) {
    it(`reads every packet of ${name} (${how}) as tshark does`, () => {
      const expected = tsharkFrames(file(name));
      const { frames, reader } = readerFrames(file(name));
      expect(expected.length).toBeGreaterThan(1);
      expect(frames).toEqual(expected);
      expect(reader.packetsRead).toBe(expected.length);
      expect(reader.truncatedTail).toBe(false);
      expect(reader.corruptBlocks).toBe(0);
      expect(reader.stopReason).toBeNull();
      expect(reader.format).toBe(name.endsWith('.pcapng') ? 'pcapng' : 'pcap');
    });
  }

  it('covers what the fixtures claim: link types, resolutions, several interfaces and sections', () => {
    const multi = tsharkFrames(file('multi.pcapng'));
    expect(new Set(multi.map((f) => f.linkType))).toEqual(
      new Set([LinkType.ETHERNET, LinkType.RAW, LinkType.LINUX_SLL, LinkType.LINUX_SLL2]),
    );
    expect(new Set(multi.map((f) => f.interfaceId))).toEqual(new Set([0, 1, 2, 3]));
    const crafted = tsharkFrames(file('crafted.pcapng'));
    expect(crafted.filter((f) => f.sec === 0)).toHaveLength(2); // the two SPBs carry no time
    expect(crafted.some((f) => f.nsec % 1000 !== 0)).toBe(true);
    expect(tsharkFrames(file('eth-nsec-le.pcap')).some((f) => f.capLen < f.len)).toBe(true);
  });

  it('gives the same packets with a tiny chunk (records across chunk ends, a 9000-byte packet grows it)', () => {
    for (const name of Object.keys(VARIANTS)) {
      expect(readerFrames(file(name), 64).frames, name).toEqual(readerFrames(file(name)).frames);
    }
  });

  it('reads a pipe (partial reads) and an already open descriptor', async () => {
    const fifo = file('capture.fifo');
    run('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', 'cat "$0" > "$1"', file('multi.pcapng'), fifo], { stdio: 'ignore' });
    const exited = new Promise((resolve) => writer.on('exit', resolve));
    expect(readerFrames(fifo, 4096).frames).toEqual(tsharkFrames(file('multi.pcapng')));
    await exited;

    const fd = openSync(file('eth.pcapng'), 'r');
    try {
      const reader = CaptureReader.fromFd(fd, 'eth.pcapng');
      const frames: Frame[] = [];
      while (reader.next()) frames.push(currentFrame(reader));
      reader.close();
      expect(frames).toEqual(tsharkFrames(file('eth.pcapng')));
    } finally {
      closeSync(fd); // still open: fromFd without closeFd leaves it to its owner
    }
  });
});

describe('CaptureReader on files that are not captures', () => {
  const cases: [string, Buffer, RegExp][] = [
    ['empty', Buffer.alloc(0), /empty file/],
    ['three bytes', Buffer.from([0xd4, 0xc3, 0xb2]), /only 3 bytes/],
    ['HTML', Buffer.from('<!DOCTYPE html><html></html>'), /first bytes 3c 21 44 4f "<!DO"/],
    ['gzip', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]), /gzip-compressed/],
    [
      'pcap header cut short',
      Buffer.from('d4c3b2a102000400000000000000', 'hex'),
      /pcap header cut short: 14 bytes/,
    ],
    [
      'pcapng with a bad byte-order magic',
      Buffer.concat([Buffer.from('0a0d0d0a1c000000deadbeef', 'hex'), Buffer.alloc(16)]),
      /bad byte-order magic de ad be ef/,
    ],
  ];
  for (const [what, bytes, message] of cases) {
    it(`rejects ${what} with CaptureFormatError naming the file`, () => {
      const path = file(`not-a-capture-${what.replaceAll(' ', '-')}`);
      writeFileSync(path, bytes);
      let error: unknown;
      try {
        CaptureReader.open(path);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CaptureFormatError);
      expect((error as CaptureFormatError).code).toBe('CAPTURE_NOT_A_CAPTURE');
      expect((error as Error).message).toContain(path);
      expect((error as Error).message).toMatch(message);
    });
  }

  it('reports a missing file as CaptureReadError with the errno', () => {
    expect(() => CaptureReader.open(file('missing.pcap'))).toThrow(
      expect.objectContaining({ code: 'CAPTURE_READ_FAILED', message: expect.stringMatching(/ENOENT/) }),
    );
    expect(() => CaptureReader.open(file('missing.pcap'))).toThrow(CaptureReadError);
  });
});

describe('CaptureReader on damaged captures', () => {
  /** File offsets where each packet's record ends, from a clean read. */
  function packetEnds(path: string): number[] {
    const reader = CaptureReader.open(path);
    const ends: number[] = [];
    while (reader.next()) ends.push(reader.bytesConsumed);
    reader.close();
    return ends;
  }

  /** Where each pcapng block ends, by walking the framing (lengths, byte order per section). */
  function blockEnds(bytes: Buffer): number[] {
    const ends: number[] = [];
    let littleEndian = true;
    for (let o = 0; o + 12 <= bytes.length; ) {
      if (bytes.readUInt32BE(o) === 0x0a0d0d0a) littleEndian = bytes.readUInt32LE(o + 8) === 0x1a2b3c4d;
      o += littleEndian ? bytes.readUInt32LE(o + 4) : bytes.readUInt32BE(o + 4);
      ends.push(o);
    }
    return ends;
  }

  function readBytes(name: string, bytes: Buffer): { frames: Frame[]; reader: CaptureReader } {
    const path = file(name);
    writeFileSync(path, bytes);
    return readerFrames(path, 128);
  }

  for (const name of ['eth-nsec-be.pcap', 'eth-mod.pcap', 'crafted.pcapng', 'multi.pcapng']) {
    it(`${name} cut at every length: a prefix of the packets, a truncated tail, never a throw`, () => {
      const whole = readFileSync(file(name));
      const expected = readerFrames(file(name)).frames;
      const ends = packetEnds(file(name));
      const pcapng = whole.readUInt32BE(0) === 0x0a0d0d0a;
      const headerBytes = pcapng ? 28 : 24;
      const boundaries = pcapng ? blockEnds(whole) : [24, ...ends];
      const step = whole.length > 4000 ? 17 : 1; // every byte of small files, a dense sample of big ones
      for (let cut = headerBytes; cut < whole.length; cut += step) {
        const { frames, reader } = readBytes(`cut-${name}`, whole.subarray(0, cut));
        const complete = ends.filter((end) => end <= cut).length;
        expect(frames, `cut at ${cut}`).toEqual(expected.slice(0, complete));
        expect(reader.corruptBlocks, `cut at ${cut}`).toBe(0);
        expect(reader.truncatedTail, `cut at ${cut}`).toBe(!boundaries.includes(cut));
      }
    });
  }

  it('stops at a pcap record with an impossible captured length and counts it', () => {
    const bytes = Buffer.from(readFileSync(file('eth-nsec-le.pcap')));
    const ends = packetEnds(file('eth-nsec-le.pcap'));
    bytes.writeUInt32LE(0xfffffff0, ends[2] + 8); // third record's incl_len
    const { frames, reader } = readBytes('bad-caplen.pcap', bytes);
    expect(frames).toEqual(readerFrames(file('eth-nsec-le.pcap')).frames.slice(0, 3));
    expect(reader.corruptBlocks).toBe(1);
    expect(reader.stopReason).toBe('corrupt');
    expect(reader.truncatedTail).toBe(false);
  });

  it('stops at a pcapng block whose length is not a multiple of 4, or whose trailing length differs', () => {
    const original = readFileSync(file('eth.pcapng'));
    const ends = packetEnds(file('eth.pcapng'));
    const expected = readerFrames(file('eth.pcapng')).frames.slice(0, 4);
    const odd = Buffer.from(original);
    odd.writeUInt32LE(odd.readUInt32LE(ends[3] + 4) + 2, ends[3] + 4);
    const trailing = Buffer.from(original);
    const blockLength = trailing.readUInt32LE(ends[3] + 4);
    trailing.writeUInt32LE(blockLength + 4, ends[3] + blockLength - 4);
    for (const [name, bytes] of [
      ['odd-length.pcapng', odd],
      ['bad-trailer.pcapng', trailing],
    ] as const) {
      const { frames, reader } = readBytes(name, bytes);
      expect(frames, name).toEqual(expected);
      expect(reader.corruptBlocks, name).toBe(1);
      expect(reader.stopReason, name).toBe('corrupt');
    }
  });

  it('skips and counts an EPB naming an interface that does not exist, then reads on', () => {
    const bytes = Buffer.from(readFileSync(file('eth.pcapng')));
    const ends = packetEnds(file('eth.pcapng'));
    bytes.writeUInt32LE(99, ends[1] + 8); // third EPB's interface id
    const { frames, reader } = readBytes('bad-interface.pcapng', bytes);
    const all = readerFrames(file('eth.pcapng')).frames;
    expect(frames).toEqual([...all.slice(0, 2), ...all.slice(3)]);
    expect(reader.corruptBlocks).toBe(1);
    expect(reader.stopReason).toBeNull();
  });

  // Regression seeds: a failure names its seed; add it here to keep it.
  const FUZZ_SEED = 0x5eed_2024;

  it(`survives random byte mutations and garbage tails (seed ${FUZZ_SEED}): never throws, stays in bounds`, () => {
    const random = seededRandom(FUZZ_SEED);
    const sources = ['crafted.pcapng', 'eth.pcapng', 'eth-nsec-be.pcap', 'multi.pcapng'].map((name) =>
      readFileSync(file(name)),
    );
    for (let round = 0; round < 400; round++) {
      const source = sources[round % sources.length];
      const bytes = Buffer.from(source);
      const headerBytes = bytes.readUInt32BE(0) === 0x0a0d0d0a ? 28 : 24;
      const mutations = 1 + Math.floor(random() * 8);
      for (let m = 0; m < mutations; m++) {
        const at = headerBytes + Math.floor(random() * (bytes.length - headerBytes));
        bytes[at] = random() < 0.5 ? Math.floor(random() * 256) : bytes[at] ^ (1 << Math.floor(random() * 8));
      }
      const garbage = Buffer.from(
        Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)),
      );
      const path = file('fuzz.bin');
      writeFileSync(path, Buffer.concat([bytes, garbage]));
      const reader = CaptureReader.open(path, { chunkBytes: 256 });
      let packets = 0;
      while (reader.next()) {
        packets++;
        expect(reader.offset + reader.capturedLength, `round ${round}`).toBeLessThanOrEqual(
          reader.buf.length,
        );
        expect(reader.tsNsec, `round ${round}`).toBeLessThan(1_000_000_000);
      }
      reader.close();
      expect(packets, `round ${round}`).toBeLessThanOrEqual(bytes.length / 16);
      expect(reader.packetsRead).toBe(packets);
    }
  });
});
