import { describe, expect, it } from 'vitest';
import type { StreamHandler } from '../../src/reassembly/stream-handler.js';
import { TcpReassembler, type TcpReassemblerOptions } from '../../src/reassembly/tcp-reassembler.js';

const SYN = 0x02;
const ACK = 0x10;
const FIN = 0x01;
const PSH = 0x08;

type Event =
  | { kind: 'data'; slot: number; dir: number; text: string; fromPacket: boolean }
  | { kind: 'gap'; slot: number; dir: number; length: number; lost: boolean }
  | { kind: 'end'; slot: number; dir: number }
  | { kind: 'recovered'; slot: number; dir: number; length: number };

/** A handler that writes down what it is given, and whether data came straight from the packet buffer. */
function recorder() {
  const events: Event[] = [];
  let packet: Uint8Array | null = null;
  const handler: StreamHandler = {
    onData(slot, dir, buf, offset, length) {
      events.push({
        kind: 'data',
        slot,
        dir,
        text: Buffer.from(buf.subarray(offset, offset + length)).toString('latin1'),
        fromPacket: buf === packet,
      });
    },
    onGap(slot, dir, length, lost) {
      events.push({ kind: 'gap', slot, dir, length, lost });
    },
    onEnd(slot, dir) {
      events.push({ kind: 'end', slot, dir });
    },
    onRecovered(slot, dir, length) {
      events.push({ kind: 'recovered', slot, dir, length });
    },
    wantsPayload: () => true,
  };
  const setPacket = (p: Uint8Array) => {
    packet = p;
  };
  return { events, handler, setPacket };
}

/** Drives a reassembler with text payloads; sequence numbers relative to ISNs 1000 (dir 0) and 5000 (dir 1). */
function harness(options: TcpReassemblerOptions = {}, flows = 4) {
  const rec = recorder();
  const r = new TcpReassembler(flows, rec.handler, options);
  const isn = [1000, 5000];
  const send = (
    dir: number,
    rel: number,
    text: string,
    opts: { flags?: number; ack?: number; captured?: number; at?: number; slot?: number } = {},
  ) => {
    // A packet buffer with 20 bytes of "headers" before the payload, as in a real frame.
    const payload = Buffer.from(text, 'latin1');
    const packet = Buffer.concat([Buffer.alloc(20), payload]);
    rec.setPacket(packet);
    const flags = opts.flags ?? ACK | (text.length > 0 ? PSH : 0);
    r.segment(
      opts.slot ?? 0,
      dir,
      (isn[dir] + rel) >>> 0,
      opts.ack ?? 0,
      opts.ack === undefined ? flags & ~ACK : flags,
      packet,
      20,
      opts.captured ?? payload.length,
      payload.length,
      (opts.at ?? 0) * 1000,
    );
  };
  const handshake = (slot = 0) => {
    send(0, -1, '', { flags: SYN, slot });
    send(1, -1, '', { flags: SYN | ACK, slot });
  };
  const text = (dir = 0) =>
    rec.events
      .filter((e) => e.dir === dir)
      .map((e) =>
        e.kind === 'data'
          ? e.text
          : e.kind === 'gap'
            ? `<gap ${e.length}${e.lost ? '' : ' cut'}>`
            : e.kind === 'recovered'
              ? `<recovered ${e.length}>`
              : '<end>',
      )
      .join('');
  return { r, send, handshake, events: rec.events, text };
}

describe('TcpReassembler', () => {
  it('hands in-order segments to the handler straight from the packet buffer, holding nothing', () => {
    const h = harness();
    h.handshake();
    h.send(0, 0, 'GET / HTTP/1.1\r\n');
    h.send(0, 16, 'Host: a\r\n\r\n');
    expect(h.text()).toBe('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(h.events.every((e) => e.kind !== 'data' || e.fromPacket)).toBe(true);
    expect(h.r.pool.stats.acquired).toBe(0);
  });

  it('serves flow slots far apart, and slots no segment reached, alike', () => {
    // Per-slot state is set up when a segment first reaches a slot: a slot beyond that point, or one
    // never reached, must behave as a fresh one.
    const h = harness({}, 5000);
    h.r.endFlow(4999, 0); // never reached: nothing to deliver, nothing breaks
    for (const slot of [3, 4000]) {
      h.handshake(slot);
      h.send(0, 6, 'world', { slot });
      h.send(0, 0, 'hello ', { slot });
    }
    h.r.endFlow(2500, 0);
    h.handshake(2500);
    h.send(0, 3, 'def', { slot: 2500 });
    h.r.endFlow(2500, 0); // the hole before the held bytes becomes a gap
    const bySlot = (slot: number) =>
      h.events
        .filter((e) => e.slot === slot)
        .map((e) => (e.kind === 'data' ? e.text : e.kind === 'gap' ? `<gap ${e.length}>` : `<${e.kind}>`))
        .join('');
    expect([bySlot(3), bySlot(4000), bySlot(2500), bySlot(4999)]).toEqual([
      'hello world',
      'hello world',
      '<gap 3>def',
      '',
    ]);
  });

  it('holds segments that arrive ahead of a hole and delivers them in order once it fills', () => {
    const h = harness();
    h.handshake();
    h.send(0, 6, 'world', { at: 1 });
    h.send(0, 11, '!', { at: 2 });
    expect(h.text()).toBe('');
    h.send(0, 0, 'hello ', { at: 3 });
    expect(h.text()).toBe('hello world!');
    expect(h.r.stats.reordered).toBe(2);
    expect(h.r.stats.gaps).toBe(0);
    expect(h.r.heldBytes).toBe(0); // buffers went back to the pool
  });

  it('drops retransmissions and trims overlaps, delivering every byte exactly once', () => {
    const h = harness();
    h.handshake();
    h.send(0, 0, 'abcdef');
    h.send(0, 0, 'abcdef'); // retransmission
    h.send(0, 4, 'efghij'); // overlaps "ef"
    h.send(0, 12, 'mn'); // ahead of a hole
    h.send(0, 12, 'mn'); // duplicate of a held segment
    h.send(0, 9, 'jklm'); // fills the hole, overlapping both sides
    expect(h.text()).toBe('abcdefghijklmn');
    expect(h.r.stats.retransmits).toBe(2);
    expect(h.r.stats.overlaps).toBeGreaterThanOrEqual(2);
  });

  it('turns a hole into a lost gap when the reorder window (time) runs out', () => {
    const h = harness({ reorderWindowMs: 100 });
    h.handshake();
    h.send(0, 0, 'aaaa', { at: 0 });
    h.send(0, 10, 'cccc', { at: 10 }); // bytes 4..9 never come
    h.r.tick(50_000);
    expect(h.text()).toBe('aaaa');
    h.r.tick(200_000);
    expect(h.text()).toBe('aaaa<gap 6>cccc');
    expect(h.r.stats.gaps).toBe(1);
    expect(h.r.stats.gapBytes).toBe(6);
  });

  it('turns a hole into a gap when held data reaches past the reorder window (bytes)', () => {
    const h = harness({ reorderWindowBytes: 1000 });
    h.handshake();
    h.send(0, 0, 'x');
    h.send(0, 500, 'y'.repeat(100));
    expect(h.text()).toBe('x');
    h.send(0, 900, 'z'.repeat(200)); // reaches byte 1100 > window
    expect(h.text()).toBe(`x<gap 499>${'y'.repeat(100)}<gap 300>${'z'.repeat(200)}`);
  });

  it('passes a truncated segment as its captured bytes plus a gap that is not a loss; sequence numbers still advance', () => {
    const h = harness();
    h.handshake();
    h.send(0, 0, 'HEAD-AND-BODY', { captured: 4 });
    h.send(0, 13, 'next');
    expect(h.text()).toBe('HEAD<gap 9 cut>next');
    expect(h.r.stats.truncatedBytes).toBe(9);
    expect(h.r.stats.gaps).toBe(0);
  });

  it('reports the end of a direction when its FIN is reached in sequence, even if the FIN came early', () => {
    const h = harness();
    h.handshake();
    h.send(0, 3, '', { flags: FIN | ACK, ack: 5001 }); // FIN after 3 bytes, ahead of them
    h.send(0, 0, 'abc');
    expect(h.text()).toBe('abc<end>');
  });

  it('holds data that arrives before its SYN, then starts the stream at the SYN', () => {
    const h = harness();
    h.send(0, 5, 'world', { at: 1 });
    h.send(0, 0, 'hello', { at: 2 });
    expect(h.text()).toBe('');
    h.send(0, -1, '', { flags: SYN, at: 3 });
    expect(h.text()).toBe('helloworld');
    expect(h.r.stats.midstream).toBe(1);
  });

  it('starts a stream seen without its SYN at its earliest byte once the window runs out (no loss counted)', () => {
    const h = harness({ reorderWindowMs: 10 });
    h.send(0, 5, 'world', { at: 1 });
    h.send(0, 0, 'hello', { at: 2 });
    h.r.tick(100_000);
    expect(h.text()).toBe('helloworld');
    expect(h.r.stats.gaps).toBe(0);
  });

  it('keeps a reply behind the request it acknowledges when the two directions arrive out of order', () => {
    const h = harness();
    h.handshake();
    const order: string[] = [];
    // The response (acknowledging 16 request bytes) arrives before the request itself.
    h.send(1, 0, 'HTTP/1.1 200 OK\r\n', { ack: 1016 });
    h.send(0, 0, 'GET / HTTP/1.1\r\n', { ack: 5000 });
    for (const e of h.events) if (e.kind === 'data') order.push(`${e.dir}:${e.text.slice(0, 4)}`);
    expect(order).toEqual(['0:GET ', '1:HTTP']);
    expect(h.r.stats.waitedForPeer).toBe(1);
  });

  it('delivers what it holds, holes as gaps, when the flow ends; then forgets the slot', () => {
    const h = harness();
    h.handshake();
    h.send(0, 0, 'ab');
    h.send(0, 4, 'ef');
    h.r.endFlow(0, 0);
    expect(h.text()).toBe('ab<gap 2>ef');
    // The slot is free for a new connection with other sequence numbers.
    h.events.length = 0;
    h.send(0, 100, '', { flags: SYN });
    h.send(0, 101, 'new');
    expect(h.text()).toBe('new');
  });

  it('bounds memory in total: when the budget is spent the oldest waiting direction is flushed', () => {
    const budget = 256 * 1024;
    const flows = 2000;
    const h = harness({ maxBufferedBytes: budget }, flows);
    for (let slot = 0; slot < flows; slot++) {
      h.send(0, -1, '', { flags: SYN, slot });
      h.send(0, 1000, 'q'.repeat(1000), { slot, at: slot }); // one held 1000-byte segment per flow
    }
    expect(h.r.pool.stats.allocatedBytes).toBeLessThanOrEqual(budget);
    expect(h.r.stats.evictedBuffers).toBeGreaterThan(0);
    // Evicted directions were delivered with their hole as a gap, not dropped.
    const gaps = h.events.filter((e) => e.kind === 'gap');
    expect(gaps.length).toBe(h.r.stats.gaps);
    expect(gaps.every((g) => g.kind === 'gap' && g.length === 1000 && g.lost)).toBe(true);
  });

  it('takes back a given-up hole when a late retransmission fills it: missed means never seen', () => {
    const h = harness({ reorderWindowBytes: 1000 });
    h.handshake();
    h.send(0, 0, 'x');
    h.send(0, 900, 'z'.repeat(200)); // past the window: bytes 1..899 become a gap
    expect(h.text()).toBe(`x<gap 899>${'z'.repeat(200)}`);
    h.send(0, 1, 'a'.repeat(400)); // the retransmission of the first part of the hole
    h.send(0, 600, 'b'.repeat(100)); // and a piece from its middle
    h.send(0, 401, 'c'.repeat(199)); // the rest before the piece
    h.send(0, 700, 'd'.repeat(300)); // the tail, overlapping delivered bytes
    const recovered = h.events.filter((e) => e.kind === 'recovered');
    expect(recovered.reduce((n, e) => n + (e.kind === 'recovered' ? e.length : 0), 0)).toBe(899);
    expect(h.r.stats.recoveredBytes).toBe(899);
    // A further retransmission of bytes already recovered takes nothing back twice.
    h.send(0, 1, 'a'.repeat(400));
    expect(h.r.stats.recoveredBytes).toBe(899);
  });

  it('delivers a direction seen without its SYN as soon as the peer acknowledges its bytes, before the reply', () => {
    const h = harness();
    // The client's SYN was not mirrored; the server's SYN-ACK was.
    h.send(1, -1, '', { flags: SYN | ACK, ack: 1000 });
    h.send(0, 0, 'GET / HTTP/1.1\r\n\r\n', { ack: 5000, at: 1 });
    expect(h.text(0)).toBe(''); // held: its SYN may still come
    h.send(1, 0, 'HTTP/1.1 200 OK\r\n\r\n', { ack: 1018, at: 2 });
    const order = h.events
      .filter((e) => e.kind === 'data')
      .map((e) => `${e.dir}:${e.kind === 'data' ? e.text.slice(0, 4) : ''}`);
    expect(order).toEqual(['0:GET ', '1:HTTP']);
    expect(h.r.stats.midstreamAcked).toBe(1);
    expect(h.r.stats.gaps).toBe(0);
  });

  it('keeps request and response order on a keep-alive connection with neither SYN nor SYN-ACK mirrored', () => {
    const h = harness();
    h.send(0, 0, 'GET /1 HTTP/1.1\r\n\r\n', { ack: 5000, at: 1 });
    h.send(1, 0, 'HTTP/1.1 200 OK\r\n\r\n', { ack: 1019, at: 2 });
    h.send(0, 19, 'GET /2 HTTP/1.1\r\n\r\n', { ack: 5019, at: 3 });
    h.send(1, 19, 'HTTP/1.1 204 No\r\n\r\n', { ack: 1038, at: 4 });
    h.r.endFlow(0, 5000);
    const order = h.events
      .filter((e) => e.kind === 'data')
      .map((e) => `${e.dir}:${e.kind === 'data' ? e.text.slice(0, 6) : ''}`);
    expect(order).toEqual(['0:GET /1', '1:HTTP/1', '0:GET /2', '1:HTTP/1']);
    expect(h.r.stats.gaps).toBe(0);
  });
});
