// Issues 22 and 16 (item 4): a process with no refusal cache (a new `status`, every resync Lambda)
// tells the ENIs AWS refuses as mirror sources from what EC2 says about them, before calling Create.
import { describe, expect, it } from 'vitest';
import { type PlanSettings, planEni, type Refusal, SIDECAR_REMEDY } from '../../src/core/plan.js';
import { predictedRefusal } from '../../src/core/refusals.js';
import type { DesiredSource, SourceEniFacts } from '../../src/core/types.js';

const eni = (facts: Partial<SourceEniFacts>): SourceEniFacts => ({
  eniId: 'eni-1',
  requesterManaged: false,
  requesterId: undefined,
  interfaceType: 'interface',
  ...facts,
});

describe('predictedRefusal', () => {
  it('predicts nothing for an ordinary ENI, nor for requester-managed ones of RDS and ElastiCache', () => {
    expect(predictedRefusal(eni({}))).toBeUndefined();
    expect(predictedRefusal(eni({ requesterManaged: true, requesterId: 'amazon-rds' }))).toBeUndefined();
    expect(
      predictedRefusal(eni({ requesterManaged: true, requesterId: 'amazon-elasticache' })),
    ).toBeUndefined();
  });

  it('predicts a refusal for a requester-managed ENI of another service (a Fargate task ENI)', () => {
    expect(predictedRefusal(eni({ requesterManaged: true, requesterId: '716531411939' }))).toBe(
      'eni-1 is requester-managed (by 716531411939): AWS accepts requester-managed ENIs as mirror sources only when Amazon RDS or ElastiCache created them',
    );
  });

  it('names a branch ENI of ENI trunking', () => {
    expect(predictedRefusal(eni({ interfaceType: 'branch', requesterManaged: true }))).toBe(
      'eni-1 is a branch ENI of ENI trunking (interface type branch): AWS accepts only interface type "interface" as a mirror source',
    );
  });

  it('predicts a refusal for an interface type other than interface', () => {
    expect(predictedRefusal(eni({ interfaceType: 'trunk' }))).toMatch(/^eni-1 has interface type trunk: /);
  });
});

describe('a predicted refusal plans as an AWS refusal does', () => {
  const settings: PlanSettings = {
    owner: 'me',
    targetId: 'tmt-1',
    filterId: 'tmf-1',
    vni: { kind: 'random' },
    sessionNumber: { kind: 'highest-free' },
    packetLength: undefined,
  };
  const source: DesiredSource = {
    eniId: 'eni-1',
    kind: 'task-eni',
    clusterArn: 'c',
    clusterName: 'shop',
    serviceName: 'web',
    vniKey: 'shop/web',
    taskArns: ['arn:task'],
    containerInstanceArn: undefined,
  };
  const plan = (refusal: Refusal) => planEni({ eniId: 'eni-1', source, sessions: [], settings, refusal });

  it('no create, the same code and remedy; the reason says it was predicted and AWS not asked', () => {
    const reason = predictedRefusal(eni({ requesterManaged: true, requesterId: '716531411939' })) ?? '';
    const predicted = plan({
      code: 'SOURCE_NOT_SUPPORTED',
      awsCode: undefined,
      message: reason,
      predicted: true,
    });
    const refused = plan({
      code: 'SOURCE_NOT_SUPPORTED',
      awsCode: 'NetworkInterfaceNotSupported',
      message: 'eni-1 must be attached to a supported instance.',
    });
    for (const p of [predicted, refused]) {
      expect(p.actions).toEqual([]);
      expect(p.unmirrorable?.code).toBe('SOURCE_NOT_SUPPORTED');
      expect(p.unmirrorable?.remedy).toBe(SIDECAR_REMEDY);
    }
    expect(predicted.unmirrorable?.reason).toBe(
      `AWS refuses eni-1 as a mirror source (predicted from DescribeNetworkInterfaces; CreateTrafficMirrorSession not called): ${reason}`,
    );
    expect(refused.unmirrorable?.reason).toBe(
      'AWS refused a session on eni-1: NetworkInterfaceNotSupported: eni-1 must be attached to a supported instance.',
    );
  });
});
