import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { HandoffKind, HandoffRing } from '../../src/handoff-ring.js';

function datagram(seq: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  b.writeUInt32BE(seq, 0);
  for (let i = 4; i < length; i++) b[i] = (seq + i) & 0xff;
  return b;
}

describe('HandoffRing', () => {
  it('carries datagrams with sender, kind and time, in order, across many wrap-arounds', () => {
    // Prepare: a small ring and datagrams of awkward sizes, so records wrap at every position.
    const ring = HandoffRing.create(4096);
    const source = new Uint32Array([0, 0, 0xffff, 0x0a4d0201]);
    const seen: number[] = [];
    const out = new Uint32Array(4);
    let next = 0;
    // Act: push and drain in uneven batches.
    for (let round = 0; round < 500; round++) {
      const batch = 1 + (round % 7);
      for (let k = 0; k < batch; k++) {
        const length = 9 + ((next * 37) % 700);
        if (!ring.push(datagram(next, length), next % 2, source, 4, 1000 + next, next * 3)) break;
        next++;
      }
      ring.drain((r, rec) => {
        const len = r.payloadLength(rec);
        const off = r.payloadOffset(rec);
        const seq = r.data.readUInt32BE(off);
        expect(r.data.subarray(off, off + len).equals(datagram(seq, len))).toBe(true);
        expect(r.kind(rec)).toBe(seq % 2);
        expect(r.source(rec, out)).toBe(4);
        expect([...out]).toEqual([...source]);
        expect(r.tsSec(rec)).toBe(1000 + seq);
        expect(r.tsNsec(rec)).toBe(seq * 3);
        seen.push(seq);
      });
    }
    // Assess: everything pushed came out once, in order.
    expect(seen).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(next).toBeGreaterThan(1000);
    expect(ring.isEmpty).toBe(true);
  });

  it('refuses a datagram when full and accepts again once drained', () => {
    const ring = HandoffRing.create(4096);
    const src = new Uint32Array(4);
    let pushed = 0;
    while (ring.push(datagram(pushed, 1000), HandoffKind.VXLAN, src, 4, 0, 0)) pushed++;
    expect(pushed).toBe(3); // 3 x 1040-byte records fit in 4096 bytes, a 4th does not
    expect(ring.drain(() => {})).toBe(3);
    expect(ring.push(datagram(9, 1000), HandoffKind.VXLAN, src, 4, 0, 0)).toBe(true);
  });

  it('wakes a waiting consumer in another thread', async () => {
    // Prepare: a worker that waits on the ring and reports the sequence numbers it drained.
    const ring = HandoffRing.create(1 << 16);
    const ringModule = new URL('../../src/handoff-ring.ts', import.meta.url).href;
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(${JSON.stringify(ringModule)}).then(({ HandoffRing }) => {
        const ring = new HandoffRing(workerData);
        const got = [];
        // A pending Atomics.waitAsync does not keep a thread alive; the receive worker's sockets do.
        const keepAlive = setInterval(() => {}, 1000);
        const loop = () => {
          ring.drain((r, rec) => got.push(r.data.readUInt32BE(r.payloadOffset(rec))));
          if (got.length >= 100) {
            clearInterval(keepAlive);
            return parentPort.postMessage(got);
          }
          const p = ring.waitForData();
          if (p === undefined) setImmediate(loop); else p.then(loop);
        };
        parentPort.postMessage('waiting');
        loop();
      });
    `;
    const worker = new Worker(source, { eval: true, workerData: ring.buffer });
    let started: () => void = () => {};
    const waiting = new Promise<void>((r) => {
      started = r;
    });
    const done = new Promise<number[]>((resolve, reject) => {
      worker.on('message', (m) => (Array.isArray(m) ? resolve(m) : started()));
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`consumer thread exited with ${code}`)));
    });
    await Promise.race([waiting, done]);
    // Act: push in bursts with pauses, waking the consumer as the receive path does.
    for (let i = 0; i < 100; i++) {
      ring.push(datagram(i, 64), HandoffKind.VXLAN, new Uint32Array(4), 4, 0, 0);
      ring.wakeIfWaiting();
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 5));
    }
    // Assess
    expect(await done).toEqual(Array.from({ length: 100 }, (_, i) => i));
    await worker.terminate();
  });
});
