// The native forward path's configuration (fm-capture -C FILE): everything it needs to do the
// per-packet work of FrameEncapsulator - the mirror filter rules in evaluation order, the task's
// addresses, sizes, the VNI, where to send and from which ports. The rules are parsed and validated
// here (MirrorFilter); the file carries them already compiled (CIDRs as words and a 128-bit prefix),
// so the C side only evaluates them. One line per setting, `key value...`.
import { readFileSync } from 'node:fs';
import { type Cidr, parseCidr } from './cidr.js';
import type { MirrorFilterRule } from './mirror-filter.js';

export interface NativeForwardConfig {
  readonly vni: number;
  readonly maxInnerFrame: number;
  readonly interfaceMtu: number;
  readonly packetLength?: number;
  readonly truncateSuperframes: boolean;
  readonly splitOversize: boolean;
  /** Send a super-frame's segments as UDP GSO messages. @default true */
  readonly udpGso?: boolean;
  readonly rules: readonly MirrorFilterRule[];
  readonly taskAddressWords: readonly Uint32Array[];
  readonly to: { readonly family: 4 | 6; readonly address: string; readonly port: number };
  /** The forwarder's own UDP source ports: fm-capture binds the same ones (SO_REUSEPORT). */
  readonly sourcePorts: readonly number[];
}

const cidrText = (c: Cidr) => `${c.ipVersion} ${Array.from(c.words).join(' ')} ${c.prefix128}`;

function ruleLine(r: MirrorFilterRule): string {
  const src = parseCidr(r.sourceCidrBlock) as Cidr; // validated by MirrorFilter before
  const dst = parseCidr(r.destinationCidrBlock) as Cidr;
  const range = (p: MirrorFilterRule['sourcePortRange']) =>
    p === undefined ? '-1 -1' : `${p.fromPort} ${p.toPort}`;
  return [
    'rule',
    r.direction,
    r.action === 'accept' ? 1 : 0,
    r.protocol ?? -1,
    range(r.sourcePortRange),
    range(r.destinationPortRange),
    cidrText(src),
    cidrText(dst),
  ].join(' ');
}

/** The file's text. Rules go in MirrorFilter's order: per direction, ascending rule number. */
export function nativeForwardConfigText(c: NativeForwardConfig): string {
  const lines = [
    `vni ${c.vni}`,
    `max-inner-frame ${c.maxInnerFrame}`,
    `interface-mtu ${c.interfaceMtu}`,
    `packet-length ${c.packetLength ?? 0}`,
    `truncate-superframes ${c.truncateSuperframes ? 1 : 0}`,
    `split-oversize ${c.splitOversize ? 1 : 0}`,
    `udp-gso ${c.udpGso === false ? 0 : 1}`,
    `to ${c.to.family} ${c.to.address} ${c.to.port}`,
    ...c.sourcePorts.map((p) => `source-port ${p}`),
    ...c.taskAddressWords.map((w) => `task ${Array.from(w).join(' ')}`),
    ...[...c.rules].sort((a, b) => a.ruleNumber - b.ruleNumber).map(ruleLine),
  ];
  return `${lines.join('\n')}\n`;
}

/** The counters fm-capture reports (`fm-stats name=value ...`), by ForwarderStats' names. */
export type NativeCounters = Record<string, number>;

/** Parses one `fm-stats` line; undefined for any other line. */
export function parseNativeStatsLine(line: string): NativeCounters | undefined {
  if (!line.startsWith('fm-stats ')) return undefined;
  const counters: NativeCounters = {};
  for (const field of line.slice(9).trim().split(' ')) {
    const eq = field.indexOf('=');
    if (eq > 0) counters[field.slice(0, eq)] = Number(field.slice(eq + 1));
  }
  return counters;
}

const ETHERNET_TYPES = new Set([1, 772]); // ARPHRD_ETHER, ARPHRD_LOOPBACK (a zeroed Ethernet header)

/** Whether the interface's frames carry an Ethernet header, as the native forward path requires. */
export function interfaceIsEthernet(name: string): boolean {
  try {
    return ETHERNET_TYPES.has(Number(readFileSync(`/sys/class/net/${name}/type`, 'utf8').trim()));
  } catch {
    return false;
  }
}
