import { fail, ok, type Result } from '../errors';
import type { UserRef } from '../model/user';
import type { AuditLog } from '../ports/auditLog';
import type { Clock } from '../ports/clock';
import type { MethodStore } from '../ports/methodStore';
import type { TotpEngine, TotpReplayCache } from '../ports/totp';
import type { RegisteredMethod } from './registeredMethod';
import { normaliseCode } from '../codes/codeFormat';

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
    const { store, engine, audit, clock, issuer } = this.deps;
    const secret = engine.generateSecret();
    const otpauthUri = engine.keyUri(account, issuer, secret);
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
    return { methodId, otpauthUri, qrDataUri: await engine.qrDataUri(otpauthUri), keyText: secret.match(/.{1,4}/g)?.join(' ') ?? secret };
  }

  /** Check a code: activates a pending enrolment, or records use of an active one. */
  async verify(
    user: UserRef,
    methodId: string,
    token: string,
    correlationId: string,
  ): Promise<Result<{ activated: boolean }, 'invalid' | 'replayed' | 'no_method'>> {
    const { store, engine, replay, audit, clock } = this.deps;
    const base = { correlationId, user, methodKind: 'authenticatorApp' } as const;
    const entry = await store.get(user, methodId);
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
    if (!(await replay.claim(user, step))) {
      await audit.record({ ...base, type: 'totp.check', outcome: 'failure', reason: 'replayed' });
      return fail('replayed');
    }
    const activated = entry.method.confirmedAt === null;
    if (activated) await store.markConfirmed(user, methodId, now);
    else await store.markUsed(user, methodId, now);
    await audit.record({ ...base, type: activated ? 'method.enrol.confirm' : 'totp.check', outcome: 'success' });
    return ok({ activated });
  }
}
