// --filter FILE: a mirror filter rule set as JSON or YAML, in either of two shapes:
//  - ours: `rules: [{ruleNumber, direction, action, protocol, sourcePortRange, destinationPortRange,
//    sourceCidrBlock, destinationCidrBlock}]`, the fields of CreateTrafficMirrorFilterRule;
//  - AWS's: the output of `aws ec2 describe-traffic-mirror-filters` (TrafficMirrorFilters[0]) or one
//    filter object from it (IngressFilterRules / EgressFilterRules), so an existing filter is reused.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { FilterConfigError } from './errors.js';
import { type MirrorFilterRule, validateRules } from './mirror-filter.js';

const PROTOCOL_NAMES: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };

const port = z.number().int().min(0).max(65535);
const portRange = z.object({ fromPort: port, toPort: port }).strict();
const protocol = z.union([z.number().int().min(0).max(255), z.enum(['tcp', 'udp', 'icmp', 'icmpv6', 'all'])]);

const ownRule = z
  .object({
    ruleNumber: z.number().int().min(1).max(32766),
    direction: z.enum(['ingress', 'egress']),
    action: z.enum(['accept', 'reject']),
    protocol: protocol.optional(),
    sourcePortRange: portRange.optional(),
    destinationPortRange: portRange.optional(),
    sourceCidrBlock: z.string(),
    destinationCidrBlock: z.string(),
    description: z.string().optional(),
  })
  .strict();

const ownFile = z.object({ rules: z.array(ownRule) }).strict();

const awsPortRange = z.object({ FromPort: port, ToPort: port });
const awsRule = z.object({
  RuleNumber: z.number().int().min(1).max(32766),
  TrafficDirection: z.enum(['ingress', 'egress']),
  RuleAction: z.enum(['accept', 'reject']),
  Protocol: z.number().int().min(0).max(255).optional(),
  SourcePortRange: awsPortRange.optional(),
  DestinationPortRange: awsPortRange.optional(),
  SourceCidrBlock: z.string(),
  DestinationCidrBlock: z.string(),
  Description: z.string().optional(),
});
const awsFilter = z.object({
  IngressFilterRules: z.array(awsRule).default([]),
  EgressFilterRules: z.array(awsRule).default([]),
});
const awsDescribe = z.object({ TrafficMirrorFilters: z.array(awsFilter).length(1) });

function has(doc: unknown, key: string): boolean {
  return typeof doc === 'object' && doc !== null && key in doc;
}

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
}

/** Reads the document in the shape its top-level key claims, so errors speak of that shape only. */
function rulesOf(doc: unknown, name: string): MirrorFilterRule[] {
  if (has(doc, 'TrafficMirrorFilters') || has(doc, 'IngressFilterRules') || has(doc, 'EgressFilterRules')) {
    const wrapped = has(doc, 'TrafficMirrorFilters') ? doc : { TrafficMirrorFilters: [doc] };
    const parsed = awsDescribe.safeParse(wrapped);
    if (!parsed.success) throw new FilterConfigError(name, issuesOf(parsed.error));
    const filter = parsed.data.TrafficMirrorFilters[0];
    return [...filter.IngressFilterRules, ...filter.EgressFilterRules].map(fromAws);
  }
  const parsed = ownFile.safeParse(doc);
  if (!parsed.success) throw new FilterConfigError(name, issuesOf(parsed.error));
  return parsed.data.rules.map(fromOwn);
}

type AwsRule = z.infer<typeof awsRule>;
type OwnRule = z.infer<typeof ownRule>;

function fromOwn(r: OwnRule): MirrorFilterRule {
  const p = r.protocol;
  return {
    ruleNumber: r.ruleNumber,
    direction: r.direction,
    action: r.action,
    protocol: p === undefined || p === 'all' ? undefined : typeof p === 'number' ? p : PROTOCOL_NAMES[p],
    sourcePortRange: r.sourcePortRange,
    destinationPortRange: r.destinationPortRange,
    sourceCidrBlock: r.sourceCidrBlock,
    destinationCidrBlock: r.destinationCidrBlock,
    description: r.description,
  };
}

function fromAws(r: AwsRule): MirrorFilterRule {
  const range = (x: AwsRule['SourcePortRange']) =>
    x ? { fromPort: x.FromPort, toPort: x.ToPort } : undefined;
  return {
    ruleNumber: r.RuleNumber,
    direction: r.TrafficDirection,
    action: r.RuleAction,
    protocol: r.Protocol,
    sourcePortRange: range(r.SourcePortRange),
    destinationPortRange: range(r.DestinationPortRange),
    sourceCidrBlock: r.SourceCidrBlock,
    destinationCidrBlock: r.DestinationCidrBlock,
    description: r.Description,
  };
}

/** Parses and validates filter text; `name` appears in errors. Throws FilterConfigError. */
export function parseFilterRules(text: string, name: string): MirrorFilterRule[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new FilterConfigError(name, [`not JSON or YAML: ${(e as Error).message}`], { cause: e });
  }
  const rules = rulesOf(doc, name);
  const problems = validateRules(rules);
  if (problems.length > 0) throw new FilterConfigError(name, problems);
  return rules;
}

export function loadFilterRules(file: string): MirrorFilterRule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FilterConfigError(file, [(e as Error).message], { cause: e });
  }
  return parseFilterRules(text, file);
}
