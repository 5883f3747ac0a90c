import type { AuditEvent } from '../ports/auditLog';
import type { FlowGoal } from '../ports/insightsStore';

/** What one audit event changes in the insights: counters to add, and what happens to the user's flow mark. */
export interface InsightsChange {
  readonly counters: readonly string[];
  readonly flow?:
    | { readonly op: 'start'; readonly goal: FlowGoal }
    /** A verification failure or block: counted as a drop-out reason of the flow the user is in. */
    | { readonly op: 'attribute'; readonly reason: string }
    | { readonly op: 'verified' }
    /** The event names its goal: count for that goal without the flow mark. */
    | { readonly op: 'goal'; readonly goal: FlowGoal; readonly counter: string }
    | { readonly op: 'finish'; readonly goal: FlowGoal };
}

const NONE: InsightsChange = { counters: [] };

/** A reason or kind as a counter field part: a short code, or `other` (a field never carries free text). */
export function token(v: unknown): string {
  return typeof v === 'string' && /^[A-Za-z0-9_.+-]{1,48}$/.test(v) ? v : 'other';
}

const detail = (e: AuditEvent, k: string): unknown => e.detail?.[k];

/** The flow goal a verification event names (`detail.goal`), 'verify' for caller verification (R38), or undefined. */
function goalOf(e: AuditEvent): FlowGoal | 'verify' | undefined {
  const g = detail(e, 'goal');
  return g === 'reset' || g === 'unlock' || g === 'verify' ? g : undefined;
}

/**
 * The one place that maps audit events (R20) to insights counters. Counter names are documented in
 * docs/admin-guide.md §10 ("Insights"). Unknown event types change nothing.
 */
export function classify(e: AuditEvent): InsightsChange {
  const reason = token(e.reason);
  const kind = token(e.methodKind);
  switch (e.type) {
    case 'recovery.reset.start':
    case 'recovery.unlock.start': {
      const goal: FlowGoal = e.type === 'recovery.reset.start' ? 'reset' : 'unlock';
      if (e.outcome === 'success') return { counters: [`${goal}.started`], flow: { op: 'start', goal } };
      return { counters: [`${goal}.refused`, `funnel.${goal}:${reason}`] };
    }
    case 'verification.proof': {
      if (e.outcome !== 'failure') return NONE;
      const goal = goalOf(e);
      if (goal === 'verify') return { counters: [`verify.failed:${reason}`] };
      const counter = `verification_${reason}`;
      return { counters: [`verify.failed:${reason}`], flow: goal ? { op: 'goal', goal, counter: `funnel.${goal}:${counter}` } : { op: 'attribute', reason: counter } };
    }
    case 'verification.verified': {
      if (e.outcome !== 'success') return NONE;
      const goal = goalOf(e);
      if (goal === 'verify') return { counters: ['verify.verified'] };
      return { counters: ['verify.verified'], flow: goal ? { op: 'goal', goal, counter: `${goal}.verified` } : { op: 'verified' } };
    }
    case 'verification.blocked':
      return { counters: ['blocks'], flow: { op: 'attribute', reason: 'blocked' } };
    case 'recovery.password_reset':
    case 'recovery.account_unlock': {
      const goal: FlowGoal = e.type === 'recovery.password_reset' ? 'reset' : 'unlock';
      if (e.outcome === 'success') return { counters: [`${goal}.done`], flow: { op: 'finish', goal } };
      if (e.outcome === 'info') return { counters: [`${goal}.pending`] };
      return { counters: [`${goal}.failed`, `funnel.${goal}:${reason}`] };
    }
    case 'event.method_added':
    case 'method.register':
    case 'method.enrol.confirm':
      if (e.outcome === 'success') return { counters: ['registrations', `registrations.kind:${kind}`] };
      return e.outcome === 'refused' ? { counters: [`registrations.refused:${reason}`] } : NONE;
    case 'method.change':
    case 'method.remove':
    case 'method.reconfirm':
      return e.outcome === 'success' ? { counters: [`methods.${e.type.slice('method.'.length)}:${kind}`] } : NONE;
    case 'event.method_changed':
      return { counters: [`methods.change:${kind}`] };
    case 'event.method_removed':
      return { counters: [`methods.remove:${kind}`] };
    case 'event.code_sent': {
      const channel = token(detail(e, 'kind'));
      const counters = [`sends:${channel}`];
      if (channel === 'sms' || channel === 'voice') counters.push(`sends.country:${token(detail(e, 'country'))}`, `sends.prefix:${token(detail(e, 'prefix'))}`);
      return { counters };
    }
    case 'event.send_throttled':
      // Counted once, from the `code.send` refusal the same use-case records next to this event.
      return NONE;
    case 'event.shared_bucket_exceeded':
      return { counters: ['telephony.sharedBucketAlerts'] };
    case 'code.send': {
      const channel = token(detail(e, 'channel'));
      if (e.outcome === 'success') {
        const counters = [`sends:${channel}`];
        if (channel === 'sms' || channel === 'voice') {
          counters.push(`sends.country:${token(detail(e, 'country'))}`, `sends.prefix:${token(detail(e, 'prefix'))}`);
        }
        return { counters };
      }
      if (e.outcome === 'refused' && (reason === 'throttled' || reason === 'destination_prefix_velocity'))
        return { counters: ['throttles', `throttles.by:${reason === 'throttled' ? channel : 'prefix'}`] };
      return { counters: [`sends.${e.outcome === 'refused' ? 'refused' : 'failed'}:${reason}`] };
    }
    case 'telephony.alert':
      return { counters: ['telephony.alerts'] };
    case 'helpdesk.handoff_create':
      if (e.outcome === 'success') return { counters: ['handoffs', `handoffs.purpose:${token(detail(e, 'purpose'))}`] };
      return { counters: [`handoffs.refused:${reason}`] };
    case 'helpdesk.handoff_status':
      return { counters: [`handoffs.status:${token(detail(e, 'status'))}`] };
    case 'helpdesk.talk_request':
      return { counters: ['talk.requests'] };
    case 'event.gate_refused':
      return { counters: [`gate:${token(detail(e, 'rule'))}`] };
    default:
      return NONE;
  }
}
