import { fail, ok, type Result } from '../errors';
import { channelsFor, maskDestination } from '../methods/registeredMethod';
import type { MethodKind } from '../model/methods';
import type { UserRef } from '../model/user';
import { registrationChannel } from './codeMethods';
import { checkProof, hasConfirmedMethod, recordProof } from './proofGate';
import { randomId, type ChangeContext, type SecurityInfoDeps } from './securityInfoDeps';

/** A pre-filled directory contact offered for the bootstrap code. Masked only. */
export interface BootstrapChoice {
  readonly methodId: string;
  readonly kind: MethodKind;
  readonly maskedDestination: string;
}

/** What an account with no confirmed method may do to register its first one (R31). */
export type BootstrapOption =
  | { readonly kind: 'not_needed' }
  | { readonly kind: 'directory'; readonly choices: readonly BootstrapChoice[] }
  | { readonly kind: 'session'; readonly holdHours: number }
  | { readonly kind: 'helpdesk' };

const CONTACT_KINDS = [
  ['mobilePhones', 'mobilePhone'],
  ['officePhones', 'officePhone'],
  ['emails', 'email'],
] as const;

/**
 * R31 pre-fill (`methods.prefillFromDirectory`): the contact data the directory holds becomes methods with
 * source 'directory', unconfirmed ("from your organisation") until a code round trip to them. Done once per user
 * (a removed pre-filled method does not come back), or on demand for the bootstrap. A destination the user already
 * has is not added twice; numbers outside the allowed countries are skipped.
 */
export async function prefillFromDirectory(deps: SecurityInfoDeps, user: UserRef, forBootstrap = false): Promise<void> {
  const { policy, store, stepUps, guard, clock, random } = deps;
  if (!forBootstrap && !policy.methods.prefillFromDirectory) return;
  const done = await stepUps.hasFlag(user, 'prefilled');
  if (!forBootstrap && done) return;
  const contacts = await deps.directory.contacts(user);
  const existing = await store.list(user);
  const known = new Set<string>();
  for (const m of existing) {
    if (m.channels.length === 0) continue;
    const d = (await store.get(user, m.id))?.secrets.destination;
    if (d) known.add(d.toLowerCase());
  }
  const writes: Promise<unknown>[] = [];
  for (const [field, kind] of CONTACT_KINDS) {
    if (!policy.methods.enabled.includes(kind)) continue;
    for (const raw of contacts[field]) {
      const channel = registrationChannel(kind);
      const n = guard.normalise(channel, raw);
      if (!n.ok || known.has(n.value.toLowerCase())) continue;
      known.add(n.value.toLowerCase());
      const now = clock.now();
      writes.push(
        store.save(user, {
          method: { id: randomId(random), kind, maskedDestination: maskDestination(channel, n.value), confirmedAt: null, lastUsedAt: null, createdAt: now, source: 'directory', channels: channelsFor(kind) },
          secrets: { destination: n.value },
        }),
      );
    }
  }
  // Issue 15: the saves and the flag are issued together (one round trip with a pipelining store), and the flag only
  // when it is not set yet. Every write is awaited: a failed one fails the turn, as before.
  if (!done) writes.push(stepUps.setFlag(user, 'prefilled'));
  await Promise.all(writes);
}

/**
 * R31 bootstrap of an account with no confirmed method, as the policy chooses: a code to contact data the directory
 * holds (pre-filled, confirmed through ReconfirmMethod/ConfirmMethod), a session-only start whose methods are on hold
 * for `holdHours` (the directory mailbox and the Teams chat are told at once), or the helpdesk. An account that once
 * had confirmed methods never gets the session-only start.
 */
export class BootstrapRegistration {
  constructor(private readonly deps: SecurityInfoDeps) {}

  async options(ctx: Pick<ChangeContext, 'user'>): Promise<BootstrapOption> {
    const { policy, store, stepUps } = this.deps;
    if ((await checkProof(this.deps, ctx)).ok || (await hasConfirmedMethod(this.deps, ctx.user))) return { kind: 'not_needed' };
    const mode = policy.methods.bootstrap;
    if (mode !== 'helpdesk') {
      await prefillFromDirectory(this.deps, ctx.user, true);
      const choices = (await store.list(ctx.user))
        .filter((m) => m.source === 'directory' && m.confirmedAt === null && m.maskedDestination !== undefined && policy.methods.enabled.includes(m.kind))
        .map((m) => ({ methodId: m.id, kind: m.kind, maskedDestination: m.maskedDestination ?? '' }));
      if (choices.length > 0) return { kind: 'directory', choices };
    }
    if (mode === 'directoryOrSession' && !(await stepUps.hasFlag(ctx.user, 'hadMethods'))) return { kind: 'session', holdHours: policy.methods.holdHours };
    return { kind: 'helpdesk' };
  }

  /** Start a session-only bootstrap (only where the policy and the account allow it): proof recorded, hold set, told. */
  async startSessionOnly(ctx: ChangeContext): Promise<Result<{ usableFrom: number }, 'not_allowed'>> {
    const { stepUps, clock, audit, notifications, mailer, policy } = this.deps;
    const option = await this.options(ctx);
    if (option.kind !== 'session') return fail('not_allowed');
    const usableFrom = clock.now() + policy.methods.holdHours * 3_600_000;
    await stepUps.startHold(ctx.user, usableFrom);
    await recordProof(this.deps, ctx.user);
    await audit.record({ type: 'securityInfo.bootstrap', correlationId: ctx.flowId, user: ctx.user, outcome: 'info', reason: 'session_only', detail: { holdHours: policy.methods.holdHours } });
    void notifications.notify(ctx.user, 'methods_bootstrap', ctx.flowId).catch(() => undefined);
    const mailbox = await this.deps.directory.mailbox(ctx.user).catch(() => null);
    if (mailbox) {
      await mailer
        .notify({ to: mailbox, template: 'methodsBootstrap', locale: ctx.locale, params: {}, change: { action: 'bootstrap', usableFrom }, correlationId: ctx.flowId })
        .catch(() => undefined);
    }
    return ok({ usableFrom });
  }

  /**
   * R31: a helpdesk `register` hand-off the user started is the bootstrap of an account without a confirmed method,
   * whatever the bootstrap mode (it is what `helpdesk`, the strict mode, points to): an agent verified the caller and
   * the offer could only be started by this user (R21). Records the proof (the usual step-up window) with no hold. An
   * account that has confirmed methods gets nothing from it: its owner proves one of them (R31).
   */
  async fromHelpdesk(ctx: ChangeContext, handoffId: string): Promise<Result<void, 'not_needed'>> {
    if (await hasConfirmedMethod(this.deps, ctx.user)) return fail('not_needed');
    await recordProof(this.deps, ctx.user);
    await this.deps.audit.record({ type: 'securityInfo.bootstrap', correlationId: ctx.flowId, user: ctx.user, outcome: 'success', reason: 'helpdesk', detail: { handoff: handoffId } });
    return ok(undefined);
  }

  /** When the user's methods become usable for a reset or unlock after a session-only bootstrap, or null. */
  async holdUntil(user: UserRef): Promise<number | null> {
    return this.deps.stepUps.holdUntil(user);
  }
}
