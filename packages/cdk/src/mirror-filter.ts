import { ArnFormat, type IResource, Resource, Stack } from 'aws-cdk-lib';
import { CfnTrafficMirrorFilter, CfnTrafficMirrorFilterRule } from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { PropsValidationError } from './errors.js';
import {
  defaultFilterRules,
  type MirrorFilterRuleOptions,
  type ResolvedFilterRule,
  resolveFilterRules,
} from './filter-rules.js';
import { validateAll } from './private/validate.js';

/** A traffic mirror filter, defined here or imported. */
export interface IMirrorFilter extends IResource {
  /**
   * The filter id (`tmf-...`).
   * @attribute
   */
  readonly trafficMirrorFilterId: string;
  /**
   * The filter ARN (for IAM policies).
   * @attribute
   */
  readonly trafficMirrorFilterArn: string;
}

export interface MirrorFilterProps {
  /**
   * The rules, evaluated per direction in ascending rule number; the first match decides.
   * @default - MirrorFilter.defaultRules(): everything except the mirror's own UDP 4789 and 6081
   */
  readonly rules?: readonly MirrorFilterRuleOptions[];
  /**
   * Mirror traffic to and from the Amazon DNS resolver (the `amazon-dns` network service).
   * AWS never mirrors it otherwise.
   * @default false
   */
  readonly mirrorAmazonDns?: boolean;
  /**
   * A description of the filter.
   * @default 'fargate-mirror filter'
   */
  readonly description?: string;
}

function filterArn(scope: Construct, filterId: string): string {
  return Stack.of(scope).formatArn({
    service: 'ec2',
    resource: 'traffic-mirror-filter',
    resourceName: filterId,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

class ImportedFilter extends Resource implements IMirrorFilter {
  readonly trafficMirrorFilterArn: string;
  constructor(
    scope: Construct,
    id: string,
    readonly trafficMirrorFilterId: string,
  ) {
    super(scope, id);
    this.trafficMirrorFilterArn = filterArn(this, trafficMirrorFilterId);
  }
}

/**
 * A traffic mirror filter with its rules as code. Rule numbers are assigned (100, 200, ... per
 * direction) where not given, and checked: unique per direction, at most 10 per direction.
 */
export class MirrorFilter extends Resource implements IMirrorFilter {
  /** The default rules: mirror everything except UDP 4789 (VXLAN) and 6081 (GENEVE), both directions. */
  static defaultRules(): MirrorFilterRuleOptions[] {
    return defaultFilterRules();
  }

  /** Imports a filter defined elsewhere. */
  static fromTrafficMirrorFilterId(
    scope: Construct,
    id: string,
    trafficMirrorFilterId: string,
  ): IMirrorFilter {
    return new ImportedFilter(scope, id, trafficMirrorFilterId);
  }

  readonly trafficMirrorFilterId: string;
  readonly trafficMirrorFilterArn: string;
  readonly #options: MirrorFilterRuleOptions[] = [];
  readonly #rules: ResolvedFilterRule[] = [];

  constructor(scope: Construct, id: string, props: MirrorFilterProps = {}) {
    super(scope, id);
    const options = [...(props.rules ?? defaultFilterRules())];
    const { issues } = resolveFilterRules(options);
    validateAll(this, [
      ...issues.map((message) => ({ failed: true, message })),
      {
        failed: props.description !== undefined && props.description.length > 255,
        message: `description: must be at most 255 characters, but has ${props.description?.length}`,
      },
    ]);
    const resource = new CfnTrafficMirrorFilter(this, 'Resource', {
      description: props.description ?? 'fargate-mirror filter',
      ...(props.mirrorAmazonDns ? { networkServices: ['amazon-dns'] } : {}),
    });
    this.trafficMirrorFilterId = resource.ref;
    this.trafficMirrorFilterArn = filterArn(this, resource.ref);
    for (const rule of options) this.addRule(rule);
  }

  /** The rules with defaults filled in and numbers assigned, in the order given. */
  get rules(): readonly ResolvedFilterRule[] {
    return this.#rules;
  }

  /**
   * Adds a rule after those already defined; it gets the next free position's number unless it
   * names one. Throws PropsValidationError when it breaks a rule (duplicate number, 11th rule, ...).
   */
  addRule(rule: MirrorFilterRuleOptions): ResolvedFilterRule {
    const all = [...this.#options, rule];
    const { rules, issues } = resolveFilterRules(all);
    if (issues.length > 0) throw new PropsValidationError(this.node.path, issues);
    const resolved = rules[rules.length - 1]!;
    this.#options.push(rule);
    this.#rules.push(resolved);
    const id = `${resolved.direction === 'ingress' ? 'Ingress' : 'Egress'}Rule${resolved.ruleNumber}`;
    new CfnTrafficMirrorFilterRule(this, id, {
      trafficMirrorFilterId: this.trafficMirrorFilterId,
      trafficDirection: resolved.direction,
      ruleNumber: resolved.ruleNumber,
      ruleAction: resolved.action,
      ...(resolved.protocol.protocolNumber !== undefined
        ? { protocol: resolved.protocol.protocolNumber }
        : {}),
      sourceCidrBlock: resolved.sourceCidr,
      destinationCidrBlock: resolved.destinationCidr,
      ...(resolved.sourcePortRange ? { sourcePortRange: { ...resolved.sourcePortRange } } : {}),
      ...(resolved.destinationPortRange
        ? { destinationPortRange: { ...resolved.destinationPortRange } }
        : {}),
      description: resolved.description,
    });
    return resolved;
  }
}
