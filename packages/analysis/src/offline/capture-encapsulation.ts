import { statSync } from 'node:fs';
import { CaptureReader } from '@fargate-mirror/wire';
import { MirrorPipeline } from '../pipeline/mirror-pipeline.js';

/** Packets looked at to tell a capture of mirror traffic from an ordinary one. */
const SNIFF_PACKETS = 10_000;
/** Flows a sniffer holds (older ones are evicted, which it never looks at). */
const SNIFF_FLOWS = 64;

/**
 * `auto`: a capture is mirror traffic when one of its first packets decapsulates (VXLAN or GENEVE on
 * the given ports or AWS's, outer fragments reassembled); a mirror target's capture holds other traffic
 * too (its own SSH, DNS, health checks), so one is enough. AWS's ports count even when the caller
 * moved or turned one off: such a capture is still mirror traffic, only not on the ports to decode.
 * Otherwise it is an ordinary capture.
 */
export function resolveEncapsulation(
  file: string,
  wanted: 'auto' | 'mirror' | 'none',
  ports: { readonly vxlanPort?: number; readonly genevePort?: number },
): 'mirror' | 'none' {
  if (wanted !== 'auto') return wanted;
  if (!readableTwice(file)) return 'mirror';
  const reader = CaptureReader.open(file);
  try {
    const sniffers = [ports, {}].map(
      (p) =>
        new MirrorPipeline({
          onRecord: () => {},
          vxlanPort: p.vxlanPort,
          genevePort: p.genevePort,
          transactions: false,
          dedup: false,
          // Only whether a packet decapsulates counts: a full-size flow table would cost more to
          // set up than the sniffing itself.
          flows: { capacity: SNIFF_FLOWS },
        }),
    );
    for (let i = 0; i < SNIFF_PACKETS && reader.next(); i++) {
      for (const sniffer of sniffers) {
        sniffer.handleCaptured(
          reader.buf,
          reader.offset,
          reader.capturedLength,
          reader.linkType,
          reader.tsSec,
          reader.tsNsec,
        );
        if (sniffer.stats.mirrored > 0) return 'mirror';
      }
    }
    return 'none';
  } finally {
    reader.close();
  }
}

/**
 * Whether `file` can be opened and read again from the start: a regular file. Standard input (`-`),
 * a pipe (`<(...)`, a FIFO) or a device can be read once, so nothing may look at it before the read.
 */
export function readableTwice(file: string): boolean {
  if (file === '-') return false;
  // A path that does not exist is left to the reader, which names the problem.
  return statSync(file, { throwIfNoEntry: false })?.isFile() ?? true;
}
