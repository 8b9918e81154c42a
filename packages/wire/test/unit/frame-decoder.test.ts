import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/capture/link-type.js';
import { DecodeStatus } from '../../src/decode-status.js';
import { FrameDecoder } from '../../src/frame-decoder.js';
import { TcpFlag } from '../../src/layers/tcp.js';
import { innerTcpSyn } from './frames.js';
import { hex } from './hex.js';

describe('FrameDecoder', () => {
  it('decodes Ethernet/IPv4/TCP with options', () => {
    const d = new FrameDecoder();
    expect(d.decode(innerTcpSyn, 0, innerTcpSyn.length, LinkType.ETHERNET)).toBe(DecodeStatus.OK);
    expect(d.ipVersion).toBe(4);
    expect(d.ipLength).toBe(60);
    expect(d.protocol).toBe(6);
    expect([d.srcPort, d.dstPort]).toEqual([43210, 80]);
    expect(d.tcp.flags).toBe(TcpFlag.SYN);
    expect(d.tcp.seq).toBe(1000);
    expect(d.tcp.headerLength).toBe(40);
    expect(d.truncated).toBe(false);
    d.tcp.parseOptions(innerTcpSyn);
    expect(d.tcp.mss).toBe(1460);
    expect(d.tcp.sackPermitted).toBe(true);
    expect(d.tcp.timestampValue).toBe(123);
    expect(d.tcp.windowScale).toBe(7);
    expect(Array.from(d.addressWords)).toEqual([0, 0, 0xffff, 0x0a000105, 0, 0, 0xffff, 0x0a000209]);
  });

  it('keeps header lengths and flags truncation when the mirror cut the packet', () => {
    const d = new FrameDecoder();
    // Cut inside the TCP options: ports and flags are still there.
    const cut = innerTcpSyn.subarray(0, 14 + 20 + 24);
    expect(d.decode(cut, 0, cut.length, LinkType.ETHERNET)).toBe(DecodeStatus.OK);
    expect(d.truncated).toBe(true);
    expect(d.ipLength).toBe(60);
    expect(d.hasPorts).toBe(true);
    expect(d.tcp.headerComplete).toBe(false);
    expect(d.tcp.flags).toBe(TcpFlag.SYN);
  });

  it('walks 802.1Q and QinQ tags', () => {
    const frame = Buffer.concat([
      hex(`
        0a 00 00 00 00 02  0a 00 00 00 00 01   # dst, src
        88 a8  00 64                           # 802.1ad S-tag, VID 100
        81 00  20 c8                           # 802.1Q C-tag, PCP 1, VID 200
        08 00                                  # IPv4
      `),
      innerTcpSyn.subarray(14),
    ]);
    const d = new FrameDecoder();
    expect(d.decode(frame, 0, frame.length, LinkType.ETHERNET)).toBe(DecodeStatus.OK);
    expect(d.ethernet.vlanCount).toBe(2);
    expect(d.ethernet.outerVlanId).toBe(100);
    expect(d.ethernet.innerVlanId).toBe(200);
    expect(d.dstPort).toBe(80);
  });

  it('decodes Linux cooked SLL and SLL2 headers', () => {
    const ip = innerTcpSyn.subarray(14);
    const sll = Buffer.concat([
      hex('00 04  00 01  00 06  0a 00 00 00 00 01 00 00  08 00'), // outgoing, ARPHRD_ETHER, addr len 6, addr, IPv4
      ip,
    ]);
    const sll2 = Buffer.concat([
      hex('08 00  00 00  00 00 00 03  00 01  04  06  0a 00 00 00 00 01 00 00'), // IPv4, rsvd, ifindex 3, ARPHRD, outgoing, len 6, addr
      ip,
    ]);
    const d = new FrameDecoder();
    expect(d.decode(sll, 0, sll.length, LinkType.LINUX_SLL)).toBe(DecodeStatus.OK);
    expect(d.cooked.packetType).toBe(4);
    expect(d.dstPort).toBe(80);
    expect(d.decode(sll2, 0, sll2.length, LinkType.LINUX_SLL2)).toBe(DecodeStatus.OK);
    expect(d.cooked.interfaceIndex).toBe(3);
    expect(d.dstPort).toBe(80);
  });

  it('recognises ARP without analysing it', () => {
    const arp = hex(`
      ff ff ff ff ff ff  0a 00 00 00 00 01  08 06   # broadcast, ARP
      00 01 08 00 06 04 00 01                      # ethernet/IPv4 request
      0a 00 00 00 00 01  0a 00 01 05               # sender
      00 00 00 00 00 00  0a 00 02 09               # target
    `);
    const d = new FrameDecoder();
    expect(d.decode(arp, 0, arp.length, LinkType.ETHERNET)).toBe(DecodeStatus.NOT_IP);
    expect(d.isArp).toBe(true);
  });

  it('decodes IPv4 options and fragments', () => {
    const frag = hex(`
      46 00 00 24              # v4, ihl 6 (one option word), total 36
      00 07 20 00              # id 7, MF, offset 0
      40 11 00 00              # ttl 64, UDP
      0a 00 00 01  0a 00 00 02
      01 01 01 00              # options: NOP NOP NOP EOL
      30 39 00 35 00 30 00 00  # UDP 12345 -> 53, length 48 (more in the next fragment)
      de ad be ef              # 4 payload bytes
    `);
    const d = new FrameDecoder();
    // The UDP length (48) exceeds what this fragment holds; that is normal for a first fragment.
    d.decode(frag, 0, frag.length, LinkType.RAW);
    expect(d.ipv4.headerLength).toBe(24);
    expect(d.isFragment).toBe(true);
    expect(d.ipv4.moreFragments).toBe(true);
    const later = Buffer.from(frag);
    later[6] = 0x00;
    later[7] = 0x03; // offset 3 * 8 = 24 bytes, last fragment
    expect(d.decode(later, 0, later.length, LinkType.RAW)).toBe(DecodeStatus.OK);
    expect(d.ipv4.fragmentOffset).toBe(24);
    expect(d.hasPorts).toBe(false);
  });

  it('walks IPv6 extension headers to the transport header', () => {
    const pkt = hex(`
      60 00 00 00  00 28 00 40          # v6, payload length 40, next hop-by-hop, hop limit 64
      fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01
      fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 02
      3c 00 01 04 00 00 00 00           # hop-by-hop: next dest-opts, len 0 (8 bytes), PadN
      2c 00 01 04 00 00 00 00           # dest-opts: next fragment, 8 bytes
      11 00 00 00 00 00 00 2a           # fragment: next UDP, offset 0, M=0, id 42 (atomic fragment)
      c0 00 00 35 00 10 00 00           # UDP 49152 -> 53, length 16
      01 02 03 04 05 06 07 08           # payload
    `);
    const d = new FrameDecoder();
    expect(d.decode(pkt, 0, pkt.length, LinkType.RAW)).toBe(DecodeStatus.OK);
    expect(d.ipVersion).toBe(6);
    expect(d.protocol).toBe(17);
    expect(d.ipLength).toBe(80);
    expect(d.ipv6.hasFragmentHeader).toBe(true);
    expect(d.ipv6.fragmentIdentification).toBe(42);
    expect(d.isFragment).toBe(false); // atomic fragment: offset 0 and no more fragments
    expect([d.srcPort, d.dstPort]).toEqual([49152, 53]);
    expect(d.udp.payloadLength).toBe(8);
  });

  it('maps ICMP and ICMPv6 echo to Community ID port pairs', () => {
    const echo = hex(`
      45 00 00 1c 00 00 00 00 40 01 00 00 0a 00 00 01 0a 00 00 02
      08 00 00 00 12 34 00 01          # echo request, id 0x1234, seq 1
    `);
    const d = new FrameDecoder();
    expect(d.decode(echo, 0, echo.length, LinkType.RAW)).toBe(DecodeStatus.OK);
    expect([d.srcPort, d.dstPort, d.icmpOneWay]).toEqual([8, 0, false]);
    expect(d.icmp.identifier).toBe(0x1234);
    const unreachable = Buffer.from(echo);
    unreachable[20] = 3;
    unreachable[21] = 1;
    d.decode(unreachable, 0, unreachable.length, LinkType.RAW);
    expect([d.srcPort, d.dstPort, d.icmpOneWay]).toEqual([3, 1, true]);
  });

  it('reports bad headers as statuses, never throwing', () => {
    const d = new FrameDecoder();
    expect(d.decode(hex('45 00'), 0, 2, LinkType.RAW)).toBe(DecodeStatus.IPV4_TOO_SHORT);
    expect(
      d.decode(hex('44 00 00 14 00 00 00 00 40 06 00 00 0a 00 00 01 0a 00 00 02'), 0, 20, LinkType.RAW),
    ).toBe(DecodeStatus.IPV4_BAD_HEADER_LENGTH);
    expect(
      d.decode(hex('45 00 00 10 00 00 00 00 40 06 00 00 0a 00 00 01 0a 00 00 02'), 0, 20, LinkType.RAW),
    ).toBe(DecodeStatus.IPV4_BAD_TOTAL_LENGTH);
    const badTcp = Buffer.from(innerTcpSyn);
    badTcp[14 + 20 + 12] = 0x30; // data offset 3 words
    expect(d.decode(badTcp, 0, badTcp.length, LinkType.ETHERNET)).toBe(DecodeStatus.TCP_BAD_DATA_OFFSET);
    expect(d.decode(innerTcpSyn, 0, innerTcpSyn.length, 9999)).toBe(DecodeStatus.UNSUPPORTED_LINK_TYPE);
  });
});
