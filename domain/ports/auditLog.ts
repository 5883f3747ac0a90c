import type { UserRef } from '../model/user';

export type AuditOutcome = 'success' | 'failure' | 'refused' | 'info';

/**
 * One structured security event (R20). The adapter adds the UTC time and replaces `user` by a pseudonymous id.
 * `detail` values must already be masked: never a code, answer, password, token, full number or address.
 */
export interface AuditEvent {
  readonly type: string;
  readonly correlationId: string;
  readonly user?: UserRef;
  readonly methodKind?: string;
  readonly outcome: AuditOutcome;
  readonly reason?: string;
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

/** Append-only audit trail of security events. */
export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
}
