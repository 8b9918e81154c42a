// Ground truth from tshark (Wireshark's dissectors, the reference decoder) over a capture taken on the
// mirrored interface itself: per-flow packets and bytes per direction, and the list of frames.
import { run } from './proc.ts';

export type GroundTruthTransport = 'tcp' | 'udp';

/** One flow as docs/design.md §4 counts it: src is the initiator, bytes are IP-layer lengths. */
export interface GroundTruthFlow {
  transport: GroundTruthTransport;
  src_ip: string;
  src_port: number;
  dest_ip: string;
  dest_port: number;
  packets_out: number;
  bytes_out: number;
  packets_in: number;
  bytes_in: number;
  /** Community ID v1 (seed 0) as tshark's communityid dissector computes it. */
  community_id: string;
}

/** ICMP/ICMPv6 traffic per unordered address pair (the CLI may key ICMP flows more finely). */
export interface GroundTruthIcmp {
  transport: 'icmp' | 'icmpv6';
  /** The two addresses, sorted. */
  ips: [string, string];
  packets: number;
  bytes: number;
}

export interface GroundTruth {
  flows: GroundTruthFlow[];
  icmp: GroundTruthIcmp[];
  /** Frames that carried no IP (ARP and the like). */
  nonIpFrames: number;
}

/** RFC 5952 text form (what `new URL` prints), so tshark's and our addresses compare as strings. */
export function canonicalIp(ip: string): string {
  return ip.includes(':') ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

/** Canonical 5-tuple key, the same whichever direction a packet travels. */
export function flowKey(transport: string, a: string, aPort: number, b: string, bPort: number): string {
  const ea = `${canonicalIp(a)}|${aPort}`;
  const eb = `${canonicalIp(b)}|${bPort}`;
  return ea < eb ? `${transport}|${ea}|${eb}` : `${transport}|${eb}|${ea}`;
}

const FIELDS = [
  'ip.src',
  'ip.dst',
  'ipv6.src',
  'ipv6.dst',
  'ip.proto',
  'ipv6.nxt',
  'ipv6.fraghdr.nxt',
  'ip.len',
  'ipv6.plen',
  'ip.frag_offset',
  'ip.flags.mf',
  'ipv6.fraghdr.offset',
  'ipv6.fraghdr.more',
  'tcp.srcport',
  'tcp.dstport',
  'udp.srcport',
  'udp.dstport',
  'tcp.flags.syn',
  'tcp.flags.ack',
  'communityid',
] as const;

/** tshark -T fields over FIELDS, first occurrence of each (the outermost header). */
async function tsharkFields(pcap: string, extraArgs: string[] = []): Promise<Record<string, string>[]> {
  const args = ['-r', pcap, '-n', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f'];
  // Reassembly off: every frame stands for itself, as a flow meter counts it.
  args.push('-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', ...extraArgs);
  // Community ID v1 from Wireshark's own implementation, an independent check of ours.
  args.push('--enable-protocol', 'communityid');
  for (const f of FIELDS) args.push('-e', f);
  const { stdout } = await run('tshark', args);
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const cols = line.split('\t');
      return Object.fromEntries(FIELDS.map((f, i) => [f, cols[i] ?? '']));
    });
}

const truthy = (v: string) => v === '1' || v === 'True' || v === 'true';

/**
 * Flows (TCP and UDP, keyed by canonical 5-tuple; src = SYN sender, else first sender) with packets
 * and bytes per direction, where bytes are ip.len (IPv4) or ipv6.plen + 40 (IPv6); ICMP per address
 * pair; the count of non-IP frames. IP fragments other than a first fragment carry no ports: they
 * count under ICMP when they belong to ICMP, and make this function throw for TCP/UDP (the lab's
 * traffic never fragments those, so that would mean a broken capture).
 */
export async function groundTruthFlows(pcap: string): Promise<GroundTruth> {
  const rows = await tsharkFields(pcap);
  const flows = new Map<string, GroundTruthFlow & { synSeen: boolean }>();
  const icmp = new Map<string, GroundTruthIcmp>();
  let nonIpFrames = 0;
  for (const r of rows) {
    const v6 = r['ip.src'] === '';
    if (v6 && r['ipv6.src'] === '') {
      nonIpFrames++;
      continue;
    }
    const src = canonicalIp(v6 ? r['ipv6.src'] : r['ip.src']);
    const dst = canonicalIp(v6 ? r['ipv6.dst'] : r['ip.dst']);
    const bytes = v6 ? Number(r['ipv6.plen']) + 40 : Number(r['ip.len']);
    const proto = Number(v6 ? r['ipv6.fraghdr.nxt'] || r['ipv6.nxt'] : r['ip.proto']);
    const fragment = v6
      ? r['ipv6.fraghdr.nxt'] !== ''
      : Number(r['ip.frag_offset'] || 0) !== 0 || truthy(r['ip.flags.mf']);
    if (proto === 1 || proto === 58) {
      const ips = [src, dst].sort() as [string, string];
      const transport = proto === 1 ? 'icmp' : 'icmpv6';
      const key = `${transport}|${ips[0]}|${ips[1]}`;
      const entry = icmp.get(key) ?? { transport, ips, packets: 0, bytes: 0 };
      entry.packets++;
      entry.bytes += bytes;
      icmp.set(key, entry);
      continue;
    }
    if (proto !== 6 && proto !== 17) continue;
    if (fragment)
      throw new Error(`ground truth: fragmented ${proto === 6 ? 'TCP' : 'UDP'} ${src} -> ${dst} in ${pcap}`);
    const transport = proto === 6 ? 'tcp' : 'udp';
    const sport = Number(r[`${transport}.srcport`]);
    const dport = Number(r[`${transport}.dstport`]);
    const key = flowKey(transport, src, sport, dst, dport);
    const isSyn = transport === 'tcp' && truthy(r['tcp.flags.syn']) && !truthy(r['tcp.flags.ack']);
    let flow = flows.get(key);
    if (!flow) {
      flow = {
        transport,
        src_ip: src,
        src_port: sport,
        dest_ip: dst,
        dest_port: dport,
        packets_out: 0,
        bytes_out: 0,
        packets_in: 0,
        bytes_in: 0,
        community_id: r['communityid'],
        synSeen: false,
      };
      flows.set(key, flow);
    }
    if (isSyn && !flow.synSeen) {
      // The SYN sender is the initiator even when an earlier packet (a retransmission, a late
      // segment of an older connection) came from the other side.
      flow.synSeen = true;
      if (flow.src_ip !== src || flow.src_port !== sport) {
        [flow.src_ip, flow.src_port, flow.dest_ip, flow.dest_port] = [src, sport, dst, dport];
        [flow.packets_out, flow.packets_in] = [flow.packets_in, flow.packets_out];
        [flow.bytes_out, flow.bytes_in] = [flow.bytes_in, flow.bytes_out];
      }
    }
    if (flow.src_ip === src && flow.src_port === sport) {
      flow.packets_out++;
      flow.bytes_out += bytes;
    } else {
      flow.packets_in++;
      flow.bytes_in += bytes;
    }
  }
  return {
    flows: [...flows.values()].map(({ synSeen: _, ...f }) => f),
    icmp: [...icmp.values()],
    nonIpFrames,
  };
}

export interface GroundTruthFrame {
  /** Capture time, seconds since the epoch, as tshark prints it (nanosecond digits). */
  timeEpoch: string;
  /** Original length on the wire. */
  len: number;
  /** Captured bytes, as lowercase hex. */
  hex: string;
}

/** Every frame of a capture as tshark reads it: time, wire length and the captured bytes. */
export async function groundTruthFrames(pcap: string): Promise<GroundTruthFrame[]> {
  const { stdout } = await run('tshark', ['-r', pcap, '-n', '-T', 'ek', '-x', '-J', 'frame']);
  const frames: GroundTruthFrame[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{"timestamp"')) continue;
    const doc = JSON.parse(line) as {
      layers: { frame_raw: string | string[]; frame: Record<string, string> };
    };
    const raw = doc.layers.frame_raw;
    frames.push({
      timeEpoch: doc.layers.frame['frame_frame_time_epoch'],
      len: Number(doc.layers.frame['frame_frame_len']),
      hex: Array.isArray(raw) ? raw[0] : raw,
    });
  }
  return frames;
}

export interface InnerFrame {
  timeEpoch: string;
  vni: number;
  /** The inner Ethernet frame carried after the VXLAN header, as lowercase hex. */
  hex: string;
}

export interface InnerFrames {
  frames: InnerFrame[];
  /** Outer frames tshark did not decode down to a VXLAN payload in this frame (e.g. IP fragments). */
  skipped: number;
}

/** indexOf for hex strings that only accepts matches starting on a byte (an even offset). */
function byteAlignedIndex(hex: string, needle: string): number {
  for (let at = hex.indexOf(needle); at >= 0; at = hex.indexOf(needle, at + 1)) {
    if (at % 2 === 0) return at;
  }
  return -1;
}

type EkLayers = Record<string, unknown> & { frame_raw: string; frame: Record<string, string> };
const asList = (v: unknown): string[] =>
  v === undefined ? [] : Array.isArray(v) ? (v as string[]) : [v as string];

/**
 * The inner frames of a capture of mirrored traffic, as tshark decodes it: for every frame with a
 * VXLAN layer (over UDP 4789, also inside GENEVE), the bytes after the VXLAN header up to the end of
 * that UDP datagram. Outer IP fragments are skipped (and counted): tshark reassembles them into a
 * separate buffer, so their inner frame is not in any one frame's bytes.
 */
export async function innerFramesFromOuter(pcap: string): Promise<InnerFrames> {
  const { stdout } = await run('tshark', ['-r', pcap, '-n', '-T', 'ek', '-x', '-o', 'ip.defragment:FALSE']);
  const frames: InnerFrame[] = [];
  let skipped = 0;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{"timestamp"')) continue;
    const layers = (JSON.parse(line) as { layers: EkLayers }).layers;
    const vxlanRaw = asList(layers['vxlan_raw'])[0];
    const vxlan = layers['vxlan'] as Record<string, string> | undefined;
    // The UDP header right before the VXLAN header (an inner DNS datagram has its own udp_raw).
    const udp = asList(layers['udp_raw']).find(
      (u) => vxlanRaw && byteAlignedIndex(layers.frame_raw, u + vxlanRaw) >= 0,
    );
    if (!udp || !vxlanRaw || !vxlan) {
      skipped++;
      continue;
    }
    const at = byteAlignedIndex(layers.frame_raw, udp + vxlanRaw);
    const udpLength = Number.parseInt(udp.slice(8, 12), 16);
    frames.push({
      timeEpoch: layers.frame['frame_frame_time_epoch'],
      vni: Number(vxlan['vxlan_vxlan_vni']),
      hex: layers.frame_raw.slice(at + 32, at + udpLength * 2),
    });
  }
  return { frames, skipped };
}
