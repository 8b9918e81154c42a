// Issue 22: `status` in a new process (no refusal cache) tells the ENIs AWS refuses as mirror sources
// from the ones still missing a session, from what EC2 says about them.
import { describe, expect, it } from 'vitest';
import { predictedRefusal } from '../../src/core/refusals.js';
import type { SourceEniFacts } from '../../src/core/types.js';
import { type Coverage, type CoverageRow, withPredictedRefusals } from '../../src/coverage.js';

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

  it('predicts a refusal for an interface type other than interface', () => {
    expect(predictedRefusal(eni({ interfaceType: 'trunk' }))).toMatch(/^eni-1 has interface type trunk: /);
  });
});

describe('withPredictedRefusals', () => {
  const row = (eniId: string, state: CoverageRow['state']): CoverageRow => ({
    taskArn: `arn:aws:ecs:us-east-1:1:task/shop/${eniId}`,
    cluster: 'shop',
    workload: 'web',
    launchType: 'FARGATE',
    lastStatus: 'RUNNING',
    selected: true,
    state,
    covered: state === 'mirrored',
    eniId,
    sessionId: undefined,
    sessionNumber: undefined,
    vni: undefined,
    hiddenBy: [],
    note: 'no session of ours yet: the next reconcile creates it',
  });

  it('turns only missing rows with a predicted refusal unmirrorable, with reason and remedy, and recounts', () => {
    const coverage: Coverage = {
      rows: [row('eni-a', 'missing'), row('eni-b', 'missing'), row('eni-c', 'mirrored')],
      leftovers: [],
      summary: {
        selected: 3,
        mirrored: 1,
        missing: 2,
        unmirrorable: 0,
        pending: 0,
        sidecar: 0,
        'sidecar-stopped': 0,
        covered: 1,
        uncovered: 2,
        'not-selected': 0,
        'not-active': 0,
        'no-source': 0,
        hidden: 0,
        leftoverSessions: 0,
      },
    };
    const out = withPredictedRefusals(
      coverage,
      new Map([
        ['eni-a', 'eni-a is requester-managed'],
        ['eni-c', 'eni-c is requester-managed'],
      ]),
    );
    expect(out.rows.map((r) => r.state)).toEqual(['unmirrorable', 'missing', 'mirrored']);
    expect(out.rows[0]?.note).toMatch(
      /^not covered: AWS refuses this source \(predicted: eni-a is requester-managed\) and the task has no forwarder sidecar; remedy: run the fargate-mirror forwarder sidecar/,
    );
    expect(out.summary).toMatchObject({
      selected: 3,
      mirrored: 1,
      missing: 1,
      unmirrorable: 1,
      uncovered: 2,
    });
  });
});
