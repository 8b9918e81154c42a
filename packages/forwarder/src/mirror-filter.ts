// The semantics of a VPC Traffic Mirroring filter, applied in the sidecar: rules per direction,
// evaluated in ascending rule number, the first rule that matches decides (accept or reject), and a
// packet no rule matches is not mirrored - AWS mirrors nothing unless a rule accepts it.
import { IpProtocol } from '@fargate-mirror/wire';
import { type Cidr, cidrContains, parseCidr } from './cidr.js';
import { ForwarderError, ForwarderErrorCode } from './errors.js';

export type TrafficDirection = 'ingress' | 'egress';

/** One rule, in the terms of CreateTrafficMirrorFilterRule. */
export interface MirrorFilterRule {
  readonly ruleNumber: number;
  readonly direction: TrafficDirection;
  readonly action: 'accept' | 'reject';
  /** IANA protocol number; absent = every protocol. */
  readonly protocol?: number;
  /** Only with protocol 6 (TCP) or 17 (UDP). */
  readonly sourcePortRange?: PortRange;
  readonly destinationPortRange?: PortRange;
  readonly sourceCidrBlock: string;
  readonly destinationCidrBlock: string;
  readonly description?: string;
}

export interface PortRange {
  readonly fromPort: number;
  readonly toPort: number;
}

interface CompiledRule {
  readonly ruleNumber: number;
  readonly accept: boolean;
  readonly protocol: number;
  readonly srcFrom: number;
  readonly srcTo: number;
  readonly dstFrom: number;
  readonly dstTo: number;
  readonly src: Cidr;
  readonly dst: Cidr;
}

const ANY = -1;

/** The rule set used without --filter: every packet, both directions, both address families. */
export const ACCEPT_ALL_RULES: readonly MirrorFilterRule[] = (['ingress', 'egress'] as const).flatMap(
  (direction) => [
    {
      ruleNumber: 100,
      direction,
      action: 'accept',
      sourceCidrBlock: '0.0.0.0/0',
      destinationCidrBlock: '0.0.0.0/0',
    },
    { ruleNumber: 101, direction, action: 'accept', sourceCidrBlock: '::/0', destinationCidrBlock: '::/0' },
  ],
);

export class MirrorFilter {
  private readonly ingress: CompiledRule[];
  private readonly egress: CompiledRule[];

  /** Throws a ForwarderError (BAD_FILTER) for a rule that AWS would refuse. */
  constructor(readonly rules: readonly MirrorFilterRule[]) {
    const problems = validateRules(rules);
    if (problems.length > 0) {
      throw new ForwarderError(ForwarderErrorCode.BAD_FILTER, `bad filter rules: ${problems.join('; ')}`);
    }
    const compile = (direction: TrafficDirection) =>
      rules
        .filter((r) => r.direction === direction)
        .sort((a, b) => a.ruleNumber - b.ruleNumber)
        .map(compileRule);
    this.ingress = compile('ingress');
    this.egress = compile('egress');
  }

  static acceptAll(): MirrorFilter {
    return new MirrorFilter(ACCEPT_ALL_RULES);
  }

  /**
   * Whether a packet is mirrored. `words` is FrameDecoder.addressWords (source, then destination);
   * ports count only when `hasPorts` and the protocol is TCP or UDP, as in AWS's rules.
   */
  accepts(
    ingress: boolean,
    ipVersion: number,
    protocol: number,
    words: Uint32Array,
    hasPorts: boolean,
    srcPort: number,
    dstPort: number,
  ): boolean {
    const rules = ingress ? this.ingress : this.egress;
    const portsKnown = hasPorts && (protocol === IpProtocol.TCP || protocol === IpProtocol.UDP);
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      if (r.protocol !== ANY && r.protocol !== protocol) continue;
      if (r.srcFrom !== ANY && (!portsKnown || srcPort < r.srcFrom || srcPort > r.srcTo)) continue;
      if (r.dstFrom !== ANY && (!portsKnown || dstPort < r.dstFrom || dstPort > r.dstTo)) continue;
      if (!cidrContains(r.src, ipVersion, words, 0)) continue;
      if (!cidrContains(r.dst, ipVersion, words, 4)) continue;
      return r.accept;
    }
    return false;
  }
}

function compileRule(r: MirrorFilterRule): CompiledRule {
  return {
    ruleNumber: r.ruleNumber,
    accept: r.action === 'accept',
    protocol: r.protocol ?? ANY,
    srcFrom: r.sourcePortRange?.fromPort ?? ANY,
    srcTo: r.sourcePortRange?.toPort ?? ANY,
    dstFrom: r.destinationPortRange?.fromPort ?? ANY,
    dstTo: r.destinationPortRange?.toPort ?? ANY,
    src: parseCidr(r.sourceCidrBlock) as Cidr,
    dst: parseCidr(r.destinationCidrBlock) as Cidr,
  };
}

/** Every reason AWS's CreateTrafficMirrorFilterRule would refuse one of these rules. */
export function validateRules(rules: readonly MirrorFilterRule[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const r of rules) {
    const where = `${r.direction} rule ${r.ruleNumber}`;
    if (!Number.isInteger(r.ruleNumber) || r.ruleNumber < 1 || r.ruleNumber > 32766) {
      problems.push(`${where}: rule number must be 1-32766`);
    }
    const key = `${r.direction}/${r.ruleNumber}`;
    if (seen.has(key)) problems.push(`${where}: rule numbers must be unique per direction`);
    seen.add(key);
    if (r.protocol !== undefined && (!Number.isInteger(r.protocol) || r.protocol < 0 || r.protocol > 255)) {
      problems.push(`${where}: protocol must be an IANA protocol number 0-255`);
    }
    for (const [name, range] of [
      ['sourcePortRange', r.sourcePortRange],
      ['destinationPortRange', r.destinationPortRange],
    ] as const) {
      if (range === undefined) continue;
      if (r.protocol !== IpProtocol.TCP && r.protocol !== IpProtocol.UDP)
        problems.push(`${where}: ${name} needs protocol 6 (TCP) or 17 (UDP)`);
      const ok = (p: number) => Number.isInteger(p) && p >= 0 && p <= 65535;
      if (!ok(range.fromPort) || !ok(range.toPort) || range.fromPort > range.toPort) {
        problems.push(`${where}: ${name} must be 0-65535 with fromPort <= toPort`);
      }
    }
    const src = parseCidr(r.sourceCidrBlock);
    const dst = parseCidr(r.destinationCidrBlock);
    if (typeof src === 'string') problems.push(`${where}: sourceCidrBlock ${src}`);
    if (typeof dst === 'string') problems.push(`${where}: destinationCidrBlock ${dst}`);
    if (typeof src !== 'string' && typeof dst !== 'string' && src.ipVersion !== dst.ipVersion) {
      problems.push(`${where}: source and destination CIDR blocks must both be IPv4 or both IPv6`);
    }
  }
  return problems;
}
