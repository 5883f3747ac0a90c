import { fail, ok, type Result } from '../errors';
import { channelsFor, isCodeKind, maskDestination } from '../methods/registeredMethod';
import type { CodeChannel, MethodKind } from '../model/methods';
import type { DestinationRefusal } from '../ports/destinationGuard';
import { isCodeFormat, normaliseCode } from '../codes/codeFormat';
import { internationalise } from './phoneInput';
import { countedCheck } from '../verification/countedCheck';
import { checkProof, hasConfirmedMethod, notifyChange, STEP_UP_WINDOW_SECONDS, type FormerDestination, type ProofGateRefusal } from './proofGate';
import type { RecordChange } from '../ports/recordChange';
import { randomId, type ChangeContext, type SecurityInfoDeps } from './securityInfoDeps';

const RAW_LIMIT = 320;

/** The channel a registration code travels on: SMS for a mobile phone, a call for an office phone, else e-mail. */
export function registrationChannel(kind: MethodKind): CodeChannel {
  return kind === 'mobilePhone' ? 'sms' : kind === 'officePhone' ? 'voice' : 'email';
}

export type BeginAddRefusal =
  | 'kind_not_enabled'
  | ProofGateRefusal
  | 'unknown_method'
  | Exclude<DestinationRefusal, 'prefix_velocity'>
  | 'throttled'
  | 'send_failed'
  | 'destination_refused'
  /** The alternate e-mail is in the user's own work domain: it would not work while they cannot sign in. */
  | 'work_address';

export interface BeginAddRequest {
  readonly kind: MethodKind;
  /** What the user typed: a phone number (international, or national with `country`) or an e-mail address. */
  readonly destination: string;
  readonly country?: string;
  /** Change: the method this one will replace once confirmed. */
  readonly replaces?: string;
}

/**
 * Add or change a phone or e-mail method (R19): after the step-up proof, the destination is checked (R30 via the
 * DestinationGuard), kept encrypted as a *pending* method and sent a code with purpose 'register'. Nothing is active
 * until ConfirmMethod sees that code; a method being changed stays active until then.
 */
export class BeginAddMethod {
  constructor(private readonly deps: SecurityInfoDeps) {}

  async run(ctx: ChangeContext, req: BeginAddRequest): Promise<Result<{ methodId: string; maskedDestination: string; expiresAt: number }, BeginAddRefusal>> {
    const { policy, store, guard, codes, clock, audit } = this.deps;
    if (!isCodeKind(req.kind) || !policy.methods.enabled.includes(req.kind)) return fail('kind_not_enabled');
    const proof = await checkProof(this.deps, ctx);
    if (!proof.ok) return proof;
    const existing = await store.list(ctx.user);
    if (req.replaces !== undefined && !existing.some((m) => m.id === req.replaces && m.kind === req.kind)) return fail('unknown_method');
    const channel = registrationChannel(req.kind);
    const raw = req.destination;
    const base = { type: 'method.register', correlationId: ctx.flowId, user: ctx.user, methodKind: req.kind } as const;
    // Line breaks and pastes are refused before anything else looks at them (header injection, 10 KB strings).
    if (raw.length > RAW_LIMIT || /[\r\n\u2028\u2029]/.test(raw)) {
      await audit.record({ ...base, outcome: 'refused', reason: 'destination_invalid' });
      return fail('invalid');
    }
    const normalised = guard.normalise(channel, channel === 'email' ? raw : internationalise(raw, req.country));
    if (!normalised.ok) {
      await audit.record({ ...base, outcome: 'refused', reason: `destination_${normalised.reason}` });
      return fail(normalised.reason);
    }
    if (channel === 'email' && (await isWorkAddress(this.deps, ctx, normalised.value))) {
      await audit.record({ ...base, outcome: 'refused', reason: 'destination_work_address' });
      return fail('work_address');
    }
    // An abandoned earlier attempt of the same kind is dropped; only one pending method per kind.
    for (const m of existing) if (m.kind === req.kind && m.confirmedAt === null && m.source === 'user') await store.remove(ctx.user, m.id);
    const methodId = randomId(this.deps.random);
    const masked = maskDestination(channel, normalised.value);
    const now = clock.now();
    // Issue 15: the pending method's write and the send's first round trip (the user's own buckets taken, the shared
    // ones checked) leave together; a refused send removes the pending method again, as before.
    const [saved, sent] = await Promise.all([
      store.save(ctx.user, {
        method: { id: methodId, kind: req.kind, maskedDestination: masked, confirmedAt: null, lastUsedAt: null, createdAt: now, source: 'user', channels: channelsFor(req.kind) },
        secrets: { destination: normalised.value },
      }),
      codes.issue({
        user: ctx.user,
        purpose: 'register',
        methodId,
        channel,
        destination: normalised.value,
        locale: ctx.locale,
        correlationId: ctx.flowId,
        methodKind: req.kind,
      }),
    ]);
    if (!sent.ok) {
      await store.remove(ctx.user, methodId);
      return sent.retryAt === undefined ? fail(sent.reason) : fail(sent.reason, sent.retryAt);
    }
    // The same destination pre-filled from the directory is superseded by the user's own entry (no duplicate).
    for (const m of existing) {
      if (m.source === 'directory' && m.confirmedAt === null && saved.destinationId !== undefined && m.destinationId === saved.destinationId) await store.remove(ctx.user, m.id);
    }
    return ok({ methodId, maskedDestination: masked, expiresAt: sent.value.expiresAt });
  }
}

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** Is this address in the domain (or a subdomain) of the user's directory mailbox? */
async function isWorkAddress(deps: SecurityInfoDeps, ctx: ChangeContext, address: string): Promise<boolean> {
  const mailbox = await deps.directory.mailbox(ctx.user).catch(() => null);
  if (!mailbox || !mailbox.includes('@')) return false;
  const work = domainOf(mailbox);
  const domain = domainOf(address);
  return domain === work || domain.endsWith(`.${work}`);
}

export type ConfirmRefusal = 'malformed' | 'no_pending' | 'invalid' | 'expired' | 'too_many_tries' | 'no_code' | 'blocked' | ProofGateRefusal;

/**
 * Completes the code round trip of a new, changed or pre-filled phone/e-mail method: the method becomes active, a
 * replaced method is removed, and the user is notified (R18; the replaced destination on its own channel and the
 * directory mailbox too, R19/R31). Confirming a pre-filled directory contact is the R31 bootstrap when the account
 * has no confirmed method (the code to contact data the organisation holds is the proof); otherwise it is an
 * addition and needs the step-up like any other.
 */
export class ConfirmMethod {
  constructor(private readonly deps: SecurityInfoDeps) {}

  async run(ctx: ChangeContext, methodId: string, code: string, replaces?: string): Promise<Result<{ kind: MethodKind }, ConfirmRefusal>> {
    const { store, codes, clock, audit } = this.deps;
    // Malformed input is refused before it reaches the code store: it cannot be a code and is not counted.
    if (!isCodeFormat(code)) return fail('malformed');
    const entry = await store.get(ctx.user, methodId);
    if (!entry || !isCodeKind(entry.method.kind) || entry.method.confirmedAt !== null) return fail('no_pending');
    const kind = entry.method.kind;
    const bootstrap = entry.method.source === 'directory' && !(await hasConfirmedMethod(this.deps, ctx.user));
    if (!bootstrap) {
      const proof = await checkProof(this.deps, ctx);
      if (!proof.ok) return proof;
    }
    const now = clock.now();
    const old = replaces !== undefined && replaces !== methodId ? await store.get(ctx.user, replaces) : null;
    // Issue 15, F16 for security info: the code is consumed and the method made active in ONE atomic step, with the
    // lasting flag, the bootstrap's proof (R31) and the removal of the method this one replaces — a process dying
    // half-way leaves all of it or none (test/state/f16Atomic.test.ts).
    const change: RecordChange = {
      confirm: { methodId, at: now },
      flags: ['hadMethods'],
      ...(bootstrap ? { proof: { at: now, windowSeconds: STEP_UP_WINDOW_SECONDS } } : {}),
      ...(old && replaces !== undefined ? { remove: [replaces] } : {}),
    };
    // R34: through the one counted check (block honoured, a wrong code counts toward R9).
    const r = await countedCheck(this.deps.block, ctx.user, (reason) => reason === 'invalid', () =>
      codes.check({ user: ctx.user, purpose: 'register', methodId, code: normaliseCode(code), correlationId: ctx.flowId, methodKind: kind, change }),
    );
    if (!r.ok) return r;
    if (bootstrap) {
      await audit.record({ type: 'securityInfo.bootstrap', correlationId: ctx.flowId, user: ctx.user, methodKind: kind, outcome: 'success', reason: 'directory_contact' });
    }
    let former: FormerDestination | undefined;
    let formerMasked: string | undefined;
    if (old) {
      if (old.secrets.destination && old.secrets.destination !== entry.secrets.destination) former = { kind: old.method.kind, destination: old.secrets.destination };
      formerMasked = old.method.maskedDestination;
    }
    const type = replaces !== undefined ? 'method.change' : 'method.register';
    await audit.record({ type, correlationId: ctx.flowId, user: ctx.user, methodKind: kind, outcome: 'success', ...(entry.method.maskedDestination ? { detail: { to: entry.method.maskedDestination } } : {}) });
    const masked = replaces !== undefined ? formerMasked : entry.method.maskedDestination;
    await notifyChange(this.deps, ctx, { action: replaces !== undefined ? 'changed' : 'added', kind, ...(masked ? { maskedDestination: masked } : {}) }, former);
    return ok({ kind });
  }
}

/**
 * Sends the registration code to a pre-filled directory contact: the R31 bootstrap when the account has no confirmed
 * method (unless the policy sends such accounts to the helpdesk), else an addition that needs the step-up first.
 * ConfirmMethod completes it.
 */
export class ConfirmDirectoryContact {
  constructor(private readonly deps: SecurityInfoDeps) {}

  async start(
    ctx: ChangeContext,
    methodId: string,
  ): Promise<Result<{ maskedDestination: string; expiresAt: number; kind: MethodKind }, 'unknown_method' | 'helpdesk_required' | ProofGateRefusal | 'throttled' | 'send_failed' | 'destination_refused'>> {
    const entry = await this.deps.store.get(ctx.user, methodId);
    const destination = entry?.secrets.destination;
    if (!entry || !destination || !isCodeKind(entry.method.kind) || entry.method.source !== 'directory' || entry.method.confirmedAt !== null) return fail('unknown_method');
    if (await hasConfirmedMethod(this.deps, ctx.user)) {
      const proof = await checkProof(this.deps, ctx);
      if (!proof.ok) return proof;
    } else if (this.deps.policy.methods.bootstrap === 'helpdesk') {
      return fail('helpdesk_required');
    }
    const kind = entry.method.kind;
    const sent = await this.deps.codes.issue({
      user: ctx.user,
      purpose: 'register',
      methodId,
      channel: registrationChannel(kind),
      destination,
      locale: ctx.locale,
      correlationId: ctx.flowId,
      methodKind: kind,
    });
    if (!sent.ok) return sent.retryAt === undefined ? fail(sent.reason) : fail(sent.reason, sent.retryAt);
    return ok({ ...sent.value, kind });
  }
}

export { isCodeFormat, normaliseCode } from '../codes/codeFormat';
