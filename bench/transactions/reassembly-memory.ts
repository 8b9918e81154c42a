// Memory of 100k concurrent reassembling flows: each flow has had its handshake and half an HTTP
// request head (so its reader holds the split head in a pooled buffer) and one segment that arrived
// ahead of a hole (held by reassembly). Run with --expose-gc: node --expose-gc bench/transactions/reassembly-memory.ts

import { type FlowTable, MirrorPipeline, type MirrorPointRegistry } from '@fargate-mirror/analysis';
import { FrameDecoder, LinkType } from '@fargate-mirror/wire';

const FLOWS = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

function packet(client: number, port: number, seq: number, flags: number, payload: string): Buffer {
  const p = Buffer.from(payload, 'latin1');
  const b = Buffer.alloc(40 + p.length);
  b[0] = 0x45;
  b.writeUInt16BE(40 + p.length, 2);
  b[8] = 64;
  b[9] = 6;
  b.writeUInt32BE(client, 12);
  b.writeUInt32BE(0x0a640001, 16);
  b.writeUInt16BE(port, 20);
  b.writeUInt16BE(8080, 22);
  b.writeUInt32BE(seq, 24);
  b[32] = 0x50;
  b[33] = flags;
  p.copy(b, 40);
  return b;
}

const usage = () => {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external + m.arrayBuffers, rss: m.rss };
};

const before = usage();
// The same components the pipeline uses, sized for the flows (the pipeline's default table holds 262144).
const records: unknown[] = [];
const pipeline = new MirrorPipeline({ onRecord: (r) => records.push(r), flows: { capacity: 131_072 } });
const afterCreate = usage();
const engine = pipeline.transactions!;
const table: FlowTable = pipeline.flows;
const points: MirrorPointRegistry = pipeline.mirrorPoints;
const d = new FrameDecoder();
const point = points.idOf(42, new Uint32Array([0, 0, 0xffff, 0x0a4d0201]), 4);
const feed = (b: Buffer, now: number) => {
  d.decode(b, 0, b.length, LinkType.RAW);
  const slot = table.update(d, 0, now, 42, point);
  engine.packet(slot, d, b, now);
};
const head = 'GET /api/v1/orders/42/items?page=1 HTTP/1.1\r\nHost: orders.svc.local\r\nUser-Agent: Go-http-';
for (let i = 0; i < FLOWS; i++) {
  const client = (0x0a010001 + i) >>> 0;
  const port = 10000 + (i % 50000);
  feed(packet(client, port, 1000, 0x02, ''), i);
  feed(packet(client, port, 1001, 0x18, head), i); // half a head: the reader keeps it
  feed(packet(client, port, 1001 + head.length + 100, 0x18, 'x'.repeat(200)), i); // ahead of a hole: held
}
const afterFlows = usage();
const perFlow = (bytes: number) => `${(bytes / FLOWS).toFixed(0)} B/flow`;
console.log(
  `memory with ${FLOWS} concurrent reassembling flows (each: split head + one held out-of-order segment):`,
);
console.log(
  `  tables (flow table 131072 + reassembly + sessions, preallocated): heap +${((afterCreate.heap - before.heap) / 1e6).toFixed(1)} MB, buffers +${((afterCreate.external - before.external) / 1e6).toFixed(1)} MB`,
);
console.log(
  `  flows: heap +${((afterFlows.heap - afterCreate.heap) / 1e6).toFixed(1)} MB (${perFlow(afterFlows.heap - afterCreate.heap)}), buffers +${((afterFlows.external - afterCreate.external) / 1e6).toFixed(1)} MB (${perFlow(afterFlows.external - afterCreate.external)}); rss ${(afterFlows.rss / 1e6).toFixed(0)} MB`,
);
const pool = engine.reassembler.pool.stats;
console.log(
  `  pool: ${(pool.inUseBytes / 1e6).toFixed(1)} MB in use of ${(engine.reassembler.pool.budgetBytes / 1e6).toFixed(0)} MB budget; held segments evicted: ${engine.reassemblyStats.evictedBuffers}; active flows ${table.stats.active}`,
);
