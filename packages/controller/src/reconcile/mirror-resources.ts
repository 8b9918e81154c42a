import type { MirrorTargetType } from '../aws/ports.js';
import type { PlanSettings } from '../core/plan.js';
import { ControllerError } from '../errors.js';
import type { ReconcileContext } from './context.js';

/**
 * Checks that the configured target and filter exist, before anything is planned or written: a
 * deleted or mistyped one would otherwise turn every session into drift, deleted first and then
 * never re-created. A found pair is remembered for `mirrorCheckTtlMs`; a missing one never is, so
 * the fix is seen at once.
 */
export async function checkMirrorResources(ctx: ReconcileContext): Promise<MirrorTargetType | undefined> {
  const describe = ctx.ec2.describeMirrorResources?.bind(ctx.ec2);
  if (!describe) return undefined;
  const cached = ctx.mirrorCheck.value;
  if (cached && ctx.now() - cached.at < ctx.mirrorCheckTtlMs) return cached.targetType;
  const { targetId, filterId } = ctx.settings;
  const found = await describe(targetId, filterId);
  const missing: string[] = [];
  if (found.targetType === undefined) missing.push(`target ${targetId} (config key "target")`);
  if (!found.filterFound) missing.push(`filter ${filterId} (config key "filter")`);
  if (missing.length > 0) {
    throw new ControllerError(
      found.targetType === undefined ? 'TARGET_NOT_FOUND' : 'FILTER_NOT_FOUND',
      `traffic mirror ${missing.join(' and ')} does not exist: nothing was changed; fix the id in the configuration or create it`,
    );
  }
  ctx.mirrorCheck.value = { at: ctx.now(), targetType: found.targetType };
  return found.targetType;
}

/** The plan settings with the target's type, so AWS's defaults for it are applied when comparing. */
export async function checkedSettings(ctx: ReconcileContext): Promise<PlanSettings> {
  const targetType = await checkMirrorResources(ctx);
  return targetType === undefined ? ctx.settings : { ...ctx.settings, targetType };
}
