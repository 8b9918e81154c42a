/**
 * Session number choice. On one ENI each packet is mirrored once, by the lowest-numbered session
 * whose filter matches, so a low number steals traffic from other tools. The default takes the
 * highest free number.
 */

export type SessionNumberPolicy =
  | { readonly kind: 'highest-free' }
  | { readonly kind: 'lowest-free' }
  | { readonly kind: 'fixed'; readonly number: number };

export const SESSION_NUMBER_MIN = 1;
export const SESSION_NUMBER_MAX = 32_766;

export type SessionNumberChoice =
  | { readonly ok: true; readonly sessionNumber: number }
  | { readonly ok: false; readonly reason: string };

export function chooseSessionNumber(
  policy: SessionNumberPolicy,
  used: readonly number[],
): SessionNumberChoice {
  const taken = new Set(used);
  switch (policy.kind) {
    case 'fixed':
      return taken.has(policy.number)
        ? {
            ok: false,
            reason: `session number ${policy.number} (sessionNumber) is taken by another session on this ENI`,
          }
        : { ok: true, sessionNumber: policy.number };
    case 'highest-free':
      for (let n = SESSION_NUMBER_MAX; n >= SESSION_NUMBER_MIN; n--) {
        if (!taken.has(n)) return { ok: true, sessionNumber: n };
      }
      break;
    case 'lowest-free':
      for (let n = SESSION_NUMBER_MIN; n <= SESSION_NUMBER_MAX; n++) {
        if (!taken.has(n)) return { ok: true, sessionNumber: n };
      }
      break;
  }
  return { ok: false, reason: 'no free session number on this ENI' };
}

/** Whether an existing session's number is acceptable under the policy (free policies accept any). */
export function sessionNumberAcceptable(policy: SessionNumberPolicy, sessionNumber: number): boolean {
  return policy.kind !== 'fixed' || policy.number === sessionNumber;
}
