import type { DomainEvent, DomainEventListener, DomainEvents } from './events';
import type { AuditEvent, AuditLog } from './ports/auditLog';
import type { NotificationEvent, Notifications } from './ports/notifications';

/**
 * The audit record of a domain event (R20): every event reaches the AuditLog exactly once, through this table.
 * A use-case that publishes an event does not also record the same fact itself. Types that had an audit name before
 * events existed keep it (the audit trail and its readers stay stable); the others are `event.<type>`.
 */
export function auditEventOf(e: DomainEvent): AuditEvent {
  const base = { correlationId: e.correlationId, ...(e.user ? { user: e.user } : {}) };
  switch (e.type) {
    case 'password_reset':
      return { ...base, type: 'recovery.password_reset', outcome: 'success' };
    case 'account_unlocked':
      return { ...base, type: 'recovery.account_unlock', outcome: 'success' };
    case 'recovery_failed':
      return {
        ...base,
        type: e.goal === 'reset' ? 'recovery.password_reset' : 'recovery.account_unlock',
        outcome: e.retryable ? 'refused' : 'failure',
        reason: e.reason,
      };
    case 'method_proved':
      return { ...base, type: 'verification.proof', methodKind: e.methodKind, outcome: 'success', detail: { goal: e.goal } };
    case 'verification_failed':
      return { ...base, type: 'verification.proof', methodKind: e.methodKind, outcome: 'failure', reason: e.reason, detail: { goal: e.goal } };
    case 'verification_blocked':
      return { ...base, type: 'verification.blocked', outcome: 'info', reason: 'too_many_failures', detail: { until: new Date(e.until).toISOString() } };
    case 'verification_succeeded':
      return { ...base, type: 'verification.verified', outcome: 'success', detail: { methods: e.methods, goal: e.goal } };
    case 'handoff_started':
      return { ...base, type: 'helpdesk.handoff_start', outcome: 'success', detail: { handoff: e.handoffId, purpose: e.purpose } };
    case 'handoff_outcome':
      return {
        ...base,
        type: e.status === 'declined' ? 'helpdesk.handoff_decline' : 'helpdesk.handoff_status',
        outcome: e.status === 'failed' || e.status === 'expired' ? 'failure' : e.status === 'done' || e.status === 'declined' ? 'success' : 'info',
        ...(e.reason ? { reason: e.reason } : {}),
        detail: { handoff: e.handoffId, status: e.status },
      };
    case 'method_added':
    case 'method_changed':
    case 'method_removed':
      return { ...base, type: `event.${e.type}`, methodKind: e.methodKind, outcome: 'success', detail: { method: e.methodId } };
    case 'code_sent':
      return {
        ...base,
        type: 'event.code_sent',
        outcome: 'success',
        detail: { kind: e.kind, purpose: e.purpose, ...(e.country ? { country: e.country } : {}), ...(e.prefix ? { prefix: e.prefix } : {}) },
      };
    case 'send_throttled':
      return {
        ...base,
        type: 'event.send_throttled',
        outcome: 'refused',
        reason: e.limit,
        detail: { kind: e.kind, ...(e.retryAt !== undefined ? { retryAt: new Date(e.retryAt).toISOString() } : {}) },
      };
    case 'shared_bucket_exceeded':
      return { ...base, type: 'event.shared_bucket_exceeded', outcome: 'info', reason: e.bucket, detail: { prefix: e.prefix, limit: e.limit } };
    case 'gate_refused':
      return { ...base, type: 'event.gate_refused', outcome: 'refused', reason: e.reason, detail: { rule: e.rule } };
    case 'privileged_reset':
      return { ...base, type: 'event.privileged_reset', outcome: 'info', detail: { flow: e.flowId } };
    case 'lockout_reported':
      return { ...base, type: 'event.lockout_reported', outcome: 'info', ...(e.lockedAt !== null ? { detail: { lockedAt: new Date(e.lockedAt).toISOString() } } : {}) };
    case 'not_me_reported':
      return { ...base, type: 'event.not_me_reported', outcome: 'info', reason: e.about };
    case 'security_alert':
      return { ...base, type: 'event.security_alert', outcome: 'info', reason: e.alert, ...(e.detail ? { detail: e.detail } : {}) };
  }
}

/** The audit log as a subscriber: one record per event. */
export function auditSubscriber(audit: AuditLog): DomainEventListener {
  return (e) => audit.record(auditEventOf(e));
}

/** Which events the user is told about (R18), as the Notifications port names them. */
export function notificationOf(e: DomainEvent): NotificationEvent | null {
  switch (e.type) {
    case 'password_reset':
      return 'password_reset';
    case 'account_unlocked':
      return 'account_unlocked';
    case 'method_added':
    case 'method_changed':
    case 'method_removed':
      return 'methods_changed';
    case 'handoff_started':
      return 'helpdesk_flow_started';
    default:
      return null;
  }
}

/** The user's notifications (R18) as a subscriber. */
export function notificationSubscriber(notifications: Notifications): DomainEventListener {
  return (e) => {
    const n = notificationOf(e);
    return n && e.user ? notifications.notify(e.user, n, e.correlationId) : undefined;
  };
}

/** Subscribe the audit log and the notifications; returns one function that unsubscribes both. */
export function wireCoreSubscribers(events: DomainEvents, audit: AuditLog, notifications: Notifications): () => void {
  const a = events.subscribe(auditSubscriber(audit));
  const n = events.subscribe(notificationSubscriber(notifications));
  return () => {
    a();
    n();
  };
}
