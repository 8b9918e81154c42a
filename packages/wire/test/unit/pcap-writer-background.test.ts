// PcapWriter's background mode (full buffers written by the thread pool, for the live receive path)
// writes the same file as the synchronous writer: compared byte for byte, with a buffer small enough
// that many blocks are in flight at once, packets larger than the buffer among them, a flush while
// blocks are in flight, and the file read back right after close() (before the thread pool is done).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureReader } from '../../src/capture/capture-reader.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';

describe('PcapWriter background mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fm-pcap-bg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const writeAll = (writer: PcapWriter) => {
    const frame = Buffer.alloc(9000);
    for (let i = 0; i < 5000; i++) {
      // Sizes from 60 bytes to 9000 (above the 4 KiB buffer), content from the packet number.
      const length = i % 97 === 0 ? 9000 : 60 + ((i * 37) % 1400);
      frame.fill(i & 0xff, 0, length);
      frame.writeUInt32BE(i, 0);
      writer.write(frame, 0, length, length + 4, 1_800_000_000 + i, (i * 1000) % 1e9);
      if (i === 2500) writer.flush();
    }
  };

  it('gives the same file as the synchronous writer, whole as soon as close() returns', async () => {
    const syncPath = join(dir, 'sync.pcap');
    const bgPath = join(dir, 'background.pcap');
    const sync = PcapWriter.open(syncPath, { bufferBytes: 4096 });
    writeAll(sync);
    sync.close();
    const background = PcapWriter.open(bgPath, { bufferBytes: 4096, background: true });
    writeAll(background);
    expect(background.bytesWritten).toBeGreaterThan(0);
    background.close();
    const expected = readFileSync(syncPath);
    expect(readFileSync(bgPath).equals(expected)).toBe(true);
    // Once the thread pool's writes have landed too (they rewrite the same bytes), still the same.
    for (let i = 0; i < 50; i++) await new Promise((r) => setTimeout(r, 10));
    expect(readFileSync(bgPath).equals(expected)).toBe(true);
    const reader = CaptureReader.open(bgPath);
    let packets = 0;
    while (reader.next()) {
      expect(reader.buf.readUInt32BE(reader.offset)).toBe(packets);
      packets++;
    }
    reader.close();
    expect(packets).toBe(5000);
  });

  it('writes in place to a file that is not regular (here /dev/null)', () => {
    const writer = PcapWriter.open('/dev/null', { bufferBytes: 4096, background: true });
    writeAll(writer);
    writer.close();
    expect(writer.packetsWritten).toBe(5000);
  });
});
