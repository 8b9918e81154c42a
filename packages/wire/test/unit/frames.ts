import { hex } from './hex.js';

/** An inner TCP SYN from 10.0.1.5:43210 to 10.0.2.9:80 with MSS, SACK-permitted, TS and WS options. */
export const innerTcpSyn = hex(`
  0a 00 00 00 00 02  0a 00 00 00 00 01   # ethernet dst, src
  08 00                                  # ethertype IPv4
  45 00 00 3c                            # v4, ihl 5, tos 0, total length 60
  1c 46 40 00                            # id 0x1c46, DF, offset 0
  40 06 00 00                            # ttl 64, proto TCP, checksum (unchecked)
  0a 00 01 05  0a 00 02 09               # src 10.0.1.5, dst 10.0.2.9
  a8 ca 00 50                            # sport 43210, dport 80
  00 00 03 e8  00 00 00 00               # seq 1000, ack 0
  a0 02 fa f0                            # data offset 10 (40 bytes), flags SYN, window 64240
  00 00 00 00                            # checksum, urgent pointer
  02 04 05 b4                            # MSS 1460
  04 02                                  # SACK permitted
  08 0a 00 00 00 7b 00 00 00 00          # timestamps val 123 ecr 0
  01                                     # NOP
  03 03 07                               # window scale 7
`);

/** VXLAN header, I flag set, VNI 0x00abcd, followed by the inner frame. */
export function vxlan(vni: number, inner: Buffer, flags = 0x08): Buffer {
  const h = Buffer.from([flags, 0, 0, 0, (vni >> 16) & 0xff, (vni >> 8) & 0xff, vni & 0xff, 0]);
  return Buffer.concat([h, inner]);
}

/** Outer Ethernet + IPv4 + UDP to `dport` around `payload`, from 172.31.5.10 to 172.31.9.20. */
export function outerUdp4(payload: Buffer, dport = 4789, sport = 49152): Buffer {
  const udpLength = 8 + payload.length;
  const total = 20 + udpLength;
  const eth = hex('02 00 00 00 00 aa  02 00 00 00 00 bb  08 00');
  const ip = hex(`
    45 00 ${(total >> 8).toString(16).padStart(2, '0')} ${(total & 0xff).toString(16).padStart(2, '0')}
    00 01 00 00  40 11 00 00
    ac 1f 05 0a  ac 1f 09 14   # 172.31.5.10 -> 172.31.9.20
  `);
  const udp = Buffer.from([
    sport >> 8,
    sport & 0xff,
    dport >> 8,
    dport & 0xff,
    udpLength >> 8,
    udpLength & 0xff,
    0,
    0,
  ]);
  return Buffer.concat([eth, ip, udp, payload]);
}
