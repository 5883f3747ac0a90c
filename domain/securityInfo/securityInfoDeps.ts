import type { OneTimeCodeService } from '../codes/oneTimeCodes';
import type { SecurityQuestionService } from '../methods/securityQuestionService';
import type { TotpService } from '../methods/totpService';
import type { Language, UserRef } from '../model/user';
import type { Policy } from '../policy/policy';
import type { AuditLog } from '../ports/auditLog';
import type { Clock, RandomSource } from '../ports/clock';
import type { Notifier } from '../ports/codeSender';
import type { DestinationGuard } from '../ports/destinationGuard';
import type { MethodStore } from '../ports/methodStore';
import type { Notifications } from '../ports/notifications';
import type { RecoveryCodeStore } from '../ports/recoveryCodeStore';
import type { VerificationBlock } from '../ports/verificationBlock';
import type { MethodProver, RegisteredMethodsReader } from '../verification/methodProver';

/** Everything the security-info use-cases need; all ports, injected once by the composition root. */
export interface SecurityInfoDeps {
  readonly policy: Policy;
  readonly store: MethodStore;
  readonly codes: OneTimeCodeService;
  readonly guard: DestinationGuard;
  readonly totp: TotpService;
  readonly questions: SecurityQuestionService;
  readonly recoveryCodes: RecoveryCodeStore;
  /** R19 step-up: the same prover the verification flow uses. */
  readonly prover: MethodProver;
  /** Confirmed methods as the prover sees them (mobile phones as `<id>~sms` / `<id>~voice`). */
  readonly provable: RegisteredMethodsReader;
  /** R9: wrong step-up proofs count toward the per-user block. */
  readonly block: VerificationBlock;
  /** R18: Teams message + e-mail to registered addresses. */
  readonly notifications: Notifications;
  /** R19: tells an address that is being replaced or removed (it no longer gets the R18 mail). */
  readonly mailer: Notifier;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/**
 * Who is changing what, in which flow. `provenAt` is when this flow last passed an R19 step-up proof (null = never);
 * it comes from server-side dialog state and is checked against the policy's grant lifetime.
 */
export interface ChangeContext {
  readonly user: UserRef;
  readonly locale: Language;
  readonly flowId: string;
  readonly provenAt: number | null;
}

const HEX = '0123456789abcdef';

/** A fresh opaque id (method ids, flow ids) from the injected random source. */
export function randomId(random: RandomSource, bytes = 12): string {
  let s = '';
  for (const b of random.bytes(bytes)) s += (HEX[b >> 4] ?? '0') + (HEX[b & 15] ?? '0');
  return s;
}
