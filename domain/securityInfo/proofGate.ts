import { fail, ok, type Result } from '../errors';
import type { SecurityInfoDeps, ChangeContext } from './securityInfoDeps';

/** Kinds that may serve as the R19 step-up proof (security questions never stand alone as proof). */
export async function stepUpChoices(deps: SecurityInfoDeps, ctx: Pick<ChangeContext, 'user'>) {
  const enabled = new Set(deps.policy.methods.enabled);
  return (await deps.provable.list(ctx.user)).filter((m) => m.kind !== 'securityQuestions' && enabled.has(m.kind));
}

/**
 * R19: a user who already has a confirmed method must have proved one of them in this flow, recently (within the
 * policy's grant lifetime), before adding, changing or removing a method.
 */
export async function checkProof(deps: SecurityInfoDeps, ctx: ChangeContext): Promise<Result<void, 'proof_required'>> {
  const choices = await stepUpChoices(deps, ctx);
  if (choices.length === 0) return ok(undefined);
  const fresh = ctx.provenAt !== null && deps.clock.now() - ctx.provenAt <= deps.policy.grant.lifetimeSeconds * 1000;
  return fresh ? ok(undefined) : fail('proof_required');
}

/**
 * R18 + R19: the user is told in Teams and at every confirmed address; an address that was just replaced or removed
 * (so it no longer gets the R18 mail) is told too. Never throws for delivery problems.
 */
export async function notifyChange(deps: SecurityInfoDeps, ctx: ChangeContext, formerAddress?: string): Promise<void> {
  // Not awaited: the Teams message is a proactive turn of this same conversation, which the per-conversation turn
  // lock (R25) admits only after the current turn ends; R18 allows up to 60 s.
  void deps.notifications.notify(ctx.user, 'methods_changed', ctx.flowId).catch(() => undefined);
  if (formerAddress) {
    await deps.mailer
      .notify({ to: formerAddress, template: 'methodsChanged', locale: ctx.locale, params: {}, correlationId: ctx.flowId, user: ctx.user })
      .catch(() => undefined);
  }
}
