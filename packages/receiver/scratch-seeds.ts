import { CaptureReader, MirrorDecoder, PcapWriter } from '@fargate-mirror/wire';
import { MirrorPipeline } from './dist/index.js';
const input = '/tmp/fmtx/lab-outer.pcap';
const reader = CaptureReader.open(input);
const packets: any[] = [];
while (reader.next()) packets.push({ data: Buffer.from(reader.buf.subarray(reader.offset, reader.offset + reader.capturedLength)), linkType: reader.linkType, tsSec: reader.tsSec, tsNsec: reader.tsNsec });
reader.close();
for (let seed = 1; seed < 40; seed++) {
  let s = seed >>> 0;
  const random = () => { s = (s + 0x6d2b79f5) >>> 0; let t = Math.imul(s ^ (s >>> 15), 1 | s); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  const window = 6;
  const order = packets.map((_, i) => i);
  const isSyn = (d: Buffer) => { const dec = new MirrorDecoder(); dec.decodeCaptured(d, 0, d.length, 1); const i = dec.inner; return i.protocol === 6 && (i.tcp.flags & 0x12) === 0x02; };
const syn = packets.map((p) => isSyn(p.data));
for (let i = 0; i < order.length; i++) { const j = Math.min(order.length - 1, i + Math.floor(random() * window)); if (syn[order[i]] || syn[order[j]]) continue; const ti = packets[order[i]].tsSec * 1e6 + packets[order[i]].tsNsec / 1e3; const tj = packets[order[j]].tsSec * 1e6 + packets[order[j]].tsNsec / 1e3; if (Math.abs(ti - tj) > 50_000) continue; [order[i], order[j]] = [order[j], order[i]]; }
  const sent: number[] = [];
  for (let i = 0; i < order.length; i++) { sent.push(order[i]); if (random() < 0.1 && !syn[order[i]]) sent.splice(Math.max(0, sent.length - Math.floor(random() * window)), 0, order[i]); }
  const recs: any[] = [];
  const p = new MirrorPipeline({ onRecord: (r) => recs.push(r) });
  sent.forEach((idx, k) => { const at = packets[Math.min(k, packets.length - 1)]; const d = packets[idx].data; p.handleCaptured(d, 0, d.length, 1, at.tsSec, at.tsNsec); });
  p.finish();
  const st = p.transactions!.reassemblyStats;
  const bad = recs.filter((r) => r.type === 'flow' && r.missed_bytes > 0).map((r) => `${r.src_port}->${r.dest_port} missed ${r.missed_bytes}`);
  const tx = recs.filter((r) => r.type !== 'flow').length;
  if (st.gaps || tx !== 19) console.log(seed, JSON.stringify(st), tx, bad);
}
