export type { CaptureFormat, CaptureReaderOptions, CaptureStopReason } from './capture-reader.js';
export { CaptureReader } from './capture-reader.js';
export type { CaptureErrorCodeValue } from './errors.js';
export {
  CaptureError,
  CaptureErrorCode,
  CaptureFormatError,
  CaptureReadError,
  CaptureWriteError,
  isCaptureError,
} from './errors.js';
export { findIpv6FragmentHeader, isIpv4Fragment } from './ip-fragment.js';
export type {
  IpReassemblerOptions,
  ReassemblyDropReasonCode,
  ReassemblyStats,
  ReassemblyStatusCode,
} from './ip-reassembler.js';
export {
  IpReassembler,
  ReassemblyDropReason,
  ReassemblyStatus,
  reassemblyDropReasonNames,
  reassemblyStatusNames,
} from './ip-reassembler.js';
export type { LinkTypeValue } from './link-type.js';
export { LinkType } from './link-type.js';
export type { PcapWriterOptions } from './pcap-writer.js';
export { PcapWriter } from './pcap-writer.js';
