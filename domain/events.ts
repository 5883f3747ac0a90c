import type { UserRef } from './model/user';

/**
 * Typed domain events (architecture rule 18). What other parts react to — a reset done, a method removed, a block,
 * a shared bucket exceeded — is published here once by the use-case that made it happen; the audit log, the
 * user's notifications, the helpdesk outcome, security alerts and campaigns subscribe. Nothing routes on audit-event
 * names or reason-string prefixes.
 *
 * Events carry no secret: never a code, answer, password, token, full number or full address (R20).
 */

/** Fields every event has. `at` is epoch ms from the use-case's clock. */
interface EventBase {
  readonly at: number;
  readonly correlationId: string;
  readonly user?: UserRef;
}

/** The goal of a verification flow, as events tell it. */
export type EventGoal = 'reset' | 'unlock' | 'verify';

export type DomainEvent =
  // ---- recovery outcomes ----
  | (EventBase & { readonly type: 'password_reset'; readonly user: UserRef; readonly flowId: string })
  | (EventBase & { readonly type: 'account_unlocked'; readonly user: UserRef; readonly flowId: string })
  /**
   * A reset or unlock that will not happen with this grant (`retryable` false): the directory write failed for a
   * reason other than the password itself, or was not applied. A password the directory refused is retryable.
   */
  | (EventBase & {
      readonly type: 'recovery_failed';
      readonly user: UserRef;
      readonly goal: 'reset' | 'unlock';
      readonly flowId: string;
      readonly reason: string;
      readonly retryable: boolean;
    })
  | (EventBase & { readonly type: 'privileged_reset'; readonly user: UserRef; readonly flowId: string })
  // ---- security info ----
  | (EventBase & { readonly type: 'method_added'; readonly user: UserRef; readonly methodKind: string; readonly methodId: string })
  | (EventBase & { readonly type: 'method_changed'; readonly user: UserRef; readonly methodKind: string; readonly methodId: string })
  | (EventBase & { readonly type: 'method_removed'; readonly user: UserRef; readonly methodKind: string; readonly methodId: string })
  // ---- verification ----
  /** One method proved within a flow (the flow may need another). */
  | (EventBase & { readonly type: 'method_proved'; readonly user: UserRef; readonly goal: EventGoal; readonly flowId: string; readonly methodKind: string })
  /** The flow is verified (enough methods proved). A `verify` goal issues no grant (R38). */
  | (EventBase & {
      readonly type: 'verification_succeeded';
      readonly user: UserRef;
      readonly goal: EventGoal;
      readonly flowId: string;
      readonly methods: number;
    })
  | (EventBase & {
      readonly type: 'verification_failed';
      readonly user: UserRef;
      readonly goal: EventGoal;
      readonly flowId: string;
      readonly methodKind: string;
      readonly reason: string;
    })
  | (EventBase & { readonly type: 'verification_blocked'; readonly user: UserRef; readonly until: number })
  // ---- sending ----
  | (EventBase & {
      readonly type: 'code_sent';
      readonly kind: 'sms' | 'voice' | 'email';
      readonly purpose: 'register' | 'verify';
      /** ISO 3166 alpha-2 of a phone destination. */
      readonly country?: string;
      /** The shared velocity bucket of a phone destination (R30), e.g. "+3161". */
      readonly prefix?: string;
    })
  | (EventBase & {
      readonly type: 'send_throttled';
      readonly kind: 'sms' | 'voice' | 'email';
      /** Which limit: per user+channel, per destination, per-user pending registrations (R33), per prefix (R30). */
      readonly limit: 'user_channel' | 'destination' | 'pending_registrations' | 'prefix';
      readonly retryAt?: number;
    })
  /** A shared bucket (per-prefix velocity) is over its limit: a security alert (R33). */
  | (EventBase & { readonly type: 'shared_bucket_exceeded'; readonly bucket: 'phone_prefix'; readonly prefix: string; readonly limit: number })
  // ---- gates ----
  | (EventBase & { readonly type: 'gate_refused'; readonly rule: 'R1' | 'R2'; readonly reason: string })
  // ---- helpdesk ----
  | (EventBase & {
      readonly type: 'handoff_started';
      readonly user: UserRef;
      readonly handoffId: string;
      readonly purpose: 'reset' | 'unlock' | 'register' | 'verify';
    })
  | (EventBase & {
      readonly type: 'handoff_outcome';
      readonly user: UserRef;
      readonly handoffId: string;
      readonly status: 'verified' | 'done' | 'failed' | 'expired' | 'declined';
      readonly reason?: string;
    })
  // ---- reports from users and proactive cards ----
  | (EventBase & { readonly type: 'lockout_reported'; readonly user: UserRef; readonly lockedAt: number | null })
  | (EventBase & { readonly type: 'not_me_reported'; readonly user: UserRef; readonly about: string })
  /** A security alert that has no better event (R30 baseline, configuration drift …): for the security channel. */
  | (EventBase & { readonly type: 'security_alert'; readonly alert: string; readonly detail?: Readonly<Record<string, string | number | boolean>> });

export type DomainEventType = DomainEvent['type'];
/** The event of one type, e.g. `EventOf<'password_reset'>`. */
export type EventOf<T extends DomainEventType> = Extract<DomainEvent, { readonly type: T }>;

/** Event types that are security alerts (posted to the configured security-alert channel, R32). */
export const SECURITY_ALERT_EVENTS: ReadonlySet<DomainEventType> = new Set<DomainEventType>([
  'shared_bucket_exceeded',
  'not_me_reported',
  'privileged_reset',
  'security_alert',
]);

export type DomainEventListener = (event: DomainEvent) => void | Promise<void>;

/**
 * Publish and subscribe. `publish` never throws and never waits for listeners: a failing listener (mail down,
 * channel unreachable) cannot fail the use-case that published.
 */
export interface DomainEvents {
  publish(event: DomainEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: DomainEventListener): () => void;
}

/**
 * The in-process bus. Listeners are called synchronously in subscription order (so a synchronous audit write keeps
 * the order of events); an async listener's promise is tracked so `settled()` can wait for it (tests, shutdown).
 */
export class InProcessDomainEvents implements DomainEvents {
  private readonly listeners: DomainEventListener[] = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly onListenerError: (err: unknown, event: DomainEvent) => void = () => undefined) {}

  publish(event: DomainEvent): void {
    for (const listener of [...this.listeners]) {
      let r: void | Promise<void>;
      try {
        r = listener(event);
      } catch (err) {
        this.onListenerError(err, event);
        continue;
      }
      if (r && typeof r.then === 'function') {
        const tracked: Promise<void> = r.catch((err: unknown) => this.onListenerError(err, event));
        this.pending.add(tracked);
        const untrack = (): void => void this.pending.delete(tracked);
        tracked.then(untrack, untrack);
      }
    }
  }

  subscribe(listener: DomainEventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Resolves when every listener started so far (and any they started in turn) has finished. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }
}

/** A listener for some event types only, typed by them. */
export function on<T extends DomainEventType>(
  types: readonly T[],
  listener: (event: EventOf<T>) => void | Promise<void>,
): DomainEventListener {
  const wanted = new Set<DomainEventType>(types);
  return (e) => (wanted.has(e.type) ? listener(e as EventOf<T>) : undefined);
}
