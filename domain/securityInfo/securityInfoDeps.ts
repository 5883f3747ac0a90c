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
import type { StepUpStore } from '../ports/stepUpStore';
import type { DirectoryContactsReader } from '../ports/directoryContacts';
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
  /** R19/R31: tells a destination that is being replaced or removed (e-mail by mail, phone by SMS) and the mailbox. */
  readonly mailer: Notifier;
  /** R31: the user's step-up proofs (bound to the user, valid on every surface), the bootstrap hold and flags. */
  readonly stepUps: StepUpStore;
  /** R31: directory contact data (pre-fill, bootstrap) and the directory mailbox (told of every change). */
  readonly directory: DirectoryContactsReader;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/**
 * Who is changing what, in which flow (chat dialog, tab page). Whether the change may go ahead is never decided by
 * the surface: the user's step-up proof lives in the StepUpStore (R31: bound to the user, not the conversation).
 */
export interface ChangeContext {
  readonly user: UserRef;
  readonly locale: Language;
  readonly flowId: string;
}

const HEX = '0123456789abcdef';

/** A fresh opaque id (method ids, flow ids) from the injected random source. */
export function randomId(random: RandomSource, bytes = 12): string {
  let s = '';
  for (const b of random.bytes(bytes)) s += (HEX[b >> 4] ?? '0') + (HEX[b & 15] ?? '0');
  return s;
}
