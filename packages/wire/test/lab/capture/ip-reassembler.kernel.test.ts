import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpReassembler, ReassemblyStatus } from '../../../src/capture/ip-reassembler.js';
import { requireTools, runPython } from './capture-tools.js';

// The claim IpReassembler exists for: offline reading sees the datagrams the kernel delivers to a
// live UDP socket. The same fragment sequences (shuffled, duplicated, overlapping) go to the Linux
// kernel over loopback and through IpReassembler; the UDP payloads that come out must be the same.

const sockets: Socket[] = [];

async function listen(
  type: 'udp4' | 'udp6',
  address: string,
): Promise<{ socket: Socket; received: Buffer[] }> {
  const socket = createSocket(type);
  sockets.push(socket);
  const received: Buffer[] = [];
  socket.on('message', (message) => received.push(message));
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  return { socket, received };
}

/** Resolves once a datagram saying "sentinel" arrived: loopback keeps order, so all before it is in. */
async function untilSentinel(received: Buffer[]): Promise<Buffer[]> {
  while (!received.some((m) => m.toString() === 'sentinel')) await new Promise((r) => setTimeout(r, 10));
  return received.filter((m) => m.toString() !== 'sentinel');
}

/** UDP payloads of the datagrams IpReassembler completes from `fragments`. */
function reassembledPayloads(fragments: Buffer[], family: 4 | 6): Buffer[] {
  const reassembler = new IpReassembler();
  const payloads: Buffer[] = [];
  for (const fragment of fragments) {
    if (reassembler.add(fragment, 0, fragment.length, 0) !== ReassemblyStatus.COMPLETE) continue;
    const { out, outOffset, outLength } = reassembler;
    const l3HeaderLength = family === 4 ? (out[outOffset] & 0x0f) * 4 : 40; // the test sends no v6 ext headers
    const udp = out.subarray(outOffset + l3HeaderLength, outOffset + outLength);
    if (udp.toString('latin1', 8) !== 'sentinel') payloads.push(Buffer.from(udp.subarray(8)));
  }
  return payloads;
}

const sortHex = (buffers: Buffer[]) => buffers.map((b) => b.toString('hex')).sort();

beforeAll(() => {
  requireTools();
  if (process.getuid?.() !== 0) throw new Error('this test sends through raw sockets and must run as root');
});

afterAll(() => {
  for (const socket of sockets) socket.close();
});

describe('IpReassembler agrees with the Linux kernel', () => {
  for (const seed of [11, 12, 13]) {
    it(`delivers the same UDP payloads as the kernel (seed ${seed})`, async () => {
      const v4 = await listen('udp4', '127.0.0.1');
      const v6 = await listen('udp6', '::1');
      const sent = JSON.parse(
        runPython(
          'kernel_fragments.py',
          String(v4.socket.address().port),
          String(v6.socket.address().port),
          String(seed),
        ),
      ) as { ipv4: string[]; ipv6: string[] };
      const kernel4 = await untilSentinel(v4.received);
      const kernel6 = await untilSentinel(v6.received);

      const ours4 = reassembledPayloads(
        sent.ipv4.map((h) => Buffer.from(h, 'hex')),
        4,
      );
      const ours6 = reassembledPayloads(
        sent.ipv6.map((h) => Buffer.from(h, 'hex')),
        6,
      );
      // Two good datagrams each; the overlapping one is dropped by both.
      expect(kernel4).toHaveLength(2);
      expect(kernel6).toHaveLength(2);
      expect(sortHex(ours4)).toEqual(sortHex(kernel4));
      expect(sortHex(ours6)).toEqual(sortHex(kernel6));
    });
  }
});
