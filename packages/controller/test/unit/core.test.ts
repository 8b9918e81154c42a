import { describe, expect, it } from 'vitest';
import { taskViewOf } from '../../src/aws/task-view.js';
import { clientToken } from '../../src/core/client-token.js';
import { type PlanSettings, planEni } from '../../src/core/plan.js';
import { selectTask } from '../../src/core/selection.js';
import { chooseSessionNumber } from '../../src/core/session-number.js';
import type { DesiredSource, SessionView, TaskView } from '../../src/core/types.js';
import { desiredVni, stableVni } from '../../src/core/vni.js';

const task = (over: Partial<TaskView> = {}): TaskView => ({
  taskArn: 'arn:aws:ecs:us-east-1:1:task/shop/abc',
  clusterArn: 'arn:aws:ecs:us-east-1:1:cluster/shop',
  clusterName: 'shop',
  group: 'service:web',
  serviceName: 'web',
  family: 'web',
  launchType: 'FARGATE',
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  tags: { team: 'payments', env: 'prod' },
  network: { kind: 'task-eni', eniId: 'eni-1', attachmentStatus: 'ATTACHED' },
  ...over,
});

describe('selection', () => {
  it('includes by cluster name or ARN, service, family, launch type and tags; excludes win', () => {
    expect(selectTask(task(), {}).selected).toBe(true);
    expect(selectTask(task(), { clusters: ['arn:aws:ecs:us-east-1:1:cluster/shop'] }).selected).toBe(true);
    expect(selectTask(task(), { clusters: ['other'] })).toEqual({
      selected: false,
      reason: 'cluster shop is not in select.clusters',
    });
    expect(selectTask(task(), { services: ['api'] }).reason).toBe('service web is not in select.services');
    const standalone = task({ group: 'family:nightly', serviceName: undefined, family: 'nightly' });
    expect(selectTask(standalone, { services: ['web'] }).selected).toBe(false);
    expect(selectTask(standalone, { services: ['web'], families: ['nightly'] }).selected).toBe(true);
    expect(selectTask(task(), { launchTypes: ['EC2'] }).selected).toBe(false);
    expect(selectTask(task(), { taskTags: { team: ['payments', 'search'] } }).selected).toBe(true);
    expect(selectTask(task(), { taskTags: { owner: '*' } }).reason).toBe(
      'select.taskTags: tag owner is missing',
    );
    expect(selectTask(task(), { exclude: { services: ['web'] } }).reason).toBe(
      'service web is in select.exclude.services',
    );
    expect(selectTask(task(), { exclude: { taskTags: { env: 'prod' } } }).reason).toBe(
      'tag env=prod is in select.exclude.taskTags',
    );
    expect(selectTask(task(), { exclude: { launchTypes: ['FARGATE'] } }).selected).toBe(false);
    expect(selectTask(task(), { exclude: { families: ['web'] } }).selected).toBe(false);
  });
});

describe('session numbers and VNIs', () => {
  it('takes the highest or lowest free number, or a fixed one unless taken', () => {
    expect(chooseSessionNumber({ kind: 'highest-free' }, [])).toEqual({ ok: true, sessionNumber: 32766 });
    expect(chooseSessionNumber({ kind: 'highest-free' }, [32766, 32765])).toEqual({
      ok: true,
      sessionNumber: 32764,
    });
    expect(chooseSessionNumber({ kind: 'lowest-free' }, [1, 3])).toEqual({ ok: true, sessionNumber: 2 });
    expect(chooseSessionNumber({ kind: 'fixed', number: 7 }, [7]).ok).toBe(false);
  });

  it('derives a stable 24-bit VNI per service, honouring the explicit map', () => {
    const a = stableVni('shop/web');
    expect(stableVni('shop/web')).toBe(a);
    expect(a).toBeGreaterThanOrEqual(1);
    expect(a).toBeLessThanOrEqual(16_777_215);
    expect(stableVni('shop/api')).not.toBe(a);
    const source = { vniKey: 'shop/web', serviceName: 'web', clusterName: 'shop' };
    expect(desiredVni({ kind: 'per-service', map: { web: 100 } }, source)).toBe(100);
    expect(desiredVni({ kind: 'per-service', map: { 'shop/web': 200, web: 100 } }, source)).toBe(200);
    expect(desiredVni({ kind: 'per-service', map: {} }, source)).toBe(a);
    expect(desiredVni({ kind: 'random' }, source)).toBeUndefined();
    expect(desiredVni({ kind: 'fixed', vni: 42 }, source)).toBe(42);
  });
});

describe('planEni', () => {
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
  const session = (id: string, n: number, owner?: string, over: Partial<SessionView> = {}): SessionView => ({
    sessionId: id,
    eniId: 'eni-1',
    targetId: 'tmt-1',
    filterId: 'tmf-1',
    sessionNumber: n,
    vni: 5,
    packetLength: undefined,
    tags: owner ? { 'fargate-mirror:owner': owner } : {},
    ...over,
  });

  it('creates with tags and the highest free number, and reports lower foreign sessions', () => {
    const plan = planEni({
      eniId: 'eni-1',
      source,
      sessions: [session('f1', 100), session('f2', 32000)],
      settings,
      refusal: undefined,
    });
    expect(plan.actions).toHaveLength(1);
    const create = plan.actions[0];
    expect(create?.kind === 'create' && create.spec.sessionNumber).toBe(32766);
    expect(create?.kind === 'create' && create.spec.tags).toEqual({
      'fargate-mirror:owner': 'me',
      'fargate-mirror:cluster': 'shop',
      'fargate-mirror:service': 'web',
      'fargate-mirror:task-arn': 'arn:task',
    });
    expect(plan.hiddenBy.map((s) => s.sessionId)).toEqual(['f1', 'f2']);
  });

  it('compares effective packet lengths: the NLB default 8500 matches an unset packetLength', () => {
    const nlb = (
      packetLength: number | undefined,
      targetType?: 'network-load-balancer' | 'network-interface',
    ) =>
      planEni({
        eniId: 'eni-1',
        source,
        sessions: [
          {
            ...session('s', 32766, 'me'),
            targetId: settings.targetId,
            filterId: settings.filterId,
            packetLength: 8500,
          },
        ],
        settings: { ...settings, packetLength, ...(targetType ? { targetType } : {}) },
        refusal: undefined,
      });
    expect(nlb(undefined, 'network-load-balancer').actions).toEqual([]);
    expect(nlb(8500, 'network-load-balancer').actions).toEqual([]);
    // Target type unknown (a port without describeMirrorResources): 8500 is still not churned.
    expect(nlb(undefined).actions).toEqual([]);
    // An ENI target has no such default: 8500 there is a real difference from whole packets.
    expect(nlb(undefined, 'network-interface').actions.map((a) => a.kind)).toEqual(['delete', 'create']);
    expect(nlb(128, 'network-load-balancer').actions.map((a) => a.kind)).toEqual(['delete', 'create']);
  });

  it('with highest-free, never numbers below a foreign session unless takeTrafficFromOthers is set', () => {
    const sessions = [session('f1', 100), session('f2', 32766)];
    const refused = planEni({ eniId: 'eni-1', source, sessions, settings, refusal: undefined });
    expect(refused.actions).toEqual([]);
    expect(refused.unmirrorable?.code).toBe('SESSION_NUMBER_TAKEN');
    expect(refused.unmirrorable?.reason).toContain('would take traffic from session f2');
    const taken = planEni({
      eniId: 'eni-1',
      source,
      sessions,
      settings: { ...settings, takeTrafficFromOthers: true },
      refusal: undefined,
    });
    const create = taken.actions[0];
    expect(create?.kind === 'create' && create.spec.sessionNumber).toBe(32765);
    expect(taken.hiddenBy.map((s) => s.sessionId)).toEqual(['f1']);
  });

  it('keeps a matching session, removes duplicates (higher numbers), and is empty when converged', () => {
    const plan = planEni({
      eniId: 'eni-1',
      source,
      sessions: [session('b', 32766, 'me'), session('a', 32765, 'me')],
      settings,
      refusal: undefined,
    });
    expect(plan.keep?.sessionId).toBe('a');
    expect(plan.actions).toEqual([
      { kind: 'delete', eniId: 'eni-1', sessionId: 'b', sessionNumber: 32766, reason: 'duplicate' },
    ]);
    const converged = planEni({
      eniId: 'eni-1',
      source,
      sessions: [session('a', 32765, 'me')],
      settings,
      refusal: undefined,
    });
    expect(converged.actions).toEqual([]);
  });

  it('deletes only its own sessions when nothing is desired', () => {
    const plan = planEni({
      eniId: 'eni-1',
      source: undefined,
      sessions: [session('mine', 32766, 'me'), session('theirs', 1, 'someone-else'), session('tool', 2)],
      settings,
      refusal: undefined,
    });
    expect(plan.actions.map((a) => a.kind === 'delete' && a.sessionId)).toEqual(['mine']);
  });

  it('replaces a drifted session (other target) and respects refusals and the 3-per-ENI limit', () => {
    const drift = planEni({
      eniId: 'eni-1',
      source,
      sessions: [session('old', 32766, 'me', { targetId: 'tmt-old' })],
      settings,
      refusal: undefined,
    });
    expect(drift.actions.map((a) => a.kind)).toEqual(['delete', 'create']);
    const refused = planEni({
      eniId: 'eni-1',
      source,
      sessions: [],
      settings,
      refusal: { code: 'SOURCE_NOT_SUPPORTED', awsCode: 'NetworkInterfaceNotSupported', message: 'no' },
    });
    expect(refused.actions).toEqual([]);
    expect(refused.unmirrorable?.remedy).toContain('forwarder sidecar');
    const full = planEni({
      eniId: 'eni-1',
      source,
      sessions: [session('x', 1), session('y', 2), session('z', 3)],
      settings,
      refusal: undefined,
    });
    expect(full.unmirrorable?.code).toBe('ENI_SESSION_LIMIT');
    expect(full.actions).toEqual([]);
  });
});

describe('task views and tokens', () => {
  it('reads the ENI from DescribeTasks and event attachments, and bridge tasks as instance sources', () => {
    const base = {
      taskArn: 'arn:t',
      clusterArn: 'arn:aws:ecs:r:1:cluster/shop',
      taskDefinitionArn: 'arn:aws:ecs:r:1:task-definition/web:7',
      group: 'service:web',
    };
    const describe = taskViewOf({
      ...base,
      launchType: 'FARGATE',
      attachments: [
        { type: 'ServiceConnect', status: 'ATTACHED', details: [] },
        {
          type: 'ElasticNetworkInterface',
          status: 'ATTACHED',
          details: [{ name: 'networkInterfaceId', value: 'eni-9' }],
        },
      ],
    });
    expect(describe?.network).toEqual({ kind: 'task-eni', eniId: 'eni-9', attachmentStatus: 'ATTACHED' });
    expect(describe?.family).toBe('web');
    expect(describe?.serviceName).toBe('web');
    const provisioning = taskViewOf({
      ...base,
      launchType: 'FARGATE',
      attachments: [{ type: 'eni', status: 'PRECREATED', details: [{ name: 'subnetId', value: 's' }] }],
    });
    expect(provisioning?.network).toEqual({
      kind: 'task-eni',
      eniId: undefined,
      attachmentStatus: 'PRECREATED',
    });
    const bridge = taskViewOf({ ...base, launchType: 'EC2', containerInstanceArn: 'arn:ci' });
    expect(bridge?.network).toEqual({ kind: 'instance', containerInstanceArn: 'arn:ci' });
  });

  it('makes a 64-character token that changes with the parameters, the bucket and the salt', () => {
    const spec = {
      eniId: 'eni-1',
      targetId: 't',
      filterId: 'f',
      sessionNumber: 1,
      vni: undefined,
      packetLength: undefined,
      tags: {},
      description: '',
    };
    const a = clientToken('me', spec, 1);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(clientToken('me', spec, 1)).toBe(a);
    expect(clientToken('me', spec, 2)).not.toBe(a);
    expect(clientToken('me', spec, 1, '1')).not.toBe(a);
    expect(clientToken('me', { ...spec, sessionNumber: 2 }, 1)).not.toBe(a);
  });
});
