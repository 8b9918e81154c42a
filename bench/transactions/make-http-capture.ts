// Writes an HTTP-heavy capture of mirrored traffic: outer Ethernet/IPv4/UDP 4789/VXLAN around inner
// Ethernet/IPv4/TCP conversations, each a handshake, `perConnection` keep-alive request/response pairs
// (small JSON API calls, as service-to-service traffic looks) and a close. Checksums are left zero:
// neither tshark (by default) nor the receiver checks them.
import { PcapWriter } from '@fargate-mirror/wire';

const OUTER_SRC = 0x0a4d0201; // 10.77.2.1, the mirrored ENI
const OUTER_DST = 0x0a4d0202; // 10.77.2.2, the receiver
const SERVER = 0x0a640001; // 10.100.0.1:8080

function ipv4(buf: Buffer, off: number, total: number, protocol: number, src: number, dst: number): number {
  buf[off] = 0x45;
  buf[off + 1] = 0;
  buf.writeUInt16BE(total, off + 2);
  buf.writeUInt32BE(0x40000000, off + 4); // id 0, DF
  buf[off + 8] = 64;
  buf[off + 9] = protocol;
  buf.writeUInt16BE(0, off + 10);
  buf.writeUInt32BE(src >>> 0, off + 12);
  buf.writeUInt32BE(dst >>> 0, off + 16);
  return off + 20;
}

export interface HttpCaptureStats {
  packets: number;
  transactions: number;
  connections: number;
}

export function makeHttpCapture(file: string, connections: number, perConnection: number): HttpCaptureStats {
  const writer = PcapWriter.open(file);
  const frame = Buffer.alloc(2048);
  let packets = 0;
  let micros = 1_800_000_000_000_000;
  const emit = (
    client: number,
    clientPort: number,
    fromClient: boolean,
    seq: number,
    ack: number,
    flags: number,
    payload: Buffer | null,
  ) => {
    const payloadLength = payload?.length ?? 0;
    const innerIp = 20 + 20 + payloadLength;
    const inner = 14 + innerIp;
    const outerIp = 20 + 8 + 8 + inner;
    let p = 0;
    frame.fill(0, 0, 12); // outer MACs (irrelevant)
    frame.writeUInt16BE(0x0800, 12);
    p = ipv4(frame, 14, outerIp, 17, OUTER_SRC, OUTER_DST);
    frame.writeUInt16BE(40000 + (clientPort & 0xfff), p); // outer source port: a flow hash
    frame.writeUInt16BE(4789, p + 2);
    frame.writeUInt16BE(8 + 8 + inner, p + 4);
    frame.writeUInt16BE(0, p + 6);
    p += 8;
    frame[p] = 0x08; // VXLAN: I flag, VNI 42
    frame.writeUIntBE(0, p + 1, 3);
    frame.writeUIntBE(42, p + 4, 3);
    frame[p + 7] = 0;
    p += 8;
    frame.fill(0x02, p, p + 12);
    frame.writeUInt16BE(0x0800, p + 12);
    p += 14;
    const src = fromClient ? client : SERVER;
    const dst = fromClient ? SERVER : client;
    p = ipv4(frame, p, innerIp, 6, src, dst);
    frame.writeUInt16BE(fromClient ? clientPort : 8080, p);
    frame.writeUInt16BE(fromClient ? 8080 : clientPort, p + 2);
    frame.writeUInt32BE(seq >>> 0, p + 4);
    frame.writeUInt32BE(ack >>> 0, p + 8);
    frame[p + 12] = 0x50;
    frame[p + 13] = flags;
    frame.writeUInt16BE(64240, p + 14);
    frame.writeUInt32BE(0, p + 16);
    p += 20;
    if (payload !== null) {
      payload.copy(frame, p);
      p += payload.length;
    }
    micros += 7;
    writer.write(frame, 0, p, p, Math.floor(micros / 1e6), (micros % 1e6) * 1000);
    packets++;
  };
  const body = Buffer.from(
    JSON.stringify({ id: 1, items: [{ sku: 'abc-123', qty: 2, price: 1999 }], next: null }),
  );
  for (let c = 0; c < connections; c++) {
    const client = (0x0a010000 + (c >>> 8) * 256 + (c & 0xff) + 1) >>> 0;
    const port = 32768 + (c % 28000);
    let cs = 1000 + c * 7919;
    let ss = 50000 + c * 104729;
    emit(client, port, true, cs, 0, 0x02, null);
    emit(client, port, false, ss, cs + 1, 0x12, null);
    cs++;
    ss++;
    emit(client, port, true, cs, ss, 0x10, null);
    for (let t = 0; t < perConnection; t++) {
      const req = Buffer.from(
        `GET /api/v1/orders/${c}/items?page=${t}&token=s3cr3t HTTP/1.1\r\nHost: orders.svc.local:8080\r\n` +
          'User-Agent: Go-http-client/1.1\r\nAccept: application/json\r\nAccept-Encoding: gzip\r\n\r\n',
      );
      emit(client, port, true, cs, ss, 0x18, req);
      cs += req.length;
      const res = Buffer.concat([
        Buffer.from(
          'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Sat, 21 Nov 2026 05:00:00 GMT\r\n' +
            `Content-Length: ${body.length}\r\n\r\n`,
        ),
        body,
      ]);
      emit(client, port, false, ss, cs, 0x18, res);
      ss += res.length;
      emit(client, port, true, cs, ss, 0x10, null);
    }
    emit(client, port, true, cs, ss, 0x11, null);
    emit(client, port, false, ss, cs + 1, 0x11, null);
    emit(client, port, true, cs + 1, ss + 1, 0x10, null);
  }
  writer.close();
  return { packets, transactions: connections * perConnection, connections };
}
