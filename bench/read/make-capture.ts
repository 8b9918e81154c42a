// Builds a large capture of mirrored traffic by replicating a small capture of real traffic: each
// replica shifts the inner addresses (IPv4: third octet and last octet; IPv6: last group) so that
// every replica is a distinct set of flows, as if many tasks were mirrored at once.
import { CaptureReader, LinkType, MirrorDecoder, PcapWriter } from '@fargate-mirror/wire';

export function makeReplicatedCapture(seedFile: string, outFile: string, minPackets: number): number {
  const packets: { data: Buffer; linkType: number; tsSec: number; tsNsec: number }[] = [];
  const reader = CaptureReader.open(seedFile);
  while (reader.next()) {
    packets.push({
      data: Buffer.from(reader.buf.subarray(reader.offset, reader.offset + reader.capturedLength)),
      linkType: reader.linkType,
      tsSec: reader.tsSec,
      tsNsec: reader.tsNsec,
    });
  }
  reader.close();
  if (packets.length === 0) throw new Error(`${seedFile} holds no packets`);
  const decoder = new MirrorDecoder();
  const writer = PcapWriter.open(outFile, { linkType: packets[0].linkType });
  const t0 = packets[0].tsSec;
  const span = packets[packets.length - 1].tsSec - t0 + 1;
  let written = 0;
  for (let replica = 0; written < minPackets; replica++) {
    for (const p of packets) {
      const buf = Buffer.from(p.data);
      if (decoder.decodeCaptured(buf, 0, buf.length, p.linkType ?? LinkType.ETHERNET) === 0) {
        const inner = decoder.inner;
        if (inner.ipVersion === 4) {
          const src = inner.ipv4.srcOffset;
          // both addresses get the same shift, so both directions stay one flow
          for (const at of [src, src + 4]) {
            buf[at + 2] = (buf[at + 2] + (replica >>> 8)) & 0xff;
            buf[at + 3] = (buf[at + 3] + replica) & 0xff;
          }
        } else if (inner.ipVersion === 6) {
          for (const at of [inner.ipv6.srcOffset, inner.ipv6.dstOffset]) {
            buf.writeUInt16BE((buf.readUInt16BE(at + 12) + replica) & 0xffff, at + 12);
          }
        }
      }
      writer.write(buf, 0, buf.length, buf.length, t0 + replica * span + (p.tsSec - t0), p.tsNsec);
      written++;
    }
  }
  writer.close();
  return written;
}
