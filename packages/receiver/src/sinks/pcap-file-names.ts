/** Suffix of a pcap file still being written; renamed to `.pcap` once complete. */
export const PCAP_TEMP_SUFFIX = '.pcap.tmp';
export const PCAP_SUFFIX = '.pcap';
/** A file a crashed worker left behind: complete up to its last flushed record. */
export const PCAP_PARTIAL_SUFFIX = '.partial.pcap';

/**
 * `fargate-mirror-w<worker>[-vni<vni>]-<UTC start time>-<sequence>`: names sort by start time within a
 * series, and the worker id keeps concurrent writers from ever sharing a file.
 */
export function pcapBaseName(
  workerId: number,
  vni: number | undefined,
  startMs: number,
  sequence: number,
): string {
  const stamp = new Date(startMs).toISOString().replace(/[-:]/g, '').replace('.', '');
  const series = vni === undefined ? `w${workerId}` : `w${workerId}-vni${vni}`;
  return `fargate-mirror-${series}-${stamp}-${String(sequence).padStart(6, '0')}`;
}

/** Matches the temporary files of one worker, e.g. to recover them after it crashed. */
export function isTempFileOfWorker(name: string, workerId: number): boolean {
  return name.startsWith(`fargate-mirror-w${workerId}-`) && name.endsWith(PCAP_TEMP_SUFFIX);
}
