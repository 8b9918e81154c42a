import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Inodes of this process's sockets (worker threads share the process's descriptors). */
export function ownSocketInodes(): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

export interface UdpSocketRow {
  readonly inode: string;
  readonly localPort: number;
  readonly rxQueueBytes: number;
  readonly drops: number;
}

/** The rows of /proc/net/udp and /proc/net/udp6 (the `drops` column is per socket). */
export function readUdpSocketTable(): UdpSocketRow[] {
  const rows: UdpSocketRow[] = [];
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // no IPv6 on this host
    }
    const lines = text.split('\n');
    for (let i = 1; i < lines.length; i++) {
      const cols = lines[i].trim().split(/\s+/);
      if (cols.length < 13) continue;
      const localPort = Number.parseInt(cols[1].slice(cols[1].lastIndexOf(':') + 1), 16);
      const rxQueueBytes = Number.parseInt(cols[4].split(':')[1] ?? '0', 16);
      rows.push({ inode: cols[9], localPort, rxQueueBytes, drops: Number(cols[12]) });
    }
  }
  return rows;
}

/**
 * Tracks datagrams the kernel dropped on our receive sockets (receive buffer full): the per-socket
 * `drops` of /proc/net/udp{,6} for the sockets this process holds on the mirror ports. Sockets come
 * and go (a restarted worker): the total only ever grows by each socket's own increase.
 */
export class KernelDropMonitor {
  total = 0;
  rxQueueBytes = 0;
  sockets = 0;
  private last = new Map<string, number>();
  private lastRingDrops = 0;

  /**
   * `ports`: the mirror ports whose sockets' drops count (none for the afpacket intake, whose sockets
   * drop every datagram by design); `ringDrops`: the afpacket intake's drops so far, over all workers.
   */
  constructor(
    private readonly ports: readonly number[],
    private readonly ringDrops?: () => number,
  ) {}

  /** Reads the counters; returns how many drops are new since the previous call. */
  poll(): number {
    const inodes = ownSocketInodes();
    const next = new Map<string, number>();
    let added = 0;
    let queued = 0;
    for (const row of readUdpSocketTable()) {
      if (!this.ports.includes(row.localPort) || !inodes.has(row.inode)) continue;
      next.set(row.inode, row.drops);
      queued += row.rxQueueBytes;
      const before = this.last.get(row.inode) ?? 0;
      if (row.drops > before) added += row.drops - before;
    }
    this.last = next;
    const ring = this.ringDrops?.() ?? 0;
    if (ring > this.lastRingDrops) added += ring - this.lastRingDrops;
    this.lastRingDrops = ring;
    this.total += added;
    this.rxQueueBytes = queued;
    this.sockets = next.size;
    return added;
  }
}
