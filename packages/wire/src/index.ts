export { DECODE_STATUS_COUNT, DecodeStatus, type DecodeStatusCode, decodeStatusNames } from './decode-status.js';
export { WireError } from './errors.js';
export { FrameDecoder } from './frame-decoder.js';
export { Encapsulation, MirrorDecoder, type MirrorDecoderOptions, MirrorStage } from './mirror-decoder.js';
export { communityIdV1 } from './community-id.js';
export { formatAddress, formatIpv4, parseAddress } from './ip-format.js';
export { icmpPorts } from './icmp-ports.js';
export { EtherType, isVlanTag } from './layers/ether-type.js';
export { ETHERNET_HEADER_LENGTH, EthernetLayer, encodeEthernetHeader } from './layers/ethernet.js';
export { GENEVE_BASE_LENGTH, GENEVE_PORT, GeneveLayer, GeneveProtocol } from './layers/geneve.js';
export { IcmpLayer } from './layers/icmp.js';
export { IpProtocol } from './layers/ip-protocol.js';
export { IPV4_MIN_HEADER_LENGTH, Ipv4Layer } from './layers/ipv4.js';
export { IPV6_HEADER_LENGTH, Ipv6Layer } from './layers/ipv6.js';
export { LinuxCookedLayer, SLL2_HEADER_LENGTH, SLL_HEADER_LENGTH } from './layers/linux-cooked.js';
export { TCP_MIN_HEADER_LENGTH, TcpFlag, TcpLayer } from './layers/tcp.js';
export { UDP_HEADER_LENGTH, UdpLayer, encodeUdpHeader } from './layers/udp.js';
export { VXLAN_HEADER_LENGTH, VXLAN_PORT, VxlanLayer, encodeVxlanHeader } from './layers/vxlan.js';
export {
  CaptureError,
  CaptureFormatError,
  CaptureReader,
  CaptureWriteError,
  IpReassembler,
  LinkType,
  PcapWriter,
  ReassemblyStatus,
  findIpv6FragmentHeader,
  isIpv4Fragment,
} from './capture/index.js';
