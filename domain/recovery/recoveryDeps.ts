import type { DomainEvents } from '../events';
import type { Policy } from '../policy/policy';
import type { AuditLog } from '../ports/auditLog';
import type { Clock, RandomSource } from '../ports/clock';
import type { Directory } from '../ports/directory';
import type { FlowStore } from '../ports/flowStore';
import type { GrantStore } from '../ports/grantStore';
import type { Notifications } from '../ports/notifications';
import type { RecoveryCounter } from '../ports/recoveryCounter';
import type { VerificationBlock } from '../ports/verificationBlock';
import type { MethodProver, RegisteredMethodsReader } from '../verification/methodProver';

/** Everything the recovery use-cases need; each use-case takes the subset it uses. */
export interface RecoveryDeps {
  readonly policy: Policy;
  readonly directory: Directory;
  readonly methods: RegisteredMethodsReader;
  readonly prover: MethodProver;
  readonly flows: FlowStore;
  readonly grants: GrantStore;
  readonly block: VerificationBlock;
  readonly counter: RecoveryCounter;
  readonly audit: AuditLog;
  readonly notifications: Notifications;
  /** Outcomes others react to (audit, notifications, helpdesk outcome): rule 18. */
  readonly events: DomainEvents;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/** Lower-case hex of `n` random bytes (flow ids: 16 bytes = 128 bits). */
export function randomHex(random: RandomSource, n: number): string {
  return Array.from(random.bytes(n), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A method as offered to the user: no destination beyond its mask. */
export interface MethodChoice {
  readonly id: string;
  readonly kind: string;
  readonly maskedDestination?: string;
}
