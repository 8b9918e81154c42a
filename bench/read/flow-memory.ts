// Memory of the flow table holding 1M concurrent flows (run with --expose-gc).
import { FlowTable } from '@fargate-mirror/analysis';
import { FrameDecoder, LinkType } from '@fargate-mirror/wire';

const FLOWS = 1_000_000;
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const before = process.memoryUsage();
const table = new FlowTable(() => {}, { capacity: FLOWS });
const pkt = Buffer.alloc(28);
pkt[0] = 0x45;
pkt.writeUInt16BE(28, 2);
pkt[9] = 17;
pkt.writeUInt32BE(0x0a000001, 12);
pkt.writeUInt16BE(8, 24);
const d = new FrameDecoder();
const t0 = process.hrtime.bigint();
for (let i = 0; i < FLOWS; i++) {
  pkt.writeUInt32BE((0x0b000000 + i) >>> 0, 16);
  pkt.writeUInt16BE(1024 + (i & 0x7fff), 20);
  d.decode(pkt, 0, pkt.length, LinkType.RAW);
  table.update(d, 0, i, 1, -1);
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
gc?.();
const after = process.memoryUsage();
const mb = (n: number) => (n / 1024 / 1024).toFixed(0);
console.log(
  `flow table: ${table.size} concurrent flows; heap +${mb(after.heapUsed - before.heapUsed)} MiB, ` +
    `typed arrays +${mb(after.arrayBuffers - before.arrayBuffers)} MiB, rss ${mb(after.rss)} MiB; ` +
    `${(FLOWS / seconds / 1e6).toFixed(2)} M new flows/s`,
);
