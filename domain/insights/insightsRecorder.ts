import type { UserRef } from '../model/user';
import type { AuditEvent, AuditLog } from '../ports/auditLog';
import type { Clock } from '../ports/clock';
import type { InsightsStore } from '../ports/insightsStore';
import { classify } from './classify';
import { durationBucket } from './durationHistogram';

export interface InsightsRecorderDeps {
  readonly store: InsightsStore;
  readonly clock: Clock;
  /** The audit trail's pseudonym of a user (flow marks never hold an object id). */
  readonly pseudonym: (user: UserRef) => string;
}

/** Turns each audit event into counter increments (issue 14): as events happen, never by re-reading logs. */
export class InsightsRecorder {
  constructor(private readonly deps: InsightsRecorderDeps) {}

  /**
   * Whether recording `e` reads or writes the user's flow mark (a start, a verification, a drop-out reason, an end):
   * those must be recorded in the order they happened. An event that only adds counters commutes with every other
   * (the counters are sums; no flow operation reads them), so it need not wait for the ones before it.
   */
  ordered(e: AuditEvent): boolean {
    const f = classify(e).flow;
    return f !== undefined && f.op !== 'goal' && e.user !== undefined;
  }

  /** `at`: when the event happened (default: now); the decorator passes the time it saw the event. */
  async record(e: AuditEvent, at: number = this.deps.clock.now()): Promise<void> {
    const change = classify(e);
    if (change.counters.length === 0 && !change.flow) return;
    const { store } = this.deps;
    const counters = [...change.counters];
    const f = change.flow;
    const user = e.user ? this.deps.pseudonym(e.user) : null;
    const add = (): Promise<void> | undefined => (counters.length ? store.add(at, counters.map((field) => ({ field }))) : undefined);
    if (f?.op === 'goal') counters.push(f.counter);
    else if (f && user) {
      // Issue 15: a start's flow mark and its counters do not depend on each other: issued together, both ride in the
      // turn's last write (one after the other, the counters missed it and cost a round trip of their own).
      if (f.op === 'start') {
        await Promise.all([store.startFlow(user, f.goal, at), add()]);
        return;
      }
      if (f.op === 'verified') {
        const flow = await store.currentFlow(user, at);
        if (flow) counters.push(`${flow.goal}.verified`);
      } else if (f.op === 'attribute') {
        const flow = await store.currentFlow(user, at);
        if (flow) counters.push(`funnel.${flow.goal}:${f.reason}`);
      } else {
        const flow = await store.takeFlow(user, at);
        if (flow && flow.goal === f.goal) counters.push(`${f.goal}.duration:${durationBucket(at - flow.at)}`);
      }
    }
    await add();
  }
}

/**
 * An AuditLog decorator: every event goes to the trail first (awaited), then to the insights — in the background, so
 * a slow or absent Redis never slows or fails the user's action (R22: the answer within 3 s). Events that touch a
 * user's flow mark are recorded in order, one at a time; an event that only adds counters is recorded at once, next
 * to them (issue 15: two such events of one turn — an R30 telephony alert and its SMS's send — both wait for the
 * turn's last write and leave in it; one behind the other, the second missed it and cost a round trip of its own).
 * A store error is reported to `onError`; past `maxPending` waiting events new ones are dropped and reported.
 */
export class InsightsAuditLog implements AuditLog {
  private chain: Promise<void> = Promise.resolve();
  /** Counter-only events being recorded outside the chain. */
  private readonly loose = new Set<Promise<void>>();
  private pending = 0;

  constructor(
    private readonly inner: AuditLog,
    private readonly recorder: InsightsRecorder,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly maxPending = 10_000,
  ) {}

  async record(event: AuditEvent): Promise<void> {
    const at = this.clock.now();
    await this.inner.record(event);
    if (this.pending >= this.maxPending) {
      this.onError(new RangeError('insights queue full'));
      return;
    }
    this.pending++;
    const run = async (): Promise<void> => {
      try {
        await this.recorder.record(event, at);
      } catch (e) {
        this.onError(e);
      } finally {
        this.pending--;
      }
    };
    if (this.recorder.ordered(event)) {
      this.chain = this.chain.then(run);
      return;
    }
    const done: Promise<void> = Promise.resolve()
      .then(run)
      .finally(() => this.loose.delete(done));
    this.loose.add(done);
  }

  /** Resolves when every event recorded so far has reached the counters (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([this.chain, ...this.loose]);
  }
}
