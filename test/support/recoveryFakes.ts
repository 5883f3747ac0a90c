import type Redis from 'ioredis';
import { SsprError, fail, ok, type Result } from '../../domain/errors';
import { userKey, type UserRef } from '../../domain/model/user';
import type { AuditEvent, AuditLog } from '../../domain/ports/auditLog';
import type { NotificationEvent, Notifications } from '../../domain/ports/notifications';
import type {
  Challenge,
  ChallengeRefusal,
  MethodProver,
  ProofContext,
  ProofRefusal,
  ProofResponse,
  RegisteredMethod,
  RegisteredMethodsReader,
} from '../../domain/verification/methodProver';

/** Registered methods per user, set by the test. */
export class StaticMethods implements RegisteredMethodsReader {
  private readonly byUser = new Map<string, RegisteredMethod[]>();
  set(user: UserRef, methods: RegisteredMethod[]): void {
    this.byUser.set(userKey(user), methods);
  }
  async list(user: UserRef): Promise<readonly RegisteredMethod[]> {
    return this.byUser.get(userKey(user)) ?? [];
  }
}

export const confirmed = (id: string, kind: RegisteredMethod['kind'], extra: Partial<RegisteredMethod> = {}): RegisteredMethod => ({
  id,
  kind,
  confirmedAt: 1,
  maskedDestination: kind === 'email' ? 'a…@contoso.example' : '•••• 42',
  ...extra,
});

/**
 * A MethodProver for tests: one-time codes kept in the private Redis (so a Redis outage makes proving fail closed,
 * F2) or in memory; TOTP '246810', recovery code 'RC-0001', question answers { q1: 'blue' }.
 */
export class TestProver implements MethodProver {
  private seq = 0;
  private readonly memory = new Map<string, string>();
  readonly sent: { methodId: string; code: string }[] = [];
  refuseNext: ChallengeRefusal | null = null;

  constructor(private readonly redis: Redis | null = null) {}

  private key(user: UserRef, methodId: string): string {
    return `test:{u:${userKey(user)}}:code:${methodId}`;
  }

  async challenge(user: UserRef, method: RegisteredMethod, _ctx: ProofContext): Promise<Result<Challenge, ChallengeRefusal>> {
    if (this.refuseNext) {
      const r = this.refuseNext;
      this.refuseNext = null;
      return fail(r);
    }
    switch (method.kind) {
      case 'authenticatorApp':
        return ok({ kind: 'enter_totp' });
      case 'recoveryCodes':
        return ok({ kind: 'enter_recovery_code' });
      case 'securityQuestions':
        return ok({ kind: 'answer_questions', questionIds: ['q1'] });
      default: {
        const code = String(100000 + ++this.seq);
        if (this.redis) {
          try {
            await this.redis.set(this.key(user, method.id), code, 'PX', 300_000);
          } catch (cause) {
            throw new SsprError('state_unavailable', 'code store unavailable', { cause });
          }
        } else this.memory.set(this.key(user, method.id), code);
        this.sent.push({ methodId: method.id, code });
        return ok({ kind: 'code_sent', expiresAt: 0, maskedDestination: method.maskedDestination ?? '' });
      }
    }
  }

  lastCode(methodId: string): string {
    const s = [...this.sent].reverse().find((x) => x.methodId === methodId);
    if (!s) throw new Error(`no code sent for ${methodId}`);
    return s.code;
  }

  async prove(user: UserRef, method: RegisteredMethod, _ctx: ProofContext, response: ProofResponse): Promise<Result<void, ProofRefusal>> {
    switch (response.kind) {
      case 'totp':
        return response.code === '246810' ? ok(undefined) : fail('wrong');
      case 'recoveryCode':
        return response.code === 'RC-0001' ? ok(undefined) : fail('wrong');
      case 'answers':
        return response.answers.q1 === 'blue' ? ok(undefined) : fail('wrong');
      case 'code': {
        const key = this.key(user, method.id);
        let stored: string | null | undefined;
        if (this.redis) {
          try {
            stored = await this.redis.get(key);
            if (stored === response.code) await this.redis.del(key);
          } catch (cause) {
            throw new SsprError('state_unavailable', 'code store unavailable', { cause });
          }
        } else {
          stored = this.memory.get(key);
          if (stored === response.code) this.memory.delete(key);
        }
        if (stored === null || stored === undefined) return fail('no_code');
        return stored === response.code ? ok(undefined) : fail('wrong');
      }
    }
  }
}

export class RecordingAudit implements AuditLog {
  readonly events: AuditEvent[] = [];
  async record(event: AuditEvent): Promise<void> {
    this.events.push(event);
  }
  types(): string[] {
    return this.events.map((e) => `${e.type}:${e.outcome}${e.reason ? `:${e.reason}` : ''}`);
  }
}

export class RecordingNotifications implements Notifications {
  readonly sent: { user: UserRef; event: NotificationEvent; correlationId: string }[] = [];
  async notify(user: UserRef, event: NotificationEvent, correlationId: string): Promise<void> {
    this.sent.push({ user, event, correlationId });
  }
}
