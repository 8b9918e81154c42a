import { formatAddress, parseAddress } from '@fargate-mirror/wire';

const MAX_ENTRIES = 4096;

/**
 * Turns the sender address string Node gives for each datagram into address words, parsing each
 * distinct address once (the mirror sources are few: one per mirrored ENI). `::ffff:a.b.c.d` from a
 * dual-stack socket comes back as IPv4. A Map lookup by string allocates nothing.
 */
export class SenderAddressCache {
  private readonly entries = new Map<string, Uint32Array>();
  /** The native intake's last sender (words and family) and whether it is allowed. */
  private readonly lastWords = new Int32Array(5);
  private lastAllowed = true;
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

  /**
   * The native intake's form: the sender is already words (`meta[row + 1]` family, `meta[row + 2..5]`
   * words, as parseAddress writes them). Copies them into `out` and returns the family; the allow
   * decision is remembered for the last sender and looked up by address string (as `resolve` keeps
   * it) only when the sender changes.
   */
  resolveWords(meta: Int32Array, row: number, out: Uint32Array): number {
    const version = meta[row + 1];
    out[0] = meta[row + 2];
    out[1] = meta[row + 3];
    out[2] = meta[row + 4];
    out[3] = meta[row + 5];
    if (this.allows === undefined) {
      this.allowed = true;
      return version;
    }
    const last = this.lastWords;
    if (
      last[0] !== version ||
      last[1] !== meta[row + 2] ||
      last[2] !== meta[row + 3] ||
      last[3] !== meta[row + 4] ||
      last[4] !== meta[row + 5]
    ) {
      last[0] = version;
      for (let i = 0; i < 4; i++) last[i + 1] = meta[row + 2 + i];
      this.lastAllowed = version !== 0 && this.resolveAllowed(formatAddress(out, 0, version));
    }
    this.allowed = this.lastAllowed;
    return version;
  }

  private resolveAllowed(address: string): boolean {
    const scratch = new Uint32Array(4);
    this.resolve(address, scratch);
    return this.allowed;
  }
}
