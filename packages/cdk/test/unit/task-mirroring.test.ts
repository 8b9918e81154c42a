import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { MirrorFilter, MirrorTarget, PropsValidationError, TaskMirroring } from '../../src/index.js';
import { buildAllOptions, buildDefaults, newStack, OWNER } from '../support/stacks.js';

const defaults = buildDefaults();
const all = buildAllOptions();

type Statement = {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

function controllerStatements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) =>
      JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes('MirroringRole'),
    )
    .flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    );
}

function lambdaEnvConfig(template: Template, handler: string): Record<string, unknown> {
  const fn = Object.values(
    template.findResources('AWS::Lambda::Function', { Properties: { Handler: `index.${handler}` } }),
  )[0] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  };
  return fn.Properties.Environment.Variables;
}

describe('TaskMirroring IAM', () => {
  const statements = controllerStatements(defaults.template);
  const bySid = (sid: string) => statements.find((s) => s.Sid === sid)!;

  it('creates sessions only with its owner tag in the request and only fargate-mirror tag keys', () => {
    expect(bySid('CreateSessionsWithOwnerTag')).toMatchObject({
      Action: 'ec2:CreateTrafficMirrorSession',
      Condition: {
        StringEquals: { 'aws:RequestTag/fargate-mirror:owner': OWNER },
        'ForAllValues:StringLike': { 'aws:TagKeys': ['fargate-mirror:*'] },
      },
    });
    expect(JSON.stringify(bySid('CreateSessionsWithOwnerTag').Resource)).toContain(
      ':traffic-mirror-session/*',
    );
  });

  it('creates sessions only on its own target and filter (any task ENI)', () => {
    const s = bySid('CreateSessionsOnOwnTargetAndFilter');
    const resources = JSON.stringify(s.Resource);
    expect(resources).toContain(':traffic-mirror-target/');
    expect(resources).toMatch(/traffic-mirror-target\/"\s*,\s*\{"Ref":"Target[0-9A-F]{8}"\}/);
    expect(resources).toContain(':traffic-mirror-filter/');
    expect(resources).toMatch(/traffic-mirror-filter\/"\s*,\s*\{"Ref":"Filter[0-9A-F]{8}"\}/);
    expect(resources).toContain(':network-interface/*');
  });

  it('tags only as part of CreateTrafficMirrorSession', () => {
    expect(bySid('TagSessionsOnlyWhenCreating')).toMatchObject({
      Action: 'ec2:CreateTags',
      Condition: { StringEquals: { 'ec2:CreateAction': 'CreateTrafficMirrorSession' } },
    });
  });

  it('deletes only sessions carrying its owner tag', () => {
    expect(bySid('DeleteOwnSessions')).toMatchObject({
      Action: 'ec2:DeleteTrafficMirrorSession',
      Condition: { StringEquals: { 'aws:ResourceTag/fargate-mirror:owner': OWNER } },
    });
  });

  it('has no ec2:* and no Resource "*" on any action that writes', () => {
    for (const s of statements) {
      const actions = [s.Action].flat();
      expect(actions.some((a) => a.endsWith(':*'))).toBe(false);
      const readOnly = actions.every((a) => /^(ec2:Describe|ecs:Describe|ecs:List|logs:|sqs:)/.test(a));
      if (!readOnly) expect(s.Resource).not.toBe('*');
      if (s.Resource === '*') expect(actions.every((a) => /^(ec2:Describe|ecs:List)/.test(a))).toBe(true);
    }
    const ecs = statements.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('ecs:'));
    expect(ecs.sort()).toEqual([
      'ecs:DescribeContainerInstances',
      'ecs:DescribeTasks',
      'ecs:ListClusters',
      'ecs:ListTasks',
    ]);
  });

  it('grants the resync function sending to the work queue, and the worker consuming it', () => {
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(
      expect.arrayContaining(['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage']),
    );
  });

  it('grantStartResync lets a principal invoke the resync function only', () => {
    const stack = newStack();
    const b = buildDefaultsIn(stack);
    const role = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    b.grantStartResync(role);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Operator') }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'lambda:InvokeFunction',
            Resource: Match.arrayWith([
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^MirroringResyncFunction'), 'Arn'] },
            ]),
          }),
        ],
      },
    });
  });
});

function buildDefaultsIn(stack: ReturnType<typeof newStack>): TaskMirroring {
  const filter = MirrorFilter.fromTrafficMirrorFilterId(stack, 'F', 'tmf-0123456789abcdef0');
  const target = MirrorTarget.fromTrafficMirrorTargetId(stack, 'T', 'tmt-0123456789abcdef0');
  return new TaskMirroring(stack, 'Mirroring', { owner: OWNER, target, filter });
}

describe('TaskMirroring wiring', () => {
  it('bundles three Node.js functions from the controller entry with the matching handlers', () => {
    for (const handler of ['taskEventHandler', 'resyncHandler', 'queueWorkerHandler']) {
      defaults.template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: `index.${handler}`,
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
      });
    }
    all.template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.taskEventHandler',
      Runtime: 'nodejs22.x',
    });
  });

  it('passes the controller configuration in the environment', () => {
    const env = lambdaEnvConfig(all.template, 'taskEventHandler');
    const config = JSON.stringify(env['FARGATE_MIRROR_CONFIG']);
    expect(config).toContain(`\\"owner\\":\\"${OWNER}\\"`);
    expect(config).toContain('\\"services\\":[\\"web\\",\\"api\\"]');
    expect(config).toContain('\\"launchTypes\\":[\\"FARGATE\\"]');
    expect(config).toContain('\\"vni\\":4242');
    expect(config).toContain('\\"packetLength\\":128');
    expect(config).toContain('\\"accountSessionQuota\\":5000');
    expect(env['FARGATE_MIRROR_QUEUE_URL']).toEqual({ Ref: expect.stringMatching(/^MirroringWorkQueue/) });
  });

  it('listens to ECS Task State Change events of the selected clusters only', () => {
    defaults.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.ecs'], 'detail-type': ['ECS Task State Change'], detail: Match.absent() },
    });
    all.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: {
          clusterArn: [
            { 'Fn::GetAtt': [Match.stringLikeRegexp('^Cluster'), 'Arn'] },
            Match.objectLike({ 'Fn::Join': Match.anyValue() }),
          ],
        },
      },
    });
  });

  it('retries events with a maximum age and dead-letters them, on the rule and on the resync function', () => {
    defaults.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['aws.ecs'] }),
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 2 },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MirroringEventDeadLetterQueue'), 'Arn'] },
          },
        }),
      ],
    });
    defaults.template.resourcePropertiesCountIs(
      'AWS::Lambda::EventInvokeConfig',
      {
        MaximumEventAgeInSeconds: 3600,
        MaximumRetryAttempts: 2,
        DestinationConfig: {
          OnFailure: {
            Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MirroringEventDeadLetterQueue'), 'Arn'] },
          },
        },
      },
      // Task events arrive through the task-event queue: only the resync is invoked asynchronously.
      1,
    );
    all.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumEventAgeInSeconds: 1800,
      MaximumRetryAttempts: 1,
    });
  });

  it('reserves no concurrency by default, so a deploy fits accounts with little unreserved concurrency', () => {
    for (const handler of ['taskEventHandler', 'resyncHandler', 'queueWorkerHandler']) {
      defaults.template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: `index.${handler}`,
        ReservedConcurrentExecutions: Match.absent(),
      });
    }
  });

  it('reserves concurrency for the task-event function only when eventConcurrency is given', () => {
    const stack = newStack();
    const filter = MirrorFilter.fromTrafficMirrorFilterId(stack, 'F', 'tmf-0123456789abcdef0');
    const target = MirrorTarget.fromTrafficMirrorTargetId(stack, 'T', 'tmt-0123456789abcdef0');
    new TaskMirroring(stack, 'Mirroring', { owner: OWNER, target, filter, eventConcurrency: 10 });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.taskEventHandler',
      ReservedConcurrentExecutions: 10,
    });
    for (const handler of ['resyncHandler', 'queueWorkerHandler']) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: `index.${handler}`,
        ReservedConcurrentExecutions: Match.absent(),
      });
    }
  });

  it('resyncs every 5 minutes by default', () => {
    defaults.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    all.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(10 minutes)' });
  });

  it('works a FIFO queue with a dead-letter queue, partial batch failures and bounded concurrency', () => {
    defaults.template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 720,
      RedrivePolicy: {
        deadLetterTargetArn: {
          'Fn::GetAtt': [Match.stringLikeRegexp('^MirroringWorkDeadLetterQueue'), 'Arn'],
        },
        maxReceiveCount: 5,
      },
    });
    defaults.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    all.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 4 },
    });
    // every queue refuses plain HTTP.
    defaults.template.resourceCountIs('AWS::SQS::QueuePolicy', 4);
  });

  it('sends task events to a queue that the task-event function drains in coalesced batches', () => {
    defaults.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['aws.ecs'] }),
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MirroringTaskEventQueue'), 'Arn'] },
        }),
      ],
    });
    defaults.template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: Match.absent(),
      VisibilityTimeout: 1800,
      RedrivePolicy: {
        deadLetterTargetArn: {
          'Fn::GetAtt': [Match.stringLikeRegexp('^MirroringEventDeadLetterQueue'), 'Arn'],
        },
        maxReceiveCount: 5,
      },
    });
    defaults.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MirroringTaskEventQueue'), 'Arn'] },
      FunctionName: { Ref: Match.stringLikeRegexp('^MirroringTaskEventFunction') },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    defaults.template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.taskEventHandler',
      Timeout: 300,
      Environment: {
        Variables: Match.objectLike({
          FARGATE_MIRROR_EC2_WRITERS: '2',
          FARGATE_MIRROR_EVENT_QUEUE_URL: { Ref: Match.stringLikeRegexp('^MirroringTaskEventQueue') },
        }),
      },
    });
  });

  it("invokes the task-event function once per event with taskEvents: 'invoke'", () => {
    const stack = newStack();
    const filter = MirrorFilter.fromTrafficMirrorFilterId(stack, 'F', 'tmf-0123456789abcdef0');
    const target = MirrorTarget.fromTrafficMirrorTargetId(stack, 'T', 'tmt-0123456789abcdef0');
    new TaskMirroring(stack, 'Mirroring', { owner: OWNER, target, filter, taskEvents: 'invoke' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['aws.ecs'] }),
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MirroringTaskEventFunction'), 'Arn'] },
        }),
      ],
    });
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 2);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
  });

  it('keeps logs for a month by default', () => {
    // the three functions' and the receivers' EMF metrics log group
    defaults.template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 4);
    all.template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 7 }, 4);
  });

  it('alarms on function errors, dead-letter queue depth, uncovered tasks and the session quota', () => {
    const alarms = Object.values(defaults.template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => (a as { Properties: Record<string, unknown> }).Properties,
    );
    const summary = alarms.map((a) => `${a['Namespace']}/${a['MetricName']}>=${a['Threshold']}`).sort();
    expect(summary).toEqual([
      'AWS/Lambda/Errors>=1',
      'AWS/Lambda/Errors>=1',
      'AWS/Lambda/Errors>=1',
      'AWS/SQS/ApproximateNumberOfMessagesVisible>=1',
      'AWS/SQS/ApproximateNumberOfMessagesVisible>=1',
      'FargateMirror/Receiver/DiskUsedPercent>=80',
      'FargateMirror/Receiver/HecSpoolUsedPercent>=50',
      'FargateMirror/Receiver/KernelDrops>=1',
      'FargateMirror/Receiver/RecordsDropped>=1',
      'FargateMirror/mirrorResourceMissing>=1',
      'FargateMirror/notConverged>=1',
      'FargateMirror/sessionQuotaUsedPercent>=80',
      'FargateMirror/terminalFailures>=1',
      'FargateMirror/uncoveredTasks>=1',
    ]);
    // Not unmirrorableSources: on Fargate every task ENI is refused and the sidecar covers it.
    defaults.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'FargateMirror',
      MetricName: 'uncoveredTasks',
      Dimensions: [{ Name: 'service', Value: 'controller' }],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
    });
    all.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'uncoveredTasks',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
    });
    all.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'sessionQuotaUsedPercent',
      Threshold: 70,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
    });
  });

  it('alarms on terminal failures, not-converged keys and a missing target or filter (the controller metrics)', () => {
    for (const metricName of ['terminalFailures', 'notConverged', 'mirrorResourceMissing']) {
      defaults.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'FargateMirror',
        MetricName: metricName,
        Dimensions: [{ Name: 'service', Value: 'controller' }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      all.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metricName,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
      });
    }
  });

  it('fails with every bad prop reported at once', () => {
    const stack = newStack();
    const filter = MirrorFilter.fromTrafficMirrorFilterId(stack, 'F', 'tmf-0123456789abcdef0');
    const target = MirrorTarget.fromTrafficMirrorTargetId(stack, 'T', 'tmt-0123456789abcdef0');
    let error: unknown;
    try {
      new TaskMirroring(stack, 'Mirroring', {
        owner: 'has spaces',
        target,
        filter,
        vni: 0,
        packetLength: 20,
        eventRetryAttempts: 3,
        workerConcurrency: 1,
        eventConcurrency: 0,
        services: [],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PropsValidationError);
    const issues = (error as PropsValidationError).issues;
    expect(issues.map((i) => i.split(':')[0])).toEqual([
      'owner',
      'vni',
      'packetLength',
      'eventRetryAttempts',
      'workerConcurrency',
      'eventConcurrency',
      'services',
    ]);
    expect(issues[2]).toContain('but 20 was given');
  });
});
