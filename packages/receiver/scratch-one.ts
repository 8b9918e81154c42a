import { CaptureReader, MirrorDecoder } from '@fargate-mirror/wire';
import { MirrorPipeline } from './dist/index.js';
const seed = Number(process.argv[2]);
const reader = CaptureReader.open('/tmp/fmtx/lab-outer.pcap');
const packets: any[] = [];
while (reader.next()) packets.push({ data: Buffer.from(reader.buf.subarray(reader.offset, reader.offset + reader.capturedLength)), tsSec: reader.tsSec, tsNsec: reader.tsNsec });
reader.close();
let s = seed >>> 0;
const random = () => { s = (s + 0x6d2b79f5) >>> 0; let t = Math.imul(s ^ (s >>> 15), 1 | s); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const window = 6;
const order = packets.map((_, i) => i);
const isSyn = (d: Buffer) => { const dec = new MirrorDecoder(); dec.decodeCaptured(d, 0, d.length, 1); const i = dec.inner; return i.protocol === 6 && (i.tcp.flags & 0x12) === 0x02; };
const syn = packets.map((p) => isSyn(p.data));
for (let i = 0; i < order.length; i++) { const j = Math.min(order.length - 1, i + Math.floor(random() * window)); if (syn[order[i]] || syn[order[j]]) continue; [order[i], order[j]] = [order[j], order[i]]; }
const sent: number[] = [];
for (let i = 0; i < order.length; i++) { sent.push(order[i]); if (random() < 0.1 && !syn[order[i]]) sent.splice(Math.max(0, sent.length - Math.floor(random() * window)), 0, order[i]); }
const p = new MirrorPipeline({ onRecord: () => {} });
const r: any = p.transactions!.reassembler;
const origGap = r.gap.bind(r);
let cur = -1;
r.gap = (i: number, slot: number, dir: number, len: number, now: number) => { console.log('GAP', { pkt: cur, slot, dir, len, next: r.next[i], state: r.state[i], pendSince: r.pendSince[i], now }); console.log(new Error().stack!.split('\n').slice(2, 6).join('\n')); origGap(i, slot, dir, len, now); };
const origSeg = r.segment.bind(r);
r.segment = (slot: number, dir: number, seq: number, ack: number, flags: number, buf: any, off: number, cap: number, len: number, now: number) => { if (process.env.TRACE === String(slot)) console.log('SEG', cur, JSON.stringify({ dir, seq, ack, flags: flags.toString(16), len, now, next: [r.next[slot*2], r.next[slot*2+1]], st: [r.state[slot*2], r.state[slot*2+1]] })); origSeg(slot, dir, seq, ack, flags, buf, off, cap, len, now); };
sent.forEach((idx, k) => { cur = idx; const at = packets[Math.min(k, packets.length - 1)]; const d = packets[idx].data; p.handleCaptured(d, 0, d.length, 1, at.tsSec, at.tsNsec); });
p.finish();
