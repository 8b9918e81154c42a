import { closeSync, fstatSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureReader } from '../../../src/capture/capture-reader.js';
import { CaptureWriteError } from '../../../src/capture/errors.js';
import { LinkType } from '../../../src/capture/link-type.js';
import { PcapWriter, type PcapWriterOptions } from '../../../src/capture/pcap-writer.js';
import { requireTools, run, runPython, tsharkFrames } from './capture-tools.js';

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(() => {
  requireTools('tshark', 'tcpdump');
  dir = mkdtempSync(join(tmpdir(), 'pcap-writer-'));
  runPython('make_captures.py', dir);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Copies the packets of `source` with one link type through a PcapWriter. */
function copyThroughWriter(
  source: string,
  target: string,
  linkType: number,
  options: PcapWriterOptions = {},
) {
  const reader = CaptureReader.open(source);
  const writer = PcapWriter.open(target, { linkType, ...options });
  while (reader.next()) {
    if (reader.linkType !== linkType) continue;
    writer.write(
      reader.buf,
      reader.offset,
      reader.capturedLength,
      reader.originalLength,
      reader.tsSec,
      reader.tsNsec,
    );
  }
  reader.close();
  writer.close();
  return writer;
}

/** tshark must read the file without a complaint (stderr carries "appears to be damaged" and the like). */
function tsharkReadsCleanly(path: string): void {
  const stderr = run('sh', ['-c', 'tshark -r "$0" >/dev/null 2>"$0.err"; echo $?; cat "$0.err"', path]);
  expect(
    stderr
      .trim()
      .split('\n')
      .filter((line) => !line.includes('Running as user')),
  ).toEqual(['0']);
}

describe('PcapWriter', () => {
  const sources: [string, number][] = [
    ['eth-nsec-le.pcap', LinkType.ETHERNET],
    ['eth-usec-be.pcap', LinkType.ETHERNET],
    ['rawip-nsec.pcap', LinkType.RAW],
    ['sll-usec.pcap', LinkType.LINUX_SLL],
    ['sll2-nsec.pcap', LinkType.LINUX_SLL2],
  ];
  for (const [name, linkType] of sources) {
    it(`writes ${name} again frame for frame as tshark and tcpdump read it`, () => {
      const target = file(`copy-${name}`);
      const writer = copyThroughWriter(file(name), target, linkType);
      tsharkReadsCleanly(target);
      expect(tsharkFrames(target)).toEqual(tsharkFrames(file(name)));
      // tcpdump too: one line per packet starting with its nanosecond epoch time (some packets add lines).
      const tcpdumpTimes = run('tcpdump', ['-r', target, '-tt', '-nn', '--time-stamp-precision=nano'])
        .split('\n')
        .map((line) => /^(\d+\.\d{9}) /.exec(line)?.[1])
        .filter((time) => time !== undefined);
      expect(tcpdumpTimes).toHaveLength(writer.packetsWritten);
      expect(tcpdumpTimes).toEqual(
        tsharkFrames(file(name)).map((f) => `${f.sec}.${String(f.nsec).padStart(9, '0')}`),
      );
      expect(writer.bytesWritten).toBe(statSync(target).size);
      expect(run('sh', ['-c', 'head -c 4 "$0" | od -An -tx1', target]).trim()).toBe('4d 3c b2 a1');
    });
  }

  it('writes packets bigger than its buffer straight through, and cuts packets to the snaplen', () => {
    const big = file('small-buffer.pcap');
    copyThroughWriter(file('eth-nsec-le.pcap'), big, LinkType.ETHERNET, { bufferBytes: 4096 });
    expect(tsharkFrames(big)).toEqual(tsharkFrames(file('eth-nsec-le.pcap')));

    const cut = file('snaplen.pcap');
    copyThroughWriter(file('eth-nsec-le.pcap'), cut, LinkType.ETHERNET, { snaplen: 100 });
    tsharkReadsCleanly(cut);
    const expected = tsharkFrames(file('eth-nsec-le.pcap')).map((f) => ({
      ...f,
      capLen: Math.min(f.capLen, 100),
      hex: f.hex.slice(0, 200),
    }));
    expect(tsharkFrames(cut)).toEqual(expected);
  });

  it('creates the file owner-only whatever the umask, and resets the mode of an existing file', () => {
    const previous = process.umask(0o000);
    try {
      const fresh = file('fresh.pcap');
      PcapWriter.open(fresh).close();
      expect(statSync(fresh).mode & 0o777).toBe(0o600);

      const existing = file('existing.pcap');
      writeFileSync(existing, 'old contents', { mode: 0o666 });
      PcapWriter.open(existing).close();
      expect(statSync(existing).mode & 0o777).toBe(0o600);

      process.umask(0o077);
      const groupReadable = file('group.pcap');
      PcapWriter.open(groupReadable, { mode: 0o640 }).close();
      expect(statSync(groupReadable).mode & 0o777).toBe(0o640);
    } finally {
      process.umask(previous);
    }
  });

  it('writes to a descriptor it does not own and leaves it open', () => {
    const target = file('to-fd.pcap');
    const fd = openSync(target, 'w', 0o600);
    const reader = CaptureReader.open(file('rawip-nsec.pcap'));
    const writer = PcapWriter.toFd(fd, { linkType: LinkType.RAW });
    while (reader.next()) {
      writer.write(
        reader.buf,
        reader.offset,
        reader.capturedLength,
        reader.originalLength,
        reader.tsSec,
        reader.tsNsec,
      );
    }
    reader.close();
    writer.close();
    expect(fstatSync(fd).size).toBe(writer.bytesWritten);
    closeSync(fd);
    expect(tsharkFrames(target)).toEqual(tsharkFrames(file('rawip-nsec.pcap')));
  });

  it('reports failures as CaptureWriteError', () => {
    expect(() => PcapWriter.open(file('no-such-dir/out.pcap'))).toThrow(
      expect.objectContaining({ code: 'CAPTURE_WRITE_FAILED', message: expect.stringMatching(/ENOENT/) }),
    );
    const writer = PcapWriter.open(file('closed.pcap'));
    writer.close();
    writer.close(); // idempotent
    expect(() => writer.write(Buffer.alloc(60), 0, 60, 60, 0, 0)).toThrow(CaptureWriteError);
    expect(() => PcapWriter.open(file('full.pcap'), { snaplen: 0 })).toThrow(RangeError);
  });
});
