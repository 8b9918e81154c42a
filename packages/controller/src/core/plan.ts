import type { ControllerErrorCode } from '../errors.js';
import { chooseSessionNumber, type SessionNumberPolicy, sessionNumberAcceptable } from './session-number.js';
import type { MirrorTargetType } from './types.js';
import {
  type DesiredSource,
  type SessionView,
  TAG_CLUSTER,
  TAG_CONTAINER_INSTANCE,
  TAG_OWNER,
  TAG_SERVICE,
  TAG_TASK_ARN,
} from './types.js';
import { desiredVni, type VniPolicy } from './vni.js';

/** AWS allows this many sessions per source ENI (not adjustable). */
export const SESSIONS_PER_ENI = 3;

/** What the plan needs from the configuration. */
export interface PlanSettings {
  readonly owner: string;
  readonly targetId: string;
  readonly filterId: string;
  readonly vni: VniPolicy;
  readonly sessionNumber: SessionNumberPolicy;
  readonly packetLength: number | undefined;
  /** The configured target's type, when known: AWS's defaults (PacketLength) depend on it. */
  readonly targetType?: MirrorTargetType;
  /**
   * With `highest-free`, take a number below another tool's session when none above is free (ours is
   * then evaluated first and takes the packets its filter matches). @default false
   */
  readonly takeTrafficFromOthers?: boolean;
}

/** AWS sets this PacketLength on sessions with a Network Load Balancer target when none is given. */
export const NLB_DEFAULT_PACKET_LENGTH = 8500;

/**
 * The PacketLength a session really has once AWS's defaults are applied: undefined means whole
 * packets. Comparing raw fields would see drift in every NLB-target session and churn it forever.
 */
export function effectivePacketLength(
  packetLength: number | undefined,
  targetType: MirrorTargetType | undefined,
): number | undefined {
  return packetLength ?? (targetType === 'network-load-balancer' ? NLB_DEFAULT_PACKET_LENGTH : undefined);
}

/**
 * Whether a session's PacketLength is the configured one once AWS's defaults are applied. With the
 * target's type unknown (an Ec2Port without `describeMirrorResources`), 8500 on a session is taken
 * as the NLB default of an unset packetLength: re-creating it would get 8500 again, forever.
 */
export function packetLengthMatches(
  sessionPacketLength: number | undefined,
  configured: number | undefined,
  targetType: MirrorTargetType | undefined,
): boolean {
  if (
    targetType === undefined &&
    configured === undefined &&
    sessionPacketLength === NLB_DEFAULT_PACKET_LENGTH
  )
    return true;
  return (
    effectivePacketLength(sessionPacketLength, targetType) === effectivePacketLength(configured, targetType)
  );
}

/** A session to create: every parameter of CreateTrafficMirrorSession we set. */
export interface SessionSpec {
  readonly eniId: string;
  readonly targetId: string;
  readonly filterId: string;
  readonly sessionNumber: number;
  /** Undefined: let AWS choose a random account-unique VNI. */
  readonly vni: number | undefined;
  readonly packetLength: number | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly description: string;
}

export type DeleteReason =
  /** No selected active task needs this ENI mirrored (stopped, deselected, gone). */
  | 'not-desired'
  /** A second session of ours on the ENI (concurrent creates): the lowest number wins. */
  | 'duplicate'
  /** Ours, but with another target, filter, VNI, packet length or fixed number than configured. */
  | 'drift'
  /** `cleanup` removes every session of this owner. */
  | 'cleanup';

export type Action =
  | { readonly kind: 'create'; readonly eniId: string; readonly spec: SessionSpec }
  | {
      readonly kind: 'delete';
      readonly eniId: string;
      readonly sessionId: string;
      readonly sessionNumber: number;
      readonly reason: DeleteReason;
    };

/** Why a wanted session cannot exist, and what the user can do. */
export interface Unmirrorable {
  readonly code: ControllerErrorCode;
  readonly reason: string;
  readonly remedy: string;
}

export interface EniPlan {
  readonly eniId: string;
  readonly source: DesiredSource | undefined;
  /** Deletes come before the create, so the 3-per-ENI limit has room. */
  readonly actions: readonly Action[];
  /** The session of ours that stays (when one already matches). */
  readonly keep: SessionView | undefined;
  /** Other tools' sessions with a lower number than ours: they take the packets their filter matches. */
  readonly hiddenBy: readonly SessionView[];
  readonly unmirrorable: Unmirrorable | undefined;
}

/**
 * Why AWS will not take an ENI as a mirror source: an earlier refusal (cached), e.g.
 * `NetworkInterfaceNotSupported`, or one predicted from the ENI's own description.
 */
export interface Refusal {
  readonly code: ControllerErrorCode;
  readonly awsCode: string | undefined;
  readonly message: string;
  /** Derived from DescribeNetworkInterfaces (requester-managed, interface type): AWS was not asked. */
  readonly predicted?: boolean;
}

export const SIDECAR_REMEDY =
  'run the fargate-mirror forwarder sidecar in the task: it captures inside the task and sends the same VXLAN to the same target';

export function isOwnedBy(session: SessionView, owner: string): boolean {
  return session.tags[TAG_OWNER] === owner;
}

export function sessionTags(owner: string, source: DesiredSource): Record<string, string> {
  const tags: Record<string, string> = { [TAG_OWNER]: owner, [TAG_CLUSTER]: source.clusterName };
  if (source.serviceName !== undefined) tags[TAG_SERVICE] = source.serviceName;
  if (source.kind === 'task-eni' && source.taskArns[0] !== undefined) tags[TAG_TASK_ARN] = source.taskArns[0];
  if (source.kind === 'instance' && source.containerInstanceArn !== undefined) {
    tags[TAG_CONTAINER_INSTANCE] = source.containerInstanceArn;
  }
  return tags;
}

function matchesSettings(session: SessionView, settings: PlanSettings, vni: number | undefined): boolean {
  return (
    session.targetId === settings.targetId &&
    session.filterId === settings.filterId &&
    packetLengthMatches(session.packetLength, settings.packetLength, settings.targetType) &&
    (vni === undefined || session.vni === vni) &&
    sessionNumberAcceptable(settings.sessionNumber, session.sessionNumber)
  );
}

/** Lowest session number first, then session id: every concurrent planner picks the same winner. */
export function byPrecedence(a: SessionView, b: SessionView): number {
  return (
    a.sessionNumber - b.sessionNumber || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0)
  );
}

export interface EniPlanInput {
  readonly eniId: string;
  readonly source: DesiredSource | undefined;
  /** Every session on this ENI, ours and other tools'. */
  readonly sessions: readonly SessionView[];
  readonly settings: PlanSettings;
  readonly refusal: Refusal | undefined;
}

/**
 * The actions that bring one ENI to its desired state: exactly one session of ours when a source
 * is desired, none otherwise. Other owners' sessions are never touched; they only constrain the
 * session number and the 3-per-ENI limit, and are reported when they hide ours.
 */
export function planEni(input: EniPlanInput): EniPlan {
  const { eniId, source, settings } = input;
  const sessions = input.sessions.filter((s) => s.eniId === eniId);
  const owned = sessions.filter((s) => isOwnedBy(s, settings.owner)).sort(byPrecedence);
  const foreign = sessions.filter((s) => !isOwnedBy(s, settings.owner));
  const none = { keep: undefined, hiddenBy: [], unmirrorable: undefined };

  if (source === undefined) {
    const actions: Action[] = owned.map((s) => deleteOf(s, 'not-desired'));
    return { eniId, source, actions, ...none };
  }

  const vni = desiredVni(settings.vni, source);
  const keep = owned.find((s) => matchesSettings(s, settings, vni));
  const deletes: Action[] = owned
    .filter((s) => s !== keep)
    .map((s) => deleteOf(s, keep ? 'duplicate' : 'drift'));
  const hiddenBelow = (n: number) => foreign.filter((s) => s.sessionNumber < n).sort(byPrecedence);

  if (keep)
    return {
      eniId,
      source,
      actions: deletes,
      keep,
      hiddenBy: hiddenBelow(keep.sessionNumber),
      unmirrorable: undefined,
    };

  if (input.refusal) {
    const unmirrorable: Unmirrorable = {
      code: input.refusal.code,
      reason: input.refusal.predicted
        ? `AWS refuses ${eniId} as a mirror source (predicted from DescribeNetworkInterfaces; CreateTrafficMirrorSession not called): ${input.refusal.message}`
        : `AWS refused a session on ${eniId}: ${input.refusal.awsCode ?? input.refusal.code}: ${input.refusal.message}`,
      remedy: SIDECAR_REMEDY,
    };
    return { eniId, source, actions: deletes, keep: undefined, hiddenBy: [], unmirrorable };
  }
  if (foreign.length >= SESSIONS_PER_ENI) {
    const unmirrorable: Unmirrorable = {
      code: 'ENI_SESSION_LIMIT',
      reason: `${eniId} already has ${foreign.length} sessions of other tools (AWS allows ${SESSIONS_PER_ENI} per ENI)`,
      remedy: `remove one of them (${foreign.map((s) => s.sessionId).join(', ')}) or use the forwarder sidecar`,
    };
    return { eniId, source, actions: deletes, keep: undefined, hiddenBy: [], unmirrorable };
  }
  const choice = chooseSessionNumber(
    settings.sessionNumber,
    foreign.map((s) => s.sessionNumber),
  );
  if (
    choice.ok &&
    settings.sessionNumber.kind === 'highest-free' &&
    settings.takeTrafficFromOthers !== true
  ) {
    // highest-free promises never to take another tool's packets: only a number above every
    // foreign session on the ENI keeps theirs evaluated first.
    const above = hiddenAbove(foreign, choice.sessionNumber);
    if (above.length > 0) {
      const first = above[0] as SessionView;
      const unmirrorable: Unmirrorable = {
        code: 'SESSION_NUMBER_TAKEN',
        reason: `${eniId}: no session number above every other session is free: session number ${choice.sessionNumber} would take traffic from session ${first.sessionId} (owner ${ownerOf(first)}, number ${first.sessionNumber})`,
        remedy:
          'free a number above the other sessions, or set takeTrafficFromOthers: true to create it anyway',
      };
      return { eniId, source, actions: deletes, keep: undefined, hiddenBy: [], unmirrorable };
    }
  }
  if (!choice.ok) {
    const unmirrorable: Unmirrorable = {
      code: 'SESSION_NUMBER_TAKEN',
      reason: `${eniId}: ${choice.reason}`,
      remedy: 'use sessionNumber: highest-free',
    };
    return { eniId, source, actions: deletes, keep: undefined, hiddenBy: [], unmirrorable };
  }
  const spec: SessionSpec = {
    eniId,
    targetId: settings.targetId,
    filterId: settings.filterId,
    sessionNumber: choice.sessionNumber,
    vni,
    packetLength: settings.packetLength,
    tags: sessionTags(settings.owner, source),
    description:
      `fargate-mirror ${settings.owner}: ${source.kind === 'instance' ? 'container instance' : 'task'} ${
        source.kind === 'instance' ? source.containerInstanceArn : source.taskArns[0]
      }`.slice(0, 255),
  };
  return {
    eniId,
    source,
    actions: [...deletes, { kind: 'create', eniId, spec }],
    keep: undefined,
    hiddenBy: hiddenBelow(choice.sessionNumber),
    unmirrorable: undefined,
  };
}

/** Other sessions numbered above `n`: a session numbered `n` would be evaluated before them. */
function hiddenAbove(foreign: readonly SessionView[], n: number): SessionView[] {
  return foreign.filter((s) => s.sessionNumber > n).sort(byPrecedence);
}

/** Who a foreign session belongs to, as far as its tags say. */
export function ownerOf(session: SessionView): string {
  return session.tags[TAG_OWNER] ?? session.tags.Name ?? session.tags.owner ?? 'unknown: untagged';
}

function deleteOf(s: SessionView, reason: DeleteReason): Action {
  return { kind: 'delete', eniId: s.eniId, sessionId: s.sessionId, sessionNumber: s.sessionNumber, reason };
}

export interface PlanAllInput {
  readonly sources: ReadonlyMap<string, DesiredSource>;
  readonly sessions: readonly SessionView[];
  readonly settings: PlanSettings;
  readonly refusalFor: (eniId: string) => Refusal | undefined;
}

/** Plans for every ENI that is desired or carries a session of ours, in a stable order. */
export function planAll(input: PlanAllInput): EniPlan[] {
  const byEni = new Map<string, SessionView[]>();
  for (const s of input.sessions) {
    const list = byEni.get(s.eniId);
    if (list) list.push(s);
    else byEni.set(s.eniId, [s]);
  }
  const enis = new Set(input.sources.keys());
  for (const s of input.sessions) if (isOwnedBy(s, input.settings.owner)) enis.add(s.eniId);
  return [...enis].sort().map((eniId) =>
    planEni({
      eniId,
      source: input.sources.get(eniId),
      sessions: byEni.get(eniId) ?? [],
      settings: input.settings,
      refusal: input.refusalFor(eniId),
    }),
  );
}

/** The cleanup plan: delete every session of this owner, nothing else. */
export function planCleanup(sessions: readonly SessionView[], owner: string): Action[] {
  return sessions
    .filter((s) => isOwnedBy(s, owner))
    .sort(byPrecedence)
    .map((s) => deleteOf(s, 'cleanup'));
}
