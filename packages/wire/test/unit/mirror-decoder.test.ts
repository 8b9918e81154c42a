import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/capture/link-type.js';
import { DecodeStatus } from '../../src/decode-status.js';
import { Encapsulation, MirrorDecoder, MirrorStage } from '../../src/mirror-decoder.js';
import { innerTcpSyn, outerUdp4, vxlan } from './frames.js';
import { hex } from './hex.js';

describe('MirrorDecoder', () => {
  it('decodes outer Ethernet/IPv4/UDP 4789/VXLAN to the inner frame', () => {
    const pkt = outerUdp4(vxlan(0xabcd, innerTcpSyn));
    const d = new MirrorDecoder();
    expect(d.decodeCaptured(pkt, 0, pkt.length, LinkType.ETHERNET)).toBe(DecodeStatus.OK);
    expect(d.encapsulation).toBe(Encapsulation.VXLAN);
    expect(d.vni).toBe(0xabcd);
    expect(d.mirrorSourceVersion).toBe(4);
    expect(d.mirrorSourceWords[3]).toBe(0xac1f050a); // 172.31.5.10, the mirrored ENI
    expect(d.innerEnd - d.innerOffset).toBe(innerTcpSyn.length);
    expect(d.inner.dstPort).toBe(80);
  });

  it('tolerates reserved VXLAN bits but requires the I flag', () => {
    const d = new MirrorDecoder();
    const reserved = outerUdp4(vxlan(7, innerTcpSyn, 0x0c));
    expect(d.decodeCaptured(reserved, 0, reserved.length, LinkType.ETHERNET)).toBe(DecodeStatus.OK);
    const noI = outerUdp4(vxlan(7, innerTcpSyn, 0x00));
    expect(d.decodeCaptured(noI, 0, noI.length, LinkType.ETHERNET)).toBe(DecodeStatus.VXLAN_NO_VNI_FLAG);
    expect(d.stage).toBe(MirrorStage.VXLAN);
  });

  it('decodes GENEVE from a Gateway Load Balancer carrying the mirror IP/UDP/VXLAN packet', () => {
    const mirrorPacket = outerUdp4(vxlan(99, innerTcpSyn)).subarray(14); // IP/UDP/VXLAN/inner
    const geneve = Buffer.concat([
      hex(`
        02 00 08 00          # ver 0, opt len 2 words, protocol IPv4
        00 00 00 00          # VNI 0
        01 08 01 01          # option class 0x0108 (AWS), type 1, length 1 word
        00 00 00 2a          # option data
      `),
      mirrorPacket,
    ]);
    const pkt = outerUdp4(geneve, 6081);
    const d = new MirrorDecoder();
    expect(d.decodeCaptured(pkt, 0, pkt.length, LinkType.ETHERNET)).toBe(DecodeStatus.OK);
    expect(d.encapsulation).toBe(Encapsulation.GENEVE_VXLAN);
    expect(d.vni).toBe(99);
    expect(d.geneve.optionsLength).toBe(8);
    const options: number[][] = [];
    d.geneve.forEachOption(pkt, (cls, type, _off, len) => options.push([cls, type, len]));
    expect(options).toEqual([[0x0108, 1, 4]]);
    expect(d.inner.dstPort).toBe(80);
  });

  it('classifies non-mirror traffic at the outer stage', () => {
    const d = new MirrorDecoder();
    const other = outerUdp4(Buffer.from('hello'), 53);
    expect(d.decodeCaptured(other, 0, other.length, LinkType.ETHERNET)).toBe(DecodeStatus.NOT_MIRROR_PORT);
    expect(d.stage).toBe(MirrorStage.OUTER);
  });

  it('signals outer fragments for reassembly', () => {
    const pkt = outerUdp4(vxlan(1, innerTcpSyn));
    pkt[14 + 6] = 0x20; // MF
    const d = new MirrorDecoder();
    expect(d.decodeCaptured(pkt, 0, pkt.length, LinkType.ETHERNET)).toBe(DecodeStatus.OUTER_FRAGMENT);
  });
});
