import { SsprError, fail, ok, type Result } from '../errors';
import type { UserRef } from '../model/user';
import type { AuditLog } from '../ports/auditLog';
import type { Clock } from '../ports/clock';
import type { MethodSecrets, MethodStore } from '../ports/methodStore';
import type { FlowStep } from '../ports/flowStore';
import type { GrantTerms } from '../ports/grantStore';
import type { RecordChange } from '../ports/recordChange';
import type { TotpEngine, TotpReplayCache } from '../ports/totp';
import type { RegisteredMethod } from './registeredMethod';
import { normaliseCode } from '../codes/codeFormat';

/** An authenticator method with its secret, as {@link TotpService.preload} read it. Never stored or logged. */
export interface AuthenticatorEntry {
  readonly method: RegisteredMethod;
  readonly secrets: MethodSecrets;
}

/** What an accepted code takes with it in the same atomic step (F16, issue 15), and what was read ahead. */
export interface TotpCheckOptions {
  /** The verification flow's step of an accepted proof. */
  readonly step?: FlowStep;
  /** With `step`: the step verifies the flow; its grant is issued in the same step (R16). */
  readonly grant?: GrantTerms;
  /** The user's authenticators, read ahead together with the flow ({@link TotpService.preload}); else read here. */
  readonly authenticators?: readonly AuthenticatorEntry[];
  /** Security info: the change an accepted code takes with it in the same atomic step (F16, issue 15). */
  readonly change?: RecordChange;
}

export interface TotpEnrolment {
  readonly methodId: string;
  /** otpauth://totp/… — show once, in the QR code card; replace the card right after. */
  readonly otpauthUri: string;
  readonly qrDataUri: string;
  /** The secret in groups of 4, for typing into an app. */
  readonly keyText: string;
}

/**
 * Authenticator-app methods (R12): enrolment creates an unconfirmed method holding the encrypted secret; it becomes
 * active only after a valid code. Each time step is accepted once per user. Clock injected.
 */
export class TotpService {
  constructor(
    private readonly deps: {
      readonly store: MethodStore;
      readonly engine: TotpEngine;
      readonly replay: TotpReplayCache;
      readonly audit: AuditLog;
      readonly clock: Clock;
      readonly issuer: string;
    },
  ) {}

  /** Start an enrolment for `account` (the UPN shown in the app). */
  async startEnrolment(user: UserRef, methodId: string, account: string, correlationId: string): Promise<TotpEnrolment> {
    const { engine, issuer } = this.deps;
    const secret = await this.savePending(user, methodId, correlationId);
    const otpauthUri = engine.keyUri(account, issuer, secret);
    return { methodId, otpauthUri, qrDataUri: await engine.qrDataUri(otpauthUri), keyText: secret.match(/.{1,4}/g)?.join(' ') ?? secret };
  }

  /**
   * Start an enrolment whose QR code and key the dialog page shows from the stored secret (R35): the pending method
   * only — no QR code made here. The secret is never returned.
   */
  async startPendingEnrolment(user: UserRef, methodId: string, correlationId: string): Promise<void> {
    await this.savePending(user, methodId, correlationId);
  }

  private async savePending(user: UserRef, methodId: string, correlationId: string): Promise<string> {
    const { store, engine, audit, clock } = this.deps;
    const secret = engine.generateSecret();
    const method: Omit<RegisteredMethod, 'destinationId'> = {
      id: methodId,
      kind: 'authenticatorApp',
      confirmedAt: null,
      lastUsedAt: null,
      createdAt: clock.now(),
      source: 'user',
      channels: [],
    };
    await store.save(user, { method, secrets: { totpSecret: secret } });
    await audit.record({ type: 'method.enrol.start', correlationId, user, methodKind: 'authenticatorApp', outcome: 'info' });
    return secret;
  }

  /** The user's authenticator methods with their secrets, in one read (issued with the flow read: issue 15). */
  preload(user: UserRef): Promise<readonly AuthenticatorEntry[]> {
    return this.deps.store.ofKind(user, 'authenticatorApp');
  }

  /**
   * Check a code: activates a pending enrolment, or records use of an active one. The used time step, the method's
   * stamp and (with `options.step`) the flow step and its grant are written in one atomic step of the replay cache:
   * a crash leaves either all of it or none (F16), and a replayed step writes nothing (R12).
   */
  async verify(
    user: UserRef,
    methodId: string,
    token: string,
    correlationId: string,
    options: TotpCheckOptions = {},
  ): Promise<Result<{ activated: boolean; stepped?: boolean; grant?: { issuedAt: number; expiresAt: number } }, 'invalid' | 'replayed' | 'no_method'>> {
    const { store, engine, replay, audit, clock } = this.deps;
    const base = { correlationId, user, methodKind: 'authenticatorApp' } as const;
    const entry = options.authenticators ? (options.authenticators.find((e) => e.method.id === methodId) ?? null) : await store.get(user, methodId);
    if (!entry || entry.method.kind !== 'authenticatorApp' || !entry.secrets.totpSecret) {
      await audit.record({ ...base, type: 'totp.check', outcome: 'failure', reason: 'no_method' });
      return fail('no_method');
    }
    const now = clock.now();
    const step = engine.matchStep(entry.secrets.totpSecret, normaliseCode(token), now);
    if (step === null) {
      await audit.record({ ...base, type: 'totp.check', outcome: 'failure', reason: 'invalid' });
      return fail('invalid');
    }
    const activated = entry.method.confirmedAt === null;
    const accepted = await replay.accept(user, step, {
      methodId,
      mark: activated ? 'confirmedAt' : 'lastUsedAt',
      at: now,
      ...(options.step ? { step: options.step, ...(options.grant ? { grant: options.grant } : {}) } : {}),
      ...(options.change ? { change: options.change } : {}),
    });
    if (!accepted.ok && accepted.reason === 'flow_moved') throw new SsprError('state_conflict', 'verification flow changed concurrently');
    if (!accepted.ok) {
      await audit.record({ ...base, type: 'totp.check', outcome: 'failure', reason: 'replayed' });
      return fail('replayed');
    }
    await audit.record({ ...base, type: activated ? 'method.enrol.confirm' : 'totp.check', outcome: 'success' });
    return ok({ activated, ...(options.step ? { stepped: accepted.stepped } : {}), ...(accepted.grant ? { grant: accepted.grant } : {}) });
  }
}
