import { fail, ok, type Result } from '../errors';
import type { MethodKind } from '../model/methods';
import type { UserRef } from '../model/user';
import type { SecurityInfoChange } from '../ports/codeSender';
import type { SecurityInfoDeps, ChangeContext } from './securityInfoDeps';

/** R31: a step-up proof is valid this long, for the same user, on every surface. */
export const STEP_UP_WINDOW_SECONDS = 600;

/** `proof_required`: the user has confirmed methods and must prove one; `bootstrap_required`: none yet (R31). */
export type ProofGateRefusal = 'proof_required' | 'bootstrap_required';

/** Kinds that may serve as the step-up proof (security questions never stand alone as proof). */
export async function stepUpChoices(deps: SecurityInfoDeps, ctx: Pick<ChangeContext, 'user'>) {
  const enabled = new Set(deps.policy.methods.enabled);
  return (await deps.provable.list(ctx.user)).filter((m) => m.kind !== 'securityQuestions' && enabled.has(m.kind));
}

/** Does the user have any confirmed method (of any kind, from any source)? */
export async function hasConfirmedMethod(deps: SecurityInfoDeps, user: UserRef, except?: string): Promise<boolean> {
  return (await deps.store.list(user)).some((m) => m.confirmedAt !== null && m.id !== except);
}

/**
 * R31: every change to security info needs a proof by this user within the last 10 minutes — of an existing confirmed
 * method, or (for an account with none) the policy's bootstrap. The proof is read from the StepUpStore, so a surface
 * cannot claim it and a proof in one conversation does not depend on that conversation.
 */
export async function checkProof(deps: SecurityInfoDeps, ctx: Pick<ChangeContext, 'user'>): Promise<Result<void, ProofGateRefusal>> {
  const last = await deps.stepUps.lastProof(ctx.user);
  if (last !== null && deps.clock.now() - last <= STEP_UP_WINDOW_SECONDS * 1000) return ok(undefined);
  return (await hasConfirmedMethod(deps, ctx.user)) ? fail('proof_required') : fail('bootstrap_required');
}

/** Record a proof for the user (a step-up, a re-confirmation of an existing method, or a passed bootstrap). */
export async function recordProof(deps: SecurityInfoDeps, user: UserRef): Promise<void> {
  await deps.stepUps.recordProof(user, deps.clock.now(), STEP_UP_WINDOW_SECONDS);
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
