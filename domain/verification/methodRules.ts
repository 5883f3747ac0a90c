import type { Policy } from '../policy/policy';
import type { RegisteredMethod } from './methodProver';

/** How many methods a reset needs for this user (R3: privileged users always two; R4: policy 1 or 2). */
export function requiredMethodCount(policy: Policy, privileged: boolean): 1 | 2 {
  return privileged ? 2 : policy.methods.requiredForReset;
}

/**
 * Methods that may be used at all: confirmed, enabled by policy, and for privileged users never security
 * questions (R3).
 */
export function usableMethods(
  methods: readonly RegisteredMethod[],
  policy: Policy,
  privileged: boolean,
): RegisteredMethod[] {
  return methods.filter(
    (m) =>
      m.confirmedAt !== null &&
      policy.methods.enabled.includes(m.kind) &&
      !(privileged && m.kind === 'securityQuestions'),
  );
}

/** Two methods count as two only when of different kinds and not the same phone number (R4). */
export function distinctMethods(a: RegisteredMethod, b: RegisteredMethod): boolean {
  if (a.kind === b.kind) return false;
  if (a.phoneKey !== undefined && a.phoneKey === b.phoneKey) return false;
  return true;
}

const isQuestions = (m: RegisteredMethod): boolean => m.kind === 'securityQuestions';

/**
 * The methods the user may choose next, given the ones already proved. A choice is offered only when the set
 * can still be completed: questions never count as the only method, nor as the possession method (R4), so they
 * are offered only once a non-question method is proved or when another non-question method can complete the set.
 */
export function nextChoices(
  usable: readonly RegisteredMethod[],
  provedIds: readonly string[],
  required: 1 | 2,
): RegisteredMethod[] {
  const proved = usable.filter((m) => provedIds.includes(m.id));
  const remaining = required - proved.length;
  if (remaining <= 0) return [];
  const candidates = usable.filter((m) => !provedIds.includes(m.id) && proved.every((p) => distinctMethods(p, m)));
  if (remaining === 1) {
    const hasPossession = proved.some((p) => !isQuestions(p));
    return candidates.filter((m) => hasPossession || !isQuestions(m));
  }
  // remaining === 2 (nothing proved yet): keep a candidate only if some partner can complete the pair.
  return candidates.filter((m) =>
    candidates.some((o) => o.id !== m.id && distinctMethods(m, o) && !(isQuestions(m) && isQuestions(o))),
  );
}

/** Whether the user's registration is sufficient for a reset under the policy (the SSPR doctor's check). */
export function registrationSufficient(
  methods: readonly RegisteredMethod[],
  policy: Policy,
  privileged: boolean,
): boolean {
  const usable = usableMethods(methods, policy, privileged);
  return nextChoices(usable, [], requiredMethodCount(policy, privileged)).length > 0;
}
