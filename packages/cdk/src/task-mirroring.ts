import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { IMirrorFilter } from './mirror-filter.js';
import type { IMirrorTarget } from './mirror-target.js';
import { addAlarm } from './private/alarm.js';
import { packageAsset } from './private/assets.js';
import { controllerPolicyStatements } from './private/controller-policy.js';
import { acknowledgeNag } from './private/nag.js';
import { requireSource } from './private/repo-paths.js';
import { mismatches, outOfRange, validateAll } from './private/validate.js';

/** The CloudWatch namespace the controller's Powertools metrics use. */
export const CONTROLLER_METRIC_NAMESPACE = 'FargateMirror';
const CONTROLLER_METRIC_DIMENSIONS = { service: 'controller' };

/** An ECS launch type the controller selects. */
export enum SelectedLaunchType {
  FARGATE = 'FARGATE',
  EC2 = 'EC2',
  EXTERNAL = 'EXTERNAL',
}

export interface TaskMirroringProps {
  /**
   * The deployment name, written to every session's `fargate-mirror:owner` tag. The controller
   * touches only sessions with its owner, so two deployments in one account never fight.
   */
  readonly owner: string;
  /** Where the sessions send mirrored traffic. */
  readonly target: IMirrorTarget;
  /** Which traffic the sessions mirror. */
  readonly filter: IMirrorFilter;
  /**
   * The clusters whose tasks are mirrored; the event rule listens to these only.
   * @default - every cluster in the account and region
   */
  readonly clusters?: readonly ecs.ICluster[];
  /**
   * Service names whose tasks are mirrored.
   * @default - every service and standalone task
   */
  readonly services?: readonly string[];
  /**
   * Launch types whose tasks are mirrored.
   * @default - Fargate and EC2
   */
  readonly launchTypes?: readonly SelectedLaunchType[];
  /**
   * A fixed VXLAN network identifier for every session (1-16777215).
   * @default - AWS picks a random one per session
   */
  readonly vni?: number;
  /**
   * Bytes of each packet to mirror, counted after the VXLAN header (35-8500).
   * @default - whole packets
   */
  readonly packetLength?: number;
  /**
   * Also mirror the instance ENIs of EC2 container instances (tasks in bridge/host networking).
   * @default true
   */
  readonly mirrorContainerInstances?: boolean;
  /**
   * The account's session quota, for the "near quota" alarm.
   * @default 10000
   */
  readonly accountSessionQuota?: number;
  /**
   * Alarm when the account's sessions reach this share of the quota (percent).
   * @default 80
   */
  readonly sessionQuotaAlarmPercent?: number;
  /**
   * How often the resync lists everything and queues a work item per task that differs.
   * @default Duration.minutes(5)
   */
  readonly resyncInterval?: Duration;
  /**
   * Retention of the three functions' logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * How long EventBridge and Lambda keep retrying an event before it goes to the dead-letter queue.
   * @default Duration.hours(1)
   */
  readonly eventMaxAge?: Duration;
  /**
   * Retries of a failed event (EventBridge delivery, and Lambda's asynchronous retries), 0-2.
   * @default 2
   */
  readonly eventRetryAttempts?: number;
  /**
   * Worker invocations at once on the work queue (at least 2). Paces writes against EC2's
   * mutating-call rate (~5/s).
   * @default 2
   */
  readonly workerConcurrency?: number;
  /**
   * Reserved concurrency of the task-event function, opt-in. Reserving takes that many executions
   * out of the account's unreserved pool, and Lambda refuses the deploy when fewer than 100 would be
   * left (accounts with a low concurrency quota fail with 10). The controller paces its EC2 writes
   * and reads client-side against token buckets at EC2's published rates instead
   * (docs/aws-facts.md), so a deploy storm needs no cap here.
   * @default - none reserved
   */
  readonly eventConcurrency?: number;
  /**
   * How task state change events reach the task-event function. `queue`: EventBridge puts them on
   * the task-event queue, which the function drains in batches (up to 100 events gathered for up
   * to 5 s, coalesced per task, reconciled with shared reads; at most `workerConcurrency`
   * sandboxes, each pacing EC2 calls at its share of EC2's buckets). `invoke`: one asynchronous
   * invocation per event (the earlier wiring; every invocation reads on its own).
   * @default 'queue'
   */
  readonly taskEvents?: 'queue' | 'invoke';
  /**
   * Actions of every alarm (e.g. an SNS topic).
   * @default - no actions
   */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
  /**
   * A controller Lambda entry file to bundle with esbuild at synth (no Docker; needs esbuild), instead
   * of the prebuilt bundle.
   * @default - the controller bundle prebuilt into this package (assets/controller/index.mjs)
   */
  readonly handlerEntry?: string;
  /**
   * The Lambda runtime.
   * @default lambda.Runtime.NODEJS_24_X
   */
  readonly runtime?: lambda.Runtime;
}

const OWNER_PATTERN = /^[A-Za-z0-9._:/=+@-]{1,128}$/;

/**
 * The controller: keeps exactly one owned mirror session on every selected task ENI. An
 * EventBridge rule feeds `ECS Task State Change` events of the selected clusters to one function;
 * a schedule runs the resync, which queues one work item per differing task on a FIFO queue that a
 * worker function drains. Dead-letter queues, alarms and least-privilege IAM included.
 */
export class TaskMirroring extends Construct {
  readonly taskEventFunction: lambda.Function;
  readonly resyncFunction: lambda.Function;
  readonly workerFunction: lambda.Function;
  /** EventBridge's task state change events, drained in batches by the task-event function (`taskEvents: 'queue'`). */
  readonly taskEventQueue: sqs.Queue | undefined;
  /** The FIFO work queue (message group = task, so one task is never worked twice at once). */
  readonly workQueue: sqs.Queue;
  /** Work items that failed every retry. */
  readonly workDeadLetterQueue: sqs.Queue;
  /** Events that EventBridge could not deliver, or whose invocation failed every retry. */
  readonly eventDeadLetterQueue: sqs.Queue;
  /** The functions' shared execution role. */
  readonly role: iam.Role;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: TaskMirroringProps) {
    super(scope, id);
    const retryAttempts = props.eventRetryAttempts ?? 2;
    const maxEventAge = props.eventMaxAge ?? Duration.hours(1);
    const quotaPercent = props.sessionQuotaAlarmPercent ?? 80;
    const quota = props.accountSessionQuota ?? 10_000;
    const workerConcurrency = props.workerConcurrency ?? 2;
    const eventConcurrency = props.eventConcurrency;
    const resyncInterval = props.resyncInterval ?? Duration.minutes(5);
    validateAll(this, [
      {
        failed: mismatches(props.owner, OWNER_PATTERN),
        message: `owner: must be 1-128 characters of letters, digits and ._:/=+@-, but "${props.owner}" was given`,
      },
      {
        failed: outOfRange(props.vni, 1, 16_777_215),
        message: `vni: must be 1-16777215, but ${props.vni} was given`,
      },
      {
        failed: outOfRange(props.packetLength, 35, 8500),
        message: `packetLength: must be 35-8500 bytes (35 is the AWS minimum for IPv4), but ${props.packetLength} was given`,
      },
      {
        failed: outOfRange(retryAttempts, 0, 2),
        message: `eventRetryAttempts: must be 0-2, but ${retryAttempts} was given`,
      },
      {
        failed:
          !maxEventAge.isUnresolved() && (maxEventAge.toSeconds() < 60 || maxEventAge.toSeconds() > 21_600),
        message: `eventMaxAge: must be 1 minute to 6 hours, but ${maxEventAge.toHumanString()} was given`,
      },
      {
        failed: outOfRange(quotaPercent, 1, 100),
        message: `sessionQuotaAlarmPercent: must be 1-100, but ${quotaPercent} was given`,
      },
      {
        failed: outOfRange(quota, 1, 1_000_000),
        message: `accountSessionQuota: must be positive, but ${quota} was given`,
      },
      {
        failed: outOfRange(workerConcurrency, 2, 1000),
        message: `workerConcurrency: must be 2-1000 (Lambda's minimum for SQS), but ${workerConcurrency} was given`,
      },
      {
        failed: outOfRange(eventConcurrency, 1, 1000),
        message: `eventConcurrency: must be 1-1000, but ${eventConcurrency} was given`,
      },
      {
        failed: !resyncInterval.isUnresolved() && resyncInterval.toSeconds() < 60,
        message: `resyncInterval: must be at least 1 minute, but ${resyncInterval.toHumanString()} was given`,
      },
      {
        failed: props.services !== undefined && props.services.length === 0,
        message: 'services: must list at least one service name, or be omitted to mean every service',
      },
      {
        failed: props.clusters !== undefined && props.clusters.length === 0,
        message: 'clusters: must list at least one cluster, or be omitted to mean every cluster',
      },
    ]);
    const entry =
      props.handlerEntry !== undefined
        ? requireSource(props.handlerEntry, 'the controller Lambda entry')
        : undefined;
    const prebuilt = entry === undefined ? lambda.Code.fromAsset(packageAsset('controller')) : undefined;

    this.eventDeadLetterQueue = new sqs.Queue(this, 'EventDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.workDeadLetterQueue = new sqs.Queue(this, 'WorkDeadLetterQueue', {
      fifo: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const taskEvents = props.taskEvents ?? 'queue';
    const workerTimeout = Duration.minutes(2);
    // A batch's creates wait for EC2's bucket (5/s shared by the sandboxes: 100 events ~ 40 s).
    const taskEventTimeout = taskEvents === 'queue' ? Duration.minutes(5) : Duration.minutes(1);
    this.taskEventQueue =
      taskEvents === 'queue'
        ? new sqs.Queue(this, 'TaskEventQueue', {
            encryption: sqs.QueueEncryption.SQS_MANAGED,
            enforceSSL: true,
            // Lambda's advice: six times the function timeout.
            visibilityTimeout: Duration.seconds(taskEventTimeout.toSeconds() * 6),
            retentionPeriod: Duration.days(4),
            deadLetterQueue: { queue: this.eventDeadLetterQueue, maxReceiveCount: 5 },
          })
        : undefined;
    this.workQueue = new sqs.Queue(this, 'WorkQueue', {
      fifo: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's advice: six times the function timeout, so retries of a batch never overlap.
      visibilityTimeout: Duration.seconds(workerTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.workDeadLetterQueue, maxReceiveCount: 5 },
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'fargate-mirror controller: owner-tagged mirror sessions, read-only ECS/EC2',
    });
    for (const statement of controllerPolicyStatements(this, {
      owner: props.owner,
      targetArn: props.target.trafficMirrorTargetArn,
      filterArn: props.filter.trafficMirrorFilterArn,
    })) {
      this.role.addToPrincipalPolicy(statement);
    }

    const config = {
      owner: props.owner,
      target: props.target.trafficMirrorTargetId,
      filter: props.filter.trafficMirrorFilterId,
      select: {
        ...(props.clusters ? { clusters: props.clusters.map((c) => c.clusterArn) } : {}),
        ...(props.services ? { services: [...props.services] } : {}),
        ...(props.launchTypes ? { launchTypes: [...props.launchTypes] } : {}),
      },
      ...(props.vni !== undefined ? { vni: props.vni } : {}),
      ...(props.packetLength !== undefined ? { packetLength: props.packetLength } : {}),
      mirrorContainerInstances: props.mirrorContainerInstances ?? true,
      accountSessionQuota: quota,
    };
    const configJson = Stack.of(this).toJsonString(config);
    new CfnOutput(this, 'ControllerConfig', {
      value: configJson,
      description:
        'The controller configuration (JSON): save it as controller.json for fargate-mirror status/plan/cleanup --config',
    });
    const environment = {
      FARGATE_MIRROR_CONFIG: configJson,
      FARGATE_MIRROR_QUEUE_URL: this.workQueue.queueUrl,
      ...(this.taskEventQueue ? { FARGATE_MIRROR_EVENT_QUEUE_URL: this.taskEventQueue.queueUrl } : {}),
      // Sandboxes writing at once per function: each paces EC2 calls at this share of EC2's buckets.
      FARGATE_MIRROR_EC2_WRITERS: String(workerConcurrency),
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };
    const fn = (name: string, handler: string, timeout: Duration, description: string) => {
      const logGroup = new logs.LogGroup(this, `${name}Logs`, {
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      });
      logGroup.grantWrite(this.role);
      const common = {
        description,
        runtime: props.runtime ?? lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 512,
        timeout,
        role: this.role,
        logGroup,
        environment,
      };
      if (prebuilt !== undefined) {
        return new lambda.Function(this, name, {
          ...common,
          // As NodejsFunction does for a bundle with a source map.
          environment: { ...environment, NODE_OPTIONS: '--enable-source-maps' },
          code: prebuilt,
          handler: `index.${handler}`,
        });
      }
      return new nodejs.NodejsFunction(this, name, {
        ...common,
        entry,
        handler,
        bundling: {
          forceDockerBundling: false,
          format: nodejs.OutputFormat.ESM,
          target: 'node22',
          mainFields: ['module', 'main'],
          // bundle the SDK version the controller's tests ran against, not the runtime's copy.
          externalModules: [],
          minify: true,
          sourceMap: true,
          banner:
            "import { createRequire as __fmCreateRequire } from 'node:module'; const require = __fmCreateRequire(import.meta.url);",
        },
      });
    };
    this.taskEventFunction = fn(
      'TaskEventFunction',
      'taskEventHandler',
      taskEventTimeout,
      'fargate-mirror: ECS task state change events',
    );
    if (eventConcurrency !== undefined) {
      (this.taskEventFunction.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions =
        eventConcurrency;
    }
    this.resyncFunction = fn(
      'ResyncFunction',
      'resyncHandler',
      Duration.minutes(5),
      'fargate-mirror: scheduled resync',
    );
    this.workerFunction = fn(
      'WorkerFunction',
      'queueWorkerHandler',
      workerTimeout,
      'fargate-mirror: resync work queue',
    );
    this.workQueue.grantSendMessages(this.resyncFunction);
    this.workerFunction.addEventSource(
      new SqsEventSource(this.workQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: workerConcurrency,
      }),
    );
    if (this.taskEventQueue) {
      // The function puts a throttled task back as a new message (never towards the dead-letter queue).
      this.taskEventQueue.grantSendMessages(this.taskEventFunction);
      this.taskEventFunction.addEventSource(
        new SqsEventSource(this.taskEventQueue, {
          batchSize: 100,
          maxBatchingWindow: Duration.seconds(5),
          reportBatchItemFailures: true,
          maxConcurrency: workerConcurrency,
        }),
      );
    }
    for (const f of this.taskEventQueue
      ? [this.resyncFunction]
      : [this.taskEventFunction, this.resyncFunction]) {
      f.configureAsyncInvoke({
        retryAttempts,
        maxEventAge,
        onFailure: new destinations.SqsDestination(this.eventDeadLetterQueue),
      });
    }

    const targetOptions = { deadLetterQueue: this.eventDeadLetterQueue, maxEventAge, retryAttempts };
    new events.Rule(this, 'TaskStateChangeRule', {
      description: 'fargate-mirror: ECS task state changes of the selected clusters',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        ...(props.clusters ? { detail: { clusterArn: props.clusters.map((c) => c.clusterArn) } } : {}),
      },
      targets: [
        this.taskEventQueue
          ? new targets.SqsQueue(this.taskEventQueue, targetOptions)
          : new targets.LambdaFunction(this.taskEventFunction, targetOptions),
      ],
    });
    new events.Rule(this, 'ResyncSchedule', {
      description: 'fargate-mirror: periodic resync of mirror sessions',
      schedule: events.Schedule.rate(resyncInterval),
      targets: [new targets.LambdaFunction(this.resyncFunction, targetOptions)],
    });

    this.#alarms(props, quotaPercent);
    this.#outcomeAlarms(props);
    acknowledgeNag(this.role, [
      [
        'IAM5[Resource::*]',
        'ec2:Describe* and ecs:List* support no resource-level permissions; they are read-only',
      ],
      [
        'IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:traffic-mirror-session/*]',
        'session ids are not known in advance: creating requires the owner tag in the request (aws:RequestTag), tagging only during the create (ec2:CreateAction), deleting requires the owner tag on the session (aws:ResourceTag)',
      ],
      [
        'IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]',
        'the mirror sources are task ENIs that come and go; sessions may only use this target and filter, and must carry the owner tag',
      ],
      [
        'IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/*]',
        'read-only DescribeTasks for tasks found by ListTasks; the controller applies its cluster selection itself',
      ],
      [
        'IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:container-instance/*]',
        'read-only DescribeContainerInstances to find the instance ENI of bridge/host-mode tasks',
      ],
    ]);
    // EventBridge targets and Lambda on-failure destinations use this queue as their dead-letter queue.
    acknowledgeNag(this.eventDeadLetterQueue, [
      [
        'SQS3',
        "this queue is the dead-letter queue of the event rules and of the functions' asynchronous invocations",
      ],
    ]);
  }

  /** Sessions in the account as a percentage of the quota (published by every resync). */
  metricSessionQuotaUsedPercent(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.#controllerMetric('sessionQuotaUsedPercent', props);
  }

  /** Selected sources AWS refuses to mirror (e.g. Fargate ENIs where AWS does not accept them). */
  metricUnmirrorableSources(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.#controllerMetric('unmirrorableSources', props);
  }

  /**
   * Selected running tasks whose traffic reaches no target: neither mirrored by a session nor
   * covered by a running forwarder sidecar (published by every resync, 0 included).
   */
  metricUncoveredTasks(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.#controllerMetric('uncoveredTasks', props);
  }

  /** Lets `grantee` start a resync now (invoke the resync function). */
  grantStartResync(grantee: iam.IGrantable): iam.Grant {
    return this.resyncFunction.grantInvoke(grantee);
  }

  #controllerMetric(metricName: string, props: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: CONTROLLER_METRIC_NAMESPACE,
      metricName,
      dimensionsMap: CONTROLLER_METRIC_DIMENSIONS,
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(15),
      ...props,
    });
  }

  /**
   * Alarms on the controller's own failure counters (its `ALARM_METRICS`, summed over 5 minutes):
   * terminal failures (recorded and never retried, e.g. ACCOUNT_SESSION_LIMIT: nothing else would
   * show them), keys that did not converge (retried, but a steady count means another writer keeps
   * changing the ENIs), and a missing target or filter (nothing is changed until it is fixed).
   */
  #outcomeAlarms(props: TaskMirroringProps): void {
    const alarms: [string, string, string][] = [
      [
        'TerminalFailuresAlarm',
        'terminalFailures',
        'fargate-mirror: reconciles failed for good (not retried): read the controller logs at error level',
      ],
      [
        'NotConvergedAlarm',
        'notConverged',
        'fargate-mirror: ENIs still needed writes after every round (NOT_CONVERGED): look for another writer with the same owner',
      ],
      [
        'MirrorResourceMissingAlarm',
        'mirrorResourceMissing',
        'fargate-mirror: the configured mirror target or filter does not exist: nothing is mirrored or changed until it is fixed',
      ],
    ];
    for (const [id, metricName, description] of alarms) {
      const metric = this.#controllerMetric(metricName, {
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      });
      addAlarm(this, id, { metric, threshold: 1, description }, props.alarmActions ?? [], this.alarms);
    }
  }

  #alarms(props: TaskMirroringProps, quotaPercent: number): void {
    const add = (
      id: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      periods = 1,
    ) =>
      addAlarm(this, id, { metric, threshold, description, periods }, props.alarmActions ?? [], this.alarms);
    const fns: [string, lambda.IFunction][] = [
      ['TaskEvent', this.taskEventFunction],
      ['Resync', this.resyncFunction],
      ['Worker', this.workerFunction],
    ];
    for (const [name, f] of fns) {
      add(
        `${name}ErrorsAlarm`,
        f.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        1,
        `fargate-mirror: the ${name} function failed`,
      );
    }
    for (const [name, q] of [
      ['EventDeadLetter', this.eventDeadLetterQueue],
      ['WorkDeadLetter', this.workDeadLetterQueue],
    ] as const) {
      add(
        `${name}QueueAlarm`,
        q.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        1,
        `fargate-mirror: messages in the ${name} queue; inspect and redrive them`,
      );
    }
    // Not on unmirrorableSources: on Fargate every task is refused and its sidecar covers it.
    // Uncovered in two 15-minute periods running, so a task that has just started is not an alarm.
    add(
      'UncoveredTasksAlarm',
      this.metricUncoveredTasks(),
      1,
      'fargate-mirror: selected running tasks neither mirrored nor covered by a running forwarder sidecar; `fargate-mirror-controller status` says why',
      2,
    );
    add(
      'SessionQuotaAlarm',
      this.metricSessionQuotaUsedPercent(),
      quotaPercent,
      `fargate-mirror: mirror sessions at ${quotaPercent}% of the account quota`,
    );
  }
}
