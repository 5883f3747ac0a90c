import { fail, ok, type Result } from '../errors';
import { factorCount, sameFactor } from '../methods/methodPolicy';
import type { MethodKind } from '../model/methods';
import { parseChoiceId } from '../recovery/securityInfoProver';
import type { UserRef } from '../model/user';
import type { SecurityInfoChange } from '../ports/codeSender';
import type { SecurityInfoDeps, ChangeContext } from './securityInfoDeps';

/** R31: a step-up proof is valid this long, for the same user, on every surface. */
export const STEP_UP_WINDOW_SECONDS = 600;

/**
 * `proof_required`: the user has confirmed methods and must prove one; `second_proof_required`: one proof is there,
 * but the user's methods call for a proof of a second one of another kind (R31 + R4); `bootstrap_required`: no
 * confirmed method yet (R31).
 */
export type ProofGateRefusal = 'proof_required' | 'second_proof_required' | 'bootstrap_required';

/**
 * Methods that may serve as the next step-up proof (security questions never stand alone as proof): with a second
 * proof asked for, only those {@link stepUpStanding} allows; `anyConfirmed` (a re-confirmation proves the method
 * itself) any confirmed one.
 */
export async function stepUpChoices(deps: SecurityInfoDeps, ctx: Pick<ChangeContext, 'user'>, options: { anyConfirmed?: boolean } = {}) {
  const enabled = new Set(deps.policy.methods.enabled);
  const [provable, standing] = await Promise.all([deps.provable.list(ctx.user), options.anyConfirmed ? null : stepUpStanding(deps, ctx.user)]);
  const allowed = standing?.choices ?? null;
  return provable.filter((m) => m.kind !== 'securityQuestions' && enabled.has(m.kind) && (allowed === null || allowed.has(parseChoiceId(m.id).methodId)));
}

/** Does the user have any confirmed method (of any kind, from any source)? */
export async function hasConfirmedMethod(deps: SecurityInfoDeps, user: UserRef, except?: string): Promise<boolean> {
  return (await deps.store.list(user)).some((m) => m.confirmedAt !== null && m.id !== except);
}

/** Where the user's step-up stands now, and which methods may serve as the next proof (null: any confirmed one). */
export interface StepUpStanding {
  readonly needed: 'none' | ProofGateRefusal;
  readonly choices: ReadonlySet<string> | null;
}

/**
 * R31 + R4: what a change to security info needs now. One proof by this user within the last 10 minutes — of a
 * confirmed method, or the bootstrap for an account with none — unless the reset needs two methods (R4) and the user
 * had confirmed methods of two kinds that count (R4's rules: SMS and voice to one number are one; security questions
 * are no proof) *before the step-up started* (the oldest live proof): then two live proofs of such methods, of
 * different kinds. A method added in the window (the new phone whose registration code a thief just read) is not one
 * of them, so it never serves as the second proof; a user with one kind still reaches the policy with one proof.
 */
export async function stepUpStanding(deps: SecurityInfoDeps, user: UserRef): Promise<StepUpStanding> {
  const now = deps.clock.now();
  const [records, methods] = await Promise.all([deps.stepUps.proofs(user), deps.store.list(user)]);
  const live = records.filter((r) => now - r.at <= STEP_UP_WINDOW_SECONDS * 1000);
  if (live.length === 0) return { needed: methods.some((m) => m.confirmedAt !== null) ? 'proof_required' : 'bootstrap_required', choices: null };
  const none = { needed: 'none', choices: null } as const;
  if (deps.policy.methods.requiredForReset !== 2) return none;
  const started = Math.min(...live.map((r) => r.at));
  const enabled = new Set(deps.policy.methods.enabled);
  const established = methods.filter((m) => m.confirmedAt !== null && m.createdAt < started && m.kind !== 'securityQuestions' && enabled.has(m.kind));
  if (factorCount(established) < 2) return none;
  const provenIds = new Set(live.map((r) => r.methodId));
  const proven = established.filter((m) => provenIds.has(m.id));
  if (factorCount(proven) >= 2) return none;
  if (proven.length === 0) return { needed: 'proof_required', choices: new Set(established.map((m) => m.id)) };
  const others = established.filter((m) => !proven.some((p) => sameFactor(p, m)));
  return { needed: 'second_proof_required', choices: new Set(others.map((m) => m.id)) };
}

/**
 * R31: every change to security info needs the step-up {@link stepUpStanding} asks for — read from the StepUpStore,
 * so a surface cannot claim it and a proof in one conversation does not depend on that conversation.
 */
export async function checkProof(deps: SecurityInfoDeps, ctx: Pick<ChangeContext, 'user'>): Promise<Result<void, ProofGateRefusal>> {
  const s = await stepUpStanding(deps, ctx.user);
  return s.needed === 'none' ? ok(undefined) : fail(s.needed);
}

/** Record a proof for the user: a step-up or re-confirmation of method `methodId`, or (none) a passed bootstrap. */
export async function recordProof(deps: SecurityInfoDeps, user: UserRef, methodId?: string): Promise<void> {
  await deps.stepUps.recordProof(user, deps.clock.now(), STEP_UP_WINDOW_SECONDS, methodId);
}

/** A destination that no longer gets the R18 notices because it was replaced or removed. */
export interface FormerDestination {
  readonly kind: MethodKind;
  readonly destination: string;
}

/**
 * R18 + R19 + R31: the user is told in Teams and on every registered channel: each confirmed e-mail address and the
 * directory mailbox by mail, and — when no e-mail method is registered (a phone as the first method) — each confirmed
 * mobile phone by SMS. A destination that was just replaced or removed is told on its own channel too. Each address
 * once. Never throws for delivery problems.
 */
export async function notifyChange(deps: SecurityInfoDeps, ctx: ChangeContext, change: SecurityInfoChange, former?: FormerDestination): Promise<void> {
  // Not awaited: the Teams message is a proactive turn of this same conversation, which the per-conversation turn
  // lock (R25) admits only after the current turn ends; R18 allows up to 60 s.
  void deps.notifications.notify(ctx.user, 'methods_changed', ctx.flowId, change).catch(() => undefined);
  const base = { template: 'methodsChanged', locale: ctx.locale, params: {}, change, correlationId: ctx.flowId, user: ctx.user } as const;
  const mails = new Map<string, string>();
  const texts = new Map<string, string>();
  const addMail = (to: string | undefined): void => {
    if (to) mails.set(to.toLowerCase(), to);
  };
  if (former?.kind === 'email') addMail(former.destination);
  if (former?.kind === 'mobilePhone') texts.set(former.destination, former.destination);
  const registered = await deps.store.list(ctx.user).catch(() => []);
  const confirmed = registered.filter((m) => m.confirmedAt !== null);
  const destinations = async (kind: 'email' | 'mobilePhone'): Promise<string[]> => {
    const out: string[] = [];
    for (const m of confirmed.filter((x) => x.kind === kind)) {
      const to = (await deps.store.get(ctx.user, m.id).catch(() => null))?.secrets.destination;
      if (to) out.push(to);
    }
    return out;
  };
  const emails = await destinations('email');
  emails.forEach(addMail);
  addMail((await deps.directory.mailbox(ctx.user).catch(() => null)) ?? undefined);
  if (emails.length === 0) for (const phone of await destinations('mobilePhone')) texts.set(phone, phone);
  await Promise.allSettled([
    ...[...mails.values()].map((to) => deps.mailer.notify({ ...base, to })),
    ...[...texts.values()].map((to) => deps.mailer.notify({ ...base, to, channel: 'sms' })),
  ]);
}
