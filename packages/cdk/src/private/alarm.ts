import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';

/** One alarm of the constructs' shape: at or above `threshold`, missing data is not a breach. */
export interface AlarmSpec {
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly description: string;
  /** Periods that must breach, out of as many evaluated (1 unless a short blip should not alarm). */
  readonly periods?: number;
}

/**
 * Creates the alarm with the user's actions and adds it to `list` (the construct's public `alarms`),
 * so every alarm of every construct is built, wired and exposed the same way.
 */
export function addAlarm(
  scope: Construct,
  id: string,
  spec: AlarmSpec,
  actions: readonly cloudwatch.IAlarmAction[],
  list: cloudwatch.Alarm[],
): cloudwatch.Alarm {
  const periods = spec.periods ?? 1;
  const alarm = new cloudwatch.Alarm(scope, id, {
    metric: spec.metric,
    threshold: spec.threshold,
    evaluationPeriods: periods,
    ...(periods > 1 ? { datapointsToAlarm: periods } : {}),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    alarmDescription: spec.description,
  });
  for (const action of actions) alarm.addAlarmAction(action);
  list.push(alarm);
  return alarm;
}
