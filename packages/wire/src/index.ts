export {
  CaptureError,
  CaptureFormatError,
  CaptureReader,
  CaptureWriteError,
  findIpv6FragmentHeader,
  IpReassembler,
  isIpv4Fragment,
  LinkType,
  PcapWriter,
  ReassemblyStatus,
} from './capture/index.js';
export {
  addWords,
  adjustChecksum,
  finishChecksum,
  pseudoHeaderSum,
  writeIpv4HeaderChecksum,
  writeL4Checksum,
} from './checksum.js';
export { communityIdV1 } from './community-id.js';
export {
  DECODE_STATUS_COUNT,
  DecodeStatus,
  type DecodeStatusCode,
  decodeStatusNames,
} from './decode-status.js';
export { type IpHeaderSpec, type TcpSegmentSpec, tcpSegment, udpDatagram } from './encode/ip-packet.js';
export { compareEndpoints, fmix32 } from './endpoint-order.js';
export { isWireError, WIRE_ERROR_CODES, WireError, type WireErrorCode } from './errors.js';
export { flowOwner } from './flow-affinity.js';
export {
  FLOW_KEY_META,
  FLOW_KEY_PORTS,
  FLOW_KEY_WORDS,
  FlowKey,
  flowKeyIpVersion,
  flowKeyProtocol,
  hashFlowKey,
} from './flow-key.js';
export { FrameDecoder } from './frame-decoder.js';
export { HandoffKind, HandoffRing } from './handoff-ring.js';
export { icmpPorts } from './icmp-ports.js';
export { formatAddress, formatIpv4, parseAddress } from './ip-format.js';
export { EtherType, isVlanTag } from './layers/ether-type.js';
export { ETHERNET_HEADER_LENGTH, EthernetLayer, encodeEthernetHeader } from './layers/ethernet.js';
export { GENEVE_BASE_LENGTH, GENEVE_PORT, GeneveLayer, GeneveProtocol } from './layers/geneve.js';
export { IcmpLayer } from './layers/icmp.js';
export { IpProtocol } from './layers/ip-protocol.js';
export { IPV4_MIN_HEADER_LENGTH, Ipv4Layer } from './layers/ipv4.js';
export { IPV6_HEADER_LENGTH, Ipv6Layer } from './layers/ipv6.js';
export { LinuxCookedLayer, SLL_HEADER_LENGTH, SLL2_HEADER_LENGTH } from './layers/linux-cooked.js';
export { TCP_MIN_HEADER_LENGTH, TcpFlag, TcpLayer } from './layers/tcp.js';
export { encodeUdpHeader, UDP_HEADER_LENGTH, UdpLayer } from './layers/udp.js';
export { encodeVxlanHeader, VXLAN_HEADER_LENGTH, VXLAN_PORT, VxlanLayer } from './layers/vxlan.js';
export { Encapsulation, MirrorDecoder, type MirrorDecoderOptions, MirrorStage } from './mirror-decoder.js';
export { restrictOpenFile } from './private-file.js';
