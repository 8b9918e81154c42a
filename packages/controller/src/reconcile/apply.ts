import { clientToken, tokenBucket } from '../core/client-token.js';
import type { AppliedAction } from '../core/outcomes.js';
import type { Action } from '../core/plan.js';
import { asControllerError, type ControllerErrorCode, isControllerError } from '../errors.js';
import { markTokenSpent, type ReconcileContext } from './context.js';

/**
 * One write. Terminal AWS errors come back as a `failed` record; retryable ones (throttling
 * beyond the SDK's retries, 5xx) are thrown, so the work item fails and is retried later.
 * `salt` makes a fresh ClientToken when the last one is spent (see converge).
 */
export async function applyAction(
  ctx: ReconcileContext,
  action: Action,
  salt: number,
): Promise<AppliedAction> {
  let sentToken: string | undefined;
  try {
    if (action.kind === 'delete') {
      const r = await ctx.ec2.deleteSession(action.sessionId);
      ctx.log.info('deleted session', {
        eniId: action.eniId,
        sessionId: action.sessionId,
        reason: action.reason,
        result: r,
      });
      return {
        action,
        result: r === 'deleted' ? 'done' : 'already-gone',
        sessionId: action.sessionId,
        errorCode: undefined,
        message: undefined,
      };
    }
    const bucket = tokenBucket(ctx.now(), ctx.tokenWindowMs);
    const tokenFor = (s: number) =>
      clientToken(ctx.settings.owner, action.spec, bucket, s === 0 ? '' : String(s));
    // A token this process already saw spent would only be refused (or answered with a gone session).
    let token = tokenFor(salt);
    for (let s = salt + 1; ctx.spentTokens.has(token); s++) token = tokenFor(s);
    sentToken = token;
    const { sessionId } = await ctx.ec2.createSession(action.spec, token);
    ctx.log.info('created session', {
      eniId: action.eniId,
      sessionId,
      sessionNumber: action.spec.sessionNumber,
    });
    return {
      action,
      result: 'done',
      sessionId,
      errorCode: undefined,
      message: undefined,
      clientToken: token,
    };
  } catch (error) {
    if (!isControllerError(error)) throw error;
    // A spent token is not fixed by retrying it later (the same token comes back): report it, so
    // converge salts a fresh token and re-plans now.
    if (error.code === 'IDEMPOTENCY_MISMATCH' && action.kind === 'create') {
      ctx.log.warn('ClientToken already used: new token', { eniId: action.eniId, error: error.message });
      markTokenSpent(ctx, sentToken);
      return { ...failedAction(action, error.code, error.message), clientToken: sentToken };
    }
    if (error.retryable) throw error;
    if (error.code === 'SOURCE_NOT_SUPPORTED') {
      ctx.refusals.set(action.eniId, {
        code: error.code,
        awsCode: error.awsCode,
        message: error.message,
      });
      ctx.log.warn('source not mirrorable', {
        eniId: action.eniId,
        awsCode: error.awsCode,
        error: error.message,
      });
    } else {
      ctx.log.warn('write failed', { eniId: action.eniId, code: error.code, error: error.message });
    }
    return failedAction(action, error.code, error.message);
  }
}

/** One write whose every failure, retryable ones too, is recorded (cleanup reports them all). */
export async function applyActionCatching(ctx: ReconcileContext, action: Action): Promise<AppliedAction> {
  try {
    return await applyAction(ctx, action, 0);
  } catch (error) {
    const e = asControllerError(error);
    return failedAction(action, e.code, e.message);
  }
}

function failedAction(action: Action, errorCode: ControllerErrorCode, message: string): AppliedAction {
  return { action, result: 'failed', sessionId: undefined, errorCode, message };
}
