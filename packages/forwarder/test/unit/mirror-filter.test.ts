// Mirror filter semantics as AWS documents them (rule number order, first match decides, nothing
// mirrored unless a rule accepts), and the two file shapes --filter accepts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAddress } from '@fargate-mirror/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { FilterConfigError } from '../../src/errors.ts';
import { loadFilterRules, parseFilterRules } from '../../src/filter-file.ts';
import { MirrorFilter, type MirrorFilterRule } from '../../src/mirror-filter.ts';

const dir = mkdtempSync(join(tmpdir(), 'fwd-filter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Asks `filter` about one packet given as text. */
function accepts(
  filter: MirrorFilter,
  ingress: boolean,
  proto: number,
  src: string,
  sport: number,
  dst: string,
  dport: number,
) {
  const words = new Uint32Array(8);
  const v = parseAddress(src, words, 0);
  parseAddress(dst, words, 4);
  return filter.accepts(ingress, v, proto, words, true, sport, dport);
}

const V4_ALL = { sourceCidrBlock: '0.0.0.0/0', destinationCidrBlock: '0.0.0.0/0' };

describe('MirrorFilter', () => {
  it('mirrors nothing without an accepting rule', () => {
    const f = new MirrorFilter([{ ruleNumber: 1, direction: 'ingress', action: 'accept', ...V4_ALL }]);
    expect(accepts(f, true, 6, '1.2.3.4', 1, '10.0.0.2', 80)).toBe(true);
    expect(accepts(f, false, 6, '10.0.0.2', 80, '1.2.3.4', 1)).toBe(false); // no egress rule
    expect(accepts(f, true, 6, '::1', 1, 'fd00::2', 80)).toBe(false); // an IPv4 rule never matches IPv6
  });

  it('evaluates in rule number order and the first match decides', () => {
    const rules: MirrorFilterRule[] = [
      { ruleNumber: 200, direction: 'egress', action: 'accept', ...V4_ALL },
      {
        ruleNumber: 100,
        direction: 'egress',
        action: 'reject',
        protocol: 6,
        destinationPortRange: { fromPort: 443, toPort: 443 },
        ...V4_ALL,
      },
      {
        ruleNumber: 50,
        direction: 'egress',
        action: 'accept',
        protocol: 6,
        sourceCidrBlock: '10.0.0.0/24',
        destinationCidrBlock: '192.168.1.0/24',
      },
    ];
    const f = new MirrorFilter(rules);
    expect(accepts(f, false, 6, '10.0.0.2', 5000, '192.168.1.9', 443)).toBe(true); // rule 50 before 100
    expect(accepts(f, false, 6, '10.0.0.2', 5000, '8.8.8.8', 443)).toBe(false); // rule 100
    expect(accepts(f, false, 6, '10.0.0.2', 5000, '8.8.8.8', 80)).toBe(true); // rule 200
    expect(accepts(f, false, 17, '10.0.0.2', 5000, '8.8.8.8', 443)).toBe(true); // rule 100 is TCP only
  });

  it('matches IPv6 CIDR blocks and port ranges', () => {
    const f = new MirrorFilter([
      {
        ruleNumber: 1,
        direction: 'ingress',
        action: 'accept',
        protocol: 17,
        sourcePortRange: { fromPort: 53, toPort: 53 },
        sourceCidrBlock: 'fd00:77::/32',
        destinationCidrBlock: '::/0',
      },
    ]);
    expect(accepts(f, true, 17, 'fd00:77:1::1', 53, 'fd00:79::2', 40000)).toBe(true);
    expect(accepts(f, true, 17, 'fd00:78::1', 53, 'fd00:79::2', 40000)).toBe(false);
    expect(accepts(f, true, 17, 'fd00:77:1::1', 54, 'fd00:79::2', 40000)).toBe(false);
  });

  it('refuses rules AWS would refuse', () => {
    expect(
      () =>
        new MirrorFilter([
          {
            ruleNumber: 1,
            direction: 'egress',
            action: 'accept',
            sourceCidrBlock: '0.0.0.0/0',
            destinationCidrBlock: '::/0',
          },
        ]),
    ).toThrow(/must both be IPv4 or both IPv6/);
    expect(
      () =>
        new MirrorFilter([
          {
            ruleNumber: 1,
            direction: 'egress',
            action: 'accept',
            destinationPortRange: { fromPort: 1, toPort: 2 },
            ...V4_ALL,
          },
        ]),
    ).toThrow(/needs protocol 6/);
  });
});

describe('filter files', () => {
  it('reads our YAML shape', () => {
    const rules = parseFilterRules(
      [
        'rules:',
        '  - { ruleNumber: 10, direction: ingress, action: reject, protocol: udp, sourceCidrBlock: 0.0.0.0/0, destinationCidrBlock: 0.0.0.0/0 }',
        '  - ruleNumber: 20',
        '    direction: ingress',
        '    action: accept',
        '    sourceCidrBlock: 0.0.0.0/0',
        '    destinationCidrBlock: 0.0.0.0/0',
      ].join('\n'),
      'inline.yaml',
    );
    const f = new MirrorFilter(rules);
    expect(accepts(f, true, 17, '1.1.1.1', 53, '10.0.0.2', 3000)).toBe(false);
    expect(accepts(f, true, 6, '1.1.1.1', 443, '10.0.0.2', 3000)).toBe(true);
  });

  it('reads the output of aws ec2 describe-traffic-mirror-filters', () => {
    const file = join(dir, 'aws.json');
    writeFileSync(
      file,
      JSON.stringify({
        TrafficMirrorFilters: [
          {
            TrafficMirrorFilterId: 'tmf-0123456789abcdef0',
            IngressFilterRules: [
              {
                TrafficMirrorFilterRuleId: 'tmfr-1',
                TrafficMirrorFilterId: 'tmf-0123456789abcdef0',
                TrafficDirection: 'ingress',
                RuleNumber: 100,
                RuleAction: 'accept',
                Protocol: 6,
                DestinationPortRange: { FromPort: 80, ToPort: 80 },
                DestinationCidrBlock: '0.0.0.0/0',
                SourceCidrBlock: '0.0.0.0/0',
              },
            ],
            EgressFilterRules: [],
            NetworkServices: [],
            Tags: [],
          },
        ],
      }),
    );
    const f = new MirrorFilter(loadFilterRules(file));
    expect(accepts(f, true, 6, '1.1.1.1', 5000, '10.0.0.2', 80)).toBe(true);
    expect(accepts(f, true, 6, '1.1.1.1', 5000, '10.0.0.2', 81)).toBe(false);
    expect(accepts(f, false, 6, '10.0.0.2', 80, '1.1.1.1', 5000)).toBe(false);
  });

  it('names every problem of a bad file, with a stable code', () => {
    let error: unknown;
    try {
      parseFilterRules(
        'rules:\n  - { ruleNumber: 0, direction: sideways, action: accept, sourceCidrBlock: 10.0.0.0/33, destinationCidrBlock: x }\n',
        'bad.yaml',
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FilterConfigError);
    const e = error as FilterConfigError;
    expect(e.code).toBe('FORWARDER_BAD_FILTER');
    expect(e.issues.some((i) => i.includes('ruleNumber'))).toBe(true);
    expect(e.issues.some((i) => i.includes('direction'))).toBe(true);
    expect(() =>
      parseFilterRules(
        'rules:\n  - { ruleNumber: 1, direction: egress, action: accept, sourceCidrBlock: 10.0.0.0/33, destinationCidrBlock: 0.0.0.0/0 }\n',
        'cidr.yaml',
      ),
    ).toThrow(/prefix must be 0-32/);
    expect(() => loadFilterRules(join(dir, 'missing.yaml'))).toThrow(FilterConfigError);
  });
});
