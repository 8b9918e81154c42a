import { parseAddress } from '@fargate-mirror/wire';

const MAX_ENTRIES = 4096;

/**
 * Turns the sender address string Node gives for each datagram into address words, parsing each
 * distinct address once (the mirror sources are few: one per mirrored ENI). `::ffff:a.b.c.d` from a
 * dual-stack socket comes back as IPv4. A Map lookup by string allocates nothing.
 */
export class SenderAddressCache {
  private readonly entries = new Map<string, Uint32Array>();
  /** Whether the address of the last `resolve` is an accepted mirror source. */
  allowed = true;

  /** `allows` decides, once per distinct address, whether its datagrams are accepted (default: all). */
  constructor(private readonly allows?: (address: string) => boolean) {}

  /** Copies the words of `address` into `out`; returns its family, 4 or 6 (0 if unparseable). */
  resolve(address: string, out: Uint32Array): number {
    let entry = this.entries.get(address);
    if (entry === undefined) {
      entry = new Uint32Array(6);
      entry[4] = parseAddress(address, entry, 0);
      entry[5] = this.allows === undefined || this.allows(address) ? 1 : 0;
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(address, entry);
    }
    out[0] = entry[0];
    out[1] = entry[1];
    out[2] = entry[2];
    out[3] = entry[3];
    this.allowed = entry[5] === 1;
    return entry[4];
  }
}
