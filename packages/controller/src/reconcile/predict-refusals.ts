import type { Refusal } from '../core/plan.js';
import { predictedRefusal } from '../core/refusals.js';
import { asControllerError } from '../errors.js';
import type { ReconcileContext } from './context.js';

export interface PredictedRefusals {
  readonly predicted: Map<string, Refusal>;
  /** Set when the ENIs could not be read (no ec2:DescribeNetworkInterfaces): AWS is asked instead. */
  readonly notPredicted?: string;
}

/**
 * Refusals EC2's own description of each ENI predicts (requester-managed by ECS, as every Fargate
 * task ENI is; a branch ENI of ENI trunking; interface types other than `interface`), for the given
 * ENIs that have no remembered refusal. One batched DescribeNetworkInterfaces (by 200 ENIs). Derived
 * on every plan rather than stored: the resync Lambda starts with an empty refusal cache, and the
 * event path would otherwise call CreateTrafficMirrorSession once per refused task to learn it.
 * Callers pass only ENIs that want a session and have none, so a mirrored ENI costs no read.
 */
export async function predictRefusals(
  ctx: ReconcileContext,
  eniIds: readonly string[],
): Promise<PredictedRefusals> {
  const predicted = new Map<string, Refusal>();
  if (!ctx.config.predictRefusals || ctx.ec2.describeSourceEnis === undefined) return { predicted };
  const ids = [...new Set(eniIds)].filter((id) => ctx.refusals.get(id) === undefined);
  if (ids.length === 0) return { predicted };
  try {
    for (const facts of (await ctx.ec2.describeSourceEnis(ids)).values()) {
      const reason = predictedRefusal(facts);
      if (reason !== undefined)
        predicted.set(facts.eniId, {
          code: 'SOURCE_NOT_SUPPORTED',
          awsCode: undefined,
          message: reason,
          predicted: true,
        });
    }
  } catch (error) {
    // Without ec2:DescribeNetworkInterfaces the controller still runs, asking AWS as before.
    const e = asControllerError(error);
    if (e.code !== 'AWS_ACCESS_DENIED') throw error;
    ctx.log.warn('refusals not predicted', { error: e.message });
    return {
      predicted,
      notPredicted: `refusals not predicted: ${e.message} (grant ec2:DescribeNetworkInterfaces)`,
    };
  }
  return { predicted };
}
