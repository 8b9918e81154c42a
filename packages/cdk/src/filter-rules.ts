import { isIPv4, isIPv6 } from 'node:net';
import { Token } from 'aws-cdk-lib';

/** The direction of traffic a rule matches, as seen by the mirrored network interface. */
export enum TrafficDirection {
  /** Traffic arriving at the source ENI. */
  INGRESS = 'ingress',
  /** Traffic leaving the source ENI. */
  EGRESS = 'egress',
}

/** What a matching rule does. */
export enum FilterRuleAction {
  /** Mirror the packet. */
  ACCEPT = 'accept',
  /** Do not mirror the packet. */
  REJECT = 'reject',
}

/** An IP protocol for a filter rule (IANA protocol number). */
export class FilterProtocol {
  /** Every protocol. */
  static readonly ALL = new FilterProtocol(undefined, 'all');
  static readonly ICMP = new FilterProtocol(1, 'icmp');
  static readonly TCP = new FilterProtocol(6, 'tcp');
  static readonly UDP = new FilterProtocol(17, 'udp');
  static readonly ICMPV6 = new FilterProtocol(58, 'icmpv6');

  /** Any other protocol by its IANA number (0-255). */
  static of(protocolNumber: number): FilterProtocol {
    return new FilterProtocol(protocolNumber, String(protocolNumber));
  }

  private constructor(
    /** The IANA number, or undefined for every protocol. */
    readonly protocolNumber: number | undefined,
    /** A readable name for messages. */
    readonly label: string,
  ) {}

  /** Ports mean something only for TCP and UDP. */
  get hasPorts(): boolean {
    return this.protocolNumber === 6 || this.protocolNumber === 17;
  }
}

/** An inclusive range of ports. */
export interface PortRange {
  readonly fromPort: number;
  readonly toPort: number;
}

/** One traffic mirror filter rule, as code. */
export interface MirrorFilterRuleOptions {
  /** The direction the rule matches. */
  readonly direction: TrafficDirection;
  /**
   * What a match does.
   * @default FilterRuleAction.ACCEPT
   */
  readonly action?: FilterRuleAction;
  /**
   * The IP protocol matched.
   * @default FilterProtocol.ALL
   */
  readonly protocol?: FilterProtocol;
  /**
   * Source CIDR (IPv4 or IPv6; both CIDRs of a rule must be the same family).
   * @default - `0.0.0.0/0`, or `::/0` when `destinationCidr` is IPv6
   */
  readonly sourceCidr?: string;
  /**
   * Destination CIDR.
   * @default - `0.0.0.0/0`, or `::/0` when `sourceCidr` is IPv6
   */
  readonly destinationCidr?: string;
  /**
   * Source ports (TCP and UDP only).
   * @default - every port
   */
  readonly sourcePortRange?: PortRange;
  /**
   * Destination ports (TCP and UDP only).
   * @default - every port
   */
  readonly destinationPortRange?: PortRange;
  /**
   * Rule number; rules are evaluated in ascending order within a direction, the first match wins.
   * @default - 100 times the rule's position among the rules of its direction (100, 200, ...)
   */
  readonly ruleNumber?: number;
  /**
   * A description of the rule.
   * @default - a description generated from the rule
   */
  readonly description?: string;
}

/** A rule with every default filled in, ready to render. */
export interface ResolvedFilterRule {
  readonly direction: TrafficDirection;
  readonly action: FilterRuleAction;
  readonly protocol: FilterProtocol;
  readonly sourceCidr: string;
  readonly destinationCidr: string;
  readonly sourcePortRange: PortRange | undefined;
  readonly destinationPortRange: PortRange | undefined;
  readonly ruleNumber: number;
  readonly description: string;
}

/** AWS quota: rules per filter and direction. */
export const MAX_RULES_PER_DIRECTION = 10;
export const RULE_NUMBER_MIN = 1;
export const RULE_NUMBER_MAX = 32766;
/** The mirror's own transport ports: VXLAN (NLB and ENI targets) and GENEVE (GWLB). */
export const VXLAN_PORT = 4789;
export const GENEVE_PORT = 6081;

/**
 * The default rules: per direction, reject UDP to 4789 and 6081 (mirroring the mirror traffic,
 * e.g. a sidecar forwarder's VXLAN, would loop it back to the receiver), then accept all IPv4 and
 * all IPv6. Mirror traffic travels over IPv4 (targets have IPv4 addresses), so the rejects are IPv4.
 */
export function defaultFilterRules(): MirrorFilterRuleOptions[] {
  const rules: MirrorFilterRuleOptions[] = [];
  for (const direction of [TrafficDirection.INGRESS, TrafficDirection.EGRESS]) {
    for (const port of [VXLAN_PORT, GENEVE_PORT]) {
      rules.push({
        direction,
        action: FilterRuleAction.REJECT,
        protocol: FilterProtocol.UDP,
        destinationPortRange: { fromPort: port, toPort: port },
        description: `skip mirror transport udp/${port}`,
      });
    }
    rules.push({ direction, sourceCidr: '0.0.0.0/0', destinationCidr: '0.0.0.0/0', description: 'all IPv4' });
    rules.push({ direction, sourceCidr: '::/0', destinationCidr: '::/0', description: 'all IPv6' });
  }
  return rules;
}

type Family = 4 | 6 | undefined;

function cidrFamily(cidr: string): Family | 'invalid' {
  if (Token.isUnresolved(cidr)) return undefined;
  const match = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!match) return 'invalid';
  const [, address, bits] = match;
  const prefix = Number(bits);
  if (isIPv4(address!) && prefix <= 32) return 4;
  if (isIPv6(address!) && prefix <= 128) return 6;
  return 'invalid';
}

function portIssues(
  at: string,
  name: string,
  range: PortRange | undefined,
  protocol: FilterProtocol,
): string[] {
  if (!range) return [];
  const issues: string[] = [];
  if (!protocol.hasPorts) {
    issues.push(
      `${at}.${name}: port ranges apply only to tcp and udp, but the protocol is ${protocol.label}`,
    );
  }
  for (const [key, port] of [
    ['fromPort', range.fromPort],
    ['toPort', range.toPort],
  ] as const) {
    if (!Token.isUnresolved(port) && (!Number.isInteger(port) || port < 0 || port > 65535)) {
      issues.push(`${at}.${name}.${key}: must be an integer 0-65535, but ${port} was given`);
    }
  }
  if (range.fromPort > range.toPort) {
    issues.push(`${at}.${name}: fromPort ${range.fromPort} is above toPort ${range.toPort}`);
  }
  return issues;
}

function describeRule(rule: Omit<ResolvedFilterRule, 'description'>): string {
  const ports = (r: PortRange | undefined) =>
    r ? `:${r.fromPort === r.toPort ? r.fromPort : `${r.fromPort}-${r.toPort}`}` : '';
  return `${rule.action} ${rule.protocol.label} ${rule.sourceCidr}${ports(rule.sourcePortRange)} -> ${rule.destinationCidr}${ports(rule.destinationPortRange)}`;
}

/**
 * Fills in defaults and assigns rule numbers, and checks every rule: numbers unique per direction
 * and within 1-32766, at most 10 rules per direction, ports only for tcp/udp, CIDRs valid and of
 * one family. Returns every issue found rather than stopping at the first.
 */
export function resolveFilterRules(rules: readonly MirrorFilterRuleOptions[]): {
  readonly rules: ResolvedFilterRule[];
  readonly issues: string[];
} {
  const issues: string[] = [];
  const resolved: ResolvedFilterRule[] = [];
  const positionInDirection = new Map<TrafficDirection, number>();
  const numbersInDirection = new Map<TrafficDirection, Map<number, number>>();
  rules.forEach((rule, index) => {
    const at = `rules[${index}]`;
    if (!Object.values(TrafficDirection).includes(rule.direction)) {
      issues.push(`${at}.direction: must be ingress or egress, but ${String(rule.direction)} was given`);
      return;
    }
    const position = (positionInDirection.get(rule.direction) ?? 0) + 1;
    positionInDirection.set(rule.direction, position);
    const ruleNumber = rule.ruleNumber ?? position * 100;
    if (
      !Token.isUnresolved(ruleNumber) &&
      (!Number.isInteger(ruleNumber) || ruleNumber < RULE_NUMBER_MIN || ruleNumber > RULE_NUMBER_MAX)
    ) {
      issues.push(
        `${at}.ruleNumber: must be an integer ${RULE_NUMBER_MIN}-${RULE_NUMBER_MAX}, but ${ruleNumber} was given`,
      );
    }
    const numbers = numbersInDirection.get(rule.direction) ?? new Map<number, number>();
    numbersInDirection.set(rule.direction, numbers);
    const clash = numbers.get(ruleNumber);
    if (clash !== undefined) {
      issues.push(
        `${at}.ruleNumber: ${ruleNumber} is already used by rules[${clash}] in direction ${rule.direction}; rule numbers must be unique per direction (give an explicit ruleNumber)`,
      );
    } else numbers.set(ruleNumber, index);

    const protocol = rule.protocol ?? FilterProtocol.ALL;
    const n = protocol.protocolNumber;
    if (n !== undefined && !Token.isUnresolved(n) && (!Number.isInteger(n) || n < 0 || n > 255)) {
      issues.push(`${at}.protocol: must be an IANA protocol number 0-255, but ${n} was given`);
    }
    issues.push(...portIssues(at, 'sourcePortRange', rule.sourcePortRange, protocol));
    issues.push(...portIssues(at, 'destinationPortRange', rule.destinationPortRange, protocol));

    const givenFamilies: Family[] = [];
    for (const [name, cidr] of [
      ['sourceCidr', rule.sourceCidr],
      ['destinationCidr', rule.destinationCidr],
    ] as const) {
      if (cidr === undefined) continue;
      const family = cidrFamily(cidr);
      if (family === 'invalid')
        issues.push(
          `${at}.${name}: must be an IPv4 or IPv6 CIDR such as 10.0.0.0/16 or ::/0, but ${cidr} was given`,
        );
      else givenFamilies.push(family);
    }
    const [a, b] = [
      rule.sourceCidr ? cidrFamily(rule.sourceCidr) : undefined,
      rule.destinationCidr ? cidrFamily(rule.destinationCidr) : undefined,
    ];
    if ((a === 4 && b === 6) || (a === 6 && b === 4)) {
      issues.push(
        `${at}: sourceCidr ${rule.sourceCidr} and destinationCidr ${rule.destinationCidr} must both be IPv4 or both IPv6`,
      );
    }
    const anyCidr = givenFamilies.includes(6) ? '::/0' : '0.0.0.0/0';
    if (rule.description !== undefined && rule.description.length > 255) {
      issues.push(`${at}.description: must be at most 255 characters, but has ${rule.description.length}`);
    }
    const base = {
      direction: rule.direction,
      action: rule.action ?? FilterRuleAction.ACCEPT,
      protocol,
      sourceCidr: rule.sourceCidr ?? anyCidr,
      destinationCidr: rule.destinationCidr ?? anyCidr,
      sourcePortRange: rule.sourcePortRange,
      destinationPortRange: rule.destinationPortRange,
      ruleNumber,
    };
    resolved.push({ ...base, description: rule.description ?? describeRule(base) });
  });
  for (const [direction, count] of positionInDirection) {
    if (count > MAX_RULES_PER_DIRECTION) {
      issues.push(
        `rules: at most ${MAX_RULES_PER_DIRECTION} ${direction} rules per filter (AWS quota), but ${count} were given`,
      );
    }
  }
  return { rules: resolved, issues };
}
