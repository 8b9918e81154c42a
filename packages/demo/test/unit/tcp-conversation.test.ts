// The packets the tap proxy synthesises, read back with the project's own decoder (the wire package,
// written independently of the demo): a correct handshake, contiguous sequence numbers, the peer
// acknowledging exactly what it received, and the byte streams intact.
import { DecodeStatus, FrameDecoder, LinkType, TcpFlag } from '@fargate-mirror/wire';
import { describe, expect, it } from 'vitest';
import { TcpConversation } from '../../src/packets/tcp-conversation.ts';

interface Segment {
  fromClient: boolean;
  seq: number;
  ack: number;
  flags: number;
  payload: Buffer;
}

const CLIENT = { ip: '172.31.0.5', port: 40123 };
const SERVER = { ip: '172.31.16.7', port: 8080 };

function capture(drive: (c: TcpConversation) => void): Segment[] {
  const d = new FrameDecoder();
  const out: Segment[] = [];
  let id = 0;
  const conversation = new TcpConversation(
    CLIENT,
    SERVER,
    (packet) => {
      expect(d.decode(packet, 0, packet.length, LinkType.RAW)).toBe(DecodeStatus.OK);
      expect(d.ipLength).toBe(packet.length);
      const fromClient = d.srcPort === CLIENT.port;
      expect([d.srcPort, d.dstPort]).toEqual(
        fromClient ? [CLIENT.port, SERVER.port] : [SERVER.port, CLIENT.port],
      );
      const t = d.tcp;
      out.push({
        fromClient,
        seq: t.seq,
        ack: t.ack,
        flags: t.flags,
        payload: Buffer.from(packet.subarray(t.payloadOffset, t.payloadOffset + t.payloadLength)),
      });
    },
    () => ++id,
  );
  drive(conversation);
  return out;
}

/** Reassembles one direction, checking each segment starts where the previous one ended. */
function stream(segments: readonly Segment[], fromClient: boolean): Buffer {
  const own = segments.filter((s) => s.fromClient === fromClient);
  const syn = own[0];
  expect(syn.flags & TcpFlag.SYN).toBe(TcpFlag.SYN);
  let next = (syn.seq + 1) >>> 0;
  const parts: Buffer[] = [];
  for (const s of own.slice(1)) {
    expect(s.seq).toBe(next);
    parts.push(s.payload);
    next = (next + s.payload.length + (s.flags & TcpFlag.FIN ? 1 : 0)) >>> 0;
  }
  return Buffer.concat(parts);
}

describe('TcpConversation', () => {
  it('opens with SYN, SYN-ACK, ACK and carries both streams intact, each acknowledged', () => {
    const request = Buffer.from(`POST /api/orders HTTP/1.1\r\nhost: api\r\n\r\n${'x'.repeat(4000)}`);
    const response = Buffer.from('HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok');
    const segments = capture((c) => {
      c.open();
      c.data(true, request);
      c.data(false, response);
      c.fin(true);
      c.fin(false);
    });
    expect(segments.slice(0, 3).map((s) => [s.fromClient, s.flags])).toEqual([
      [true, TcpFlag.SYN],
      [false, TcpFlag.SYN | TcpFlag.ACK],
      [true, TcpFlag.ACK],
    ]);
    expect(segments[1].ack).toBe((segments[0].seq + 1) >>> 0);
    expect(stream(segments, true).equals(request)).toBe(true);
    expect(stream(segments, false).equals(response)).toBe(true);
    // Every segment after the SYN acknowledges what the other side had sent before it.
    let clientNext = (segments[0].seq + 1) >>> 0;
    let serverNext = (segments[1].seq + 1) >>> 0;
    for (const s of segments.slice(2)) {
      expect(s.ack).toBe(s.fromClient ? serverNext : clientNext);
      const advance = s.payload.length + (s.flags & TcpFlag.FIN ? 1 : 0);
      if (s.fromClient) clientNext = (clientNext + advance) >>> 0;
      else serverNext = (serverNext + advance) >>> 0;
    }
    // Large writes are cut into segments; the last one of a write is pushed.
    const clientData = segments.filter((s) => s.fromClient && s.payload.length > 0);
    expect(clientData.length).toBeGreaterThan(1);
    expect(clientData.at(-1)?.flags).toBe(TcpFlag.ACK | TcpFlag.PSH);
    expect(segments.filter((s) => s.flags & TcpFlag.FIN).length).toBe(2);
  });

  it('ends with one RST on an abort and sends nothing after it', () => {
    const segments = capture((c) => {
      c.open();
      c.data(true, Buffer.from('GET / HTTP/1.1\r\n\r\n'));
      c.reset(false);
      c.data(false, Buffer.from('late'));
      c.fin(true);
    });
    const last = segments.at(-1);
    expect(last?.flags).toBe(TcpFlag.RST | TcpFlag.ACK);
    expect(last?.fromClient).toBe(false);
    expect(segments.filter((s) => s.flags & TcpFlag.RST).length).toBe(1);
  });
});
