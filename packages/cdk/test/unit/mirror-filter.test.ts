import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  FilterProtocol,
  FilterRuleAction,
  MirrorFilter,
  PropsValidationError,
  TrafficDirection,
} from '../../src/index.js';
import { newStack } from '../support/stacks.js';

function rulesOf(template: Template): Record<string, unknown>[] {
  return Object.values(template.findResources('AWS::EC2::TrafficMirrorFilterRule')).map(
    (r) => (r as { Properties: Record<string, unknown> }).Properties,
  );
}

describe('MirrorFilter', () => {
  it('by default mirrors everything except UDP 4789 and 6081, in both directions, before the accept rules', () => {
    const stack = newStack();
    new MirrorFilter(stack, 'Filter');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::TrafficMirrorFilter', { NetworkServices: Match.absent() });
    const rules = rulesOf(template);
    expect(rules).toHaveLength(8);
    for (const direction of ['ingress', 'egress']) {
      const own = rules
        .filter((r) => r['TrafficDirection'] === direction)
        .sort((a, b) => Number(a['RuleNumber']) - Number(b['RuleNumber']));
      expect(
        own.map((r) => [
          r['RuleAction'],
          r['Protocol'],
          (r['DestinationPortRange'] as { FromPort: number } | undefined)?.FromPort,
          r['SourceCidrBlock'],
        ]),
      ).toEqual([
        ['reject', 17, 4789, '0.0.0.0/0'],
        ['reject', 17, 6081, '0.0.0.0/0'],
        ['accept', undefined, undefined, '0.0.0.0/0'],
        ['accept', undefined, undefined, '::/0'],
      ]);
    }
  });

  it('opts in to amazon-dns only when asked', () => {
    const stack = newStack();
    new MirrorFilter(stack, 'Filter', { mirrorAmazonDns: true });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::TrafficMirrorFilter', {
      NetworkServices: ['amazon-dns'],
    });
  });

  it('assigns rule numbers per direction by position and keeps explicit ones', () => {
    const stack = newStack();
    const filter = new MirrorFilter(stack, 'Filter', {
      rules: [
        { direction: TrafficDirection.INGRESS, protocol: FilterProtocol.TCP },
        { direction: TrafficDirection.EGRESS },
        { direction: TrafficDirection.INGRESS, ruleNumber: 7 },
        { direction: TrafficDirection.EGRESS, destinationCidr: 'fd00::/8' },
      ],
    });
    expect(filter.rules.map((r) => [r.direction, r.ruleNumber])).toEqual([
      ['ingress', 100],
      ['egress', 100],
      ['ingress', 7],
      ['egress', 200],
    ]);
    // an IPv6 destination makes the omitted source ::/0 as well.
    expect(filter.rules[3]).toMatchObject({ sourceCidr: '::/0', destinationCidr: 'fd00::/8' });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::TrafficMirrorFilterRule', {
      TrafficDirection: 'ingress',
      RuleNumber: 7,
      RuleAction: 'accept',
    });
  });

  it('fails with every bad rule reported at once', () => {
    const stack = newStack();
    const tooMany = Array.from({ length: 11 }, (_, i) => ({
      direction: TrafficDirection.EGRESS,
      ruleNumber: 1000 + i,
    }));
    let error: unknown;
    try {
      new MirrorFilter(stack, 'Filter', {
        rules: [
          { direction: TrafficDirection.INGRESS, ruleNumber: 100 },
          { direction: TrafficDirection.INGRESS, ruleNumber: 100 },
          {
            direction: TrafficDirection.INGRESS,
            protocol: FilterProtocol.ICMP,
            destinationPortRange: { fromPort: 1, toPort: 2 },
          },
          {
            direction: TrafficDirection.INGRESS,
            protocol: FilterProtocol.TCP,
            sourcePortRange: { fromPort: 90, toPort: 70000 },
          },
          { direction: TrafficDirection.INGRESS, sourceCidr: '10.0.0.0/8', destinationCidr: '::/0' },
          { direction: TrafficDirection.INGRESS, sourceCidr: 'ten/8', ruleNumber: 40000 },
          ...tooMany,
        ],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PropsValidationError);
    const issues = (error as PropsValidationError).issues;
    expect((error as PropsValidationError).code).toBe('PROPS_INVALID');
    expect(issues.join('\n')).toMatch(/rules\[1\]\.ruleNumber: 100 is already used by rules\[0\]/);
    expect(issues.join('\n')).toMatch(
      /rules\[2\]\.destinationPortRange: port ranges apply only to tcp and udp, but the protocol is icmp/,
    );
    expect(issues.join('\n')).toMatch(
      /rules\[3\]\.sourcePortRange\.toPort: must be an integer 0-65535, but 70000/,
    );
    expect(issues.join('\n')).toMatch(
      /rules\[4\]: sourceCidr 10\.0\.0\.0\/8 and destinationCidr ::\/0 must both be IPv4 or both IPv6/,
    );
    expect(issues.join('\n')).toMatch(/rules\[5\]\.sourceCidr: must be an IPv4 or IPv6 CIDR.*ten\/8/);
    expect(issues.join('\n')).toMatch(/rules\[5\]\.ruleNumber: must be an integer 1-32766, but 40000/);
    expect(issues.join('\n')).toMatch(/at most 10 egress rules per filter \(AWS quota\), but 11 were given/);
    expect(issues).toHaveLength(7);
  });

  it('fails when addRule would add an 11th rule in a direction, and leaves the filter unchanged', () => {
    const stack = newStack();
    const filter = new MirrorFilter(stack, 'Filter', {
      rules: Array.from({ length: 10 }, () => ({
        direction: TrafficDirection.INGRESS,
        action: FilterRuleAction.ACCEPT,
      })),
    });
    expect(() => filter.addRule({ direction: TrafficDirection.INGRESS })).toThrow(/at most 10 ingress rules/);
    expect(filter.rules).toHaveLength(10);
    expect(filter.addRule({ direction: TrafficDirection.EGRESS }).ruleNumber).toBe(100);
  });

  it('imports a filter by id with an ARN for policies', () => {
    const stack = newStack();
    const imported = MirrorFilter.fromTrafficMirrorFilterId(stack, 'Imported', 'tmf-0123456789abcdef0');
    expect(imported.trafficMirrorFilterId).toBe('tmf-0123456789abcdef0');
    expect(stack.resolve(imported.trafficMirrorFilterArn)).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':ec2:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':traffic-mirror-filter/tmf-0123456789abcdef0',
        ],
      ],
    });
  });
});
