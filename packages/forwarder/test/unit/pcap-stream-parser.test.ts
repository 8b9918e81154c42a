// The incremental pcap parser against wire's CaptureReader (an independent reader of the same file),
// with the stream cut into chunks of every awkward size a pipe may deliver.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureReader } from '@fargate-mirror/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { ForwarderError } from '../../src/errors.ts';
import { PcapStreamParser } from '../../src/pcap-stream-parser.ts';
import { ethernetFrame, patternPayload, writePcap } from '../helpers/frames.ts';

const dir = mkdtempSync(join(tmpdir(), 'fwd-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Rec {
  hex: string;
  original: number;
  linkType: number;
}

function viaParser(bytes: Buffer, chunkSize: number): Rec[] {
  const out: Rec[] = [];
  const parser = new PcapStreamParser((buf, off, captured, original, linkType) => {
    out.push({ hex: Buffer.from(buf.subarray(off, off + captured)).toString('hex'), original, linkType });
  });
  for (let i = 0; i < bytes.length; i += chunkSize) parser.push(bytes.subarray(i, i + chunkSize));
  expect(parser.pendingBytes).toBe(0);
  return out;
}

function viaCaptureReader(file: string): Rec[] {
  const out: Rec[] = [];
  const reader = CaptureReader.open(file);
  try {
    while (reader.next()) {
      out.push({
        hex: Buffer.from(reader.buf.subarray(reader.offset, reader.offset + reader.capturedLength)).toString(
          'hex',
        ),
        original: reader.originalLength,
        linkType: reader.linkType,
      });
    }
  } finally {
    reader.close();
  }
  return out;
}

describe('PcapStreamParser', () => {
  const file = join(dir, 'mixed.pcap');
  const frames = [60, 1514, 65_000, 0, 200, 9001].map((n, i) =>
    ethernetFrame({ protocol: i % 2 ? 'udp' : 'tcp', payload: patternPayload(n, i) }),
  );
  writePcap(file, frames);
  const bytes = readFileSync(file);
  const expected = viaCaptureReader(file);

  it('reads the same records as CaptureReader whatever the chunk size', () => {
    expect(expected.length).toBe(frames.length);
    for (const size of [1, 3, 16, 17, 24, 1000, 65_536, bytes.length]) {
      expect(viaParser(bytes, size), `chunk size ${size}`).toEqual(expected);
    }
  });

  it('rejects a stream that is not pcap with a stable code', () => {
    const parser = new PcapStreamParser(() => {});
    const bad = Buffer.from('<!DOCTYPE html> this is not a capture at all');
    expect(() => parser.push(bad)).toThrow(ForwarderError);
    expect(() => new PcapStreamParser(() => {}).push(bad)).toThrow(/not a pcap stream/);
    try {
      new PcapStreamParser(() => {}).push(bad);
    } catch (e) {
      expect((e as ForwarderError).code).toBe('FORWARDER_BAD_CAPTURE_STREAM');
    }
  });
});
