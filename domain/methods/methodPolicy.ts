import type { MethodKind } from '../model/methods';
import type { Policy } from '../policy/policy';
import type { RegisteredMethod } from './registeredMethod';

const DAY_MS = 86_400_000;

/** Kinds the policy lets users register; privileged users (R3) never get security questions. */
export function enabledKinds(policy: Policy, options: { privileged?: boolean } = {}): readonly MethodKind[] {
  return policy.methods.enabled.filter((k) => !(options.privileged && k === 'securityQuestions'));
}

/**
 * R4: do two methods count as one factor? The same kind, or the same destination (SMS and voice to one number, a
 * mobile and an office phone with the same number).
 */
export function sameFactor(a: Pick<RegisteredMethod, 'kind' | 'destinationId'>, b: Pick<RegisteredMethod, 'kind' | 'destinationId'>): boolean {
  return a.kind === b.kind || (a.destinationId !== undefined && b.destinationId !== undefined && a.destinationId === b.destinationId);
}

/** R4: the number of distinct factors among these methods (see {@link sameFactor}). */
export function factorCount(methods: readonly Pick<RegisteredMethod, 'kind' | 'destinationId'>[]): number {
  const factors: Pick<RegisteredMethod, 'kind' | 'destinationId'>[] = [];
  for (const m of methods) if (!factors.some((f) => sameFactor(f, m))) factors.push(m);
  return factors.length;
}

export interface MethodSufficiency {
  /** True when the confirmed methods satisfy the policy (R4). */
  readonly enough: boolean;
  /** Distinct factors counted (after collapsing methods that reach the same destination). */
  readonly counted: number;
  readonly required: 1 | 2;
  /** A non-question method is present (possession or app). */
  readonly hasPossession: boolean;
}

/**
 * R4: does this set of methods satisfy the reset requirement?
 * Only confirmed methods of enabled kinds count. Methods that reach the same destination (SMS and voice to one number,
 * a mobile and an office phone with the same number) count as one. With 2 required they must be different kinds.
 * Security questions never count as the only method nor as the possession method; privileged users cannot use them.
 */
export function assessMethods(
  methods: readonly RegisteredMethod[],
  policy: Policy,
  options: { privileged?: boolean } = {},
): MethodSufficiency {
  const required = options.privileged ? 2 : policy.methods.requiredForReset;
  const allowed = new Set(enabledKinds(policy, options));
  const usable = methods.filter((m) => m.confirmedAt !== null && allowed.has(m.kind));
  // One factor per destination (phones), otherwise per method; then one per kind.
  const factors: { kind: MethodKind; destinationId: string | undefined }[] = [];
  for (const m of usable) {
    if (!factors.some((f) => sameFactor(f, m))) factors.push({ kind: m.kind, destinationId: m.destinationId });
  }
  const possession = factors.filter((f) => f.kind !== 'securityQuestions');
  const hasQuestions = factors.some((f) => f.kind === 'securityQuestions');
  const hasPossession = possession.length > 0;
  const counted = hasPossession ? possession.length + (hasQuestions ? 1 : 0) : 0;
  return { enough: hasPossession && counted >= required, counted, required, hasPossession };
}

/**
 * Would removing `methodId` drop the user below what a reset needs? (warning before removal)
 */
export function removalWouldBreakReset(
  methods: readonly RegisteredMethod[],
  methodId: string,
  policy: Policy,
  options: { privileged?: boolean } = {},
): boolean {
  const before = assessMethods(methods, policy, options).enough;
  const after = assessMethods(
    methods.filter((m) => m.id !== methodId),
    policy,
    options,
  ).enough;
  return before && !after;
}

/**
 * Does this method need re-confirmation? Unconfirmed methods always do; otherwise when neither its confirmation nor
 * its last successful use falls within `policy.methods.reconfirmAfterDays` (0 = never).
 */
export function needsReconfirmation(method: RegisteredMethod, policy: Policy, now: number): boolean {
  if (method.confirmedAt === null) return true;
  const days = policy.methods.reconfirmAfterDays;
  if (days <= 0) return false;
  const last = Math.max(method.confirmedAt, method.lastUsedAt ?? 0);
  return now - last > days * DAY_MS;
}

/**
 * R19: a user who already has a confirmed method must prove one of them before adding or changing another.
 * Returns the methods that may be used as that proof (confirmed, enabled); empty means no proof is required.
 */
export function proofMethodsForChange(methods: readonly RegisteredMethod[], policy: Policy): readonly RegisteredMethod[] {
  const allowed = new Set(policy.methods.enabled);
  return methods.filter((m) => m.confirmedAt !== null && allowed.has(m.kind));
}

/** R19 helper: true when adding or changing a method requires proving an existing one first. */
export function requiresProofBeforeChange(methods: readonly RegisteredMethod[], policy: Policy): boolean {
  return proofMethodsForChange(methods, policy).length > 0;
}
