import { inAnyGroup } from '../model/groups';
import type { Result } from '../errors';
import { fail, ok } from '../errors';
import type { UserRef } from '../model/user';
import type { Policy } from '../policy/policy';
import type { AuditEvent, AuditLog } from '../ports/auditLog';
import type { Clock, RandomSource } from '../ports/clock';
import type { Directory } from '../ports/directory';
import type { HandoffListener, HandoffStore, TokenDigest } from '../ports/handoffStore';
import type { DomainEvent, DomainEvents } from '../events';
import {
  cleanTicket,
  isOverdue,
  TERMINAL_STATUSES,
  withStatus,
  type Handoff,
  type HandoffAgent,
  type HandoffPurpose,
  type HandoffStatus,
} from './handoff';

/** R21: a hand-off token lives 15 minutes. */
export const HANDOFF_TTL_MS = 15 * 60_000;
/** R21: at least 128 bits; we use 256. */
const TOKEN_BYTES = 32;

export interface HelpdeskHandoffsDeps {
  readonly policy: Policy;
  readonly directory: Directory;
  readonly store: HandoffStore;
  readonly digest: TokenDigest;
  readonly audit: AuditLog;
  /** Hand-off started / outcome events (the audit log and the user's notification subscribe). */
  readonly events: DomainEvents;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Told about every change (agent's card, webhook). Failures there never break the user's flow. */
  readonly listener?: HandoffListener;
  /** The tenant of users named through the ITSM API (which names users by UPN only). */
  readonly apiTenantId: string;
  /** Admin groups (object ids): who may bind the helpdesk and security-alert channels (R32). */
  readonly adminGroups?: readonly string[];
}

/**
 * What the agent (or ticketing system) is told. R17: a target the policy refuses because it is privileged gets the
 * unknown user's answer — telling them apart would let any agent map the organisation's admin accounts by name; the
 * audit line keeps the precise reason (`privileged`).
 */
export type CreateRefusal = 'not_agent' | 'unknown_user' | 'self';
export type StartRefusal = 'invalid' | 'used' | 'expired' | 'foreign';

/** A ticketing system's request (ITSM API): the agent is named by UPN and resolved through the directory. */
export interface CreateApiHandoffInput {
  readonly keyId: string;
  /** UPN of the agent on whose behalf the system asks. */
  readonly agentName: string;
  readonly targetName: string;
  readonly purpose: HandoffPurpose;
  readonly ticket?: string;
  readonly correlationId: string;
}

export interface CreateHandoffInput {
  readonly agent: HandoffAgent;
  /** UPN or mail the agent typed. */
  readonly targetName: string;
  readonly purpose: HandoffPurpose;
  readonly ticket?: string;
  readonly correlationId: string;
}

/**
 * Helpdesk hand-offs (R21, R18, R20): an agent (or an ITSM system) can only *start* a flow for a user; the user
 * passes their own methods and the agent sees the outcome. Tokens are ≥ 128 bits, single use, 15 minutes, bound to
 * the target user (only they can use it) and to the agent (only they see its outcome).
 */
export class HelpdeskHandoffs {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly deps: HelpdeskHandoffsDeps) {}

  /** Is this Teams user a helpdesk agent according to the directory (policy.helpdesk.agentGroups)? */
  async isAgent(user: UserRef): Promise<boolean> {
    return this.inGroups(user, this.deps.policy.helpdesk.agentGroups);
  }

  /** Is this Teams user an admin (R32: may bind the helpdesk / security-alert channel)? */
  async isAdmin(user: UserRef): Promise<boolean> {
    return this.inGroups(user, this.deps.adminGroups ?? []);
  }

  private async inGroups(user: UserRef, groups: readonly string[]): Promise<boolean> {
    if (groups.length === 0) return false;
    const found = await this.deps.directory.findUser(user);
    if (!found || !found.enabled) return false;
    return inAnyGroup(found.groups, groups);
  }

  /** Create a hand-off: checks the agent, the target (unknown, self, privileged), mints the token. */
  async create(input: CreateHandoffInput): Promise<Result<{ handoff: Handoff; token: string }, CreateRefusal>> {
    const { agent, correlationId } = input;
    const refuse = async (reason: CreateRefusal | 'privileged'): Promise<{ ok: false; reason: CreateRefusal }> => {
      await this.audit({ type: 'helpdesk.handoff_create', correlationId, outcome: 'refused', reason, detail: this.agentDetail(agent) });
      return fail(reason === 'privileged' ? 'unknown_user' : reason);
    };
    if (!(await this.isAgent(agent.user))) return refuse('not_agent');
    const target = await this.deps.directory.findByPrincipalName(input.targetName.trim());
    if (!target || !target.enabled) return refuse('unknown_user');
    const targetRef: UserRef = { tenantId: agent.user.tenantId, objectId: target.objectId };
    if (agent.user.objectId === target.objectId) return refuse('self');
    if (target.privileged && !this.deps.policy.helpdesk.allowHandoffToPrivileged) return refuse('privileged');

    const now = this.deps.clock.now();
    const id = hex(this.deps.random.bytes(16));
    const token = base64url(this.deps.random.bytes(TOKEN_BYTES));
    const ticket = cleanTicket(input.ticket);
    const handoff: Handoff = {
      id,
      purpose: input.purpose,
      target: targetRef,
      targetName: target.displayName,
      agent,
      ...(ticket ? { ticket } : {}),
      status: 'created',
      methodKinds: [],
      createdAt: now,
      expiresAt: now + HANDOFF_TTL_MS,
      updatedAt: now,
      history: [{ status: 'created', at: now }],
    };
    await this.deps.store.create(handoff, this.deps.digest.digest(token), HANDOFF_TTL_MS);
    await this.audit({
      type: 'helpdesk.handoff_create',
      correlationId,
      user: targetRef,
      outcome: 'success',
      detail: { handoff: id, purpose: input.purpose, ...this.agentDetail(agent), ...(ticket ? { ticket } : {}) },
    });
    return ok({ handoff, token });
  }

  /**
   * Create a hand-off for a ticketing system (ITSM API): the named agent must exist, be enabled and be in the
   * helpdesk group — the same rules as in Teams (unknown user, self, privileged) apply after that.
   */
  async createForApi(input: CreateApiHandoffInput): Promise<Result<{ handoff: Handoff; token: string }, CreateRefusal>> {
    const found = await this.deps.directory.findByPrincipalName(input.agentName.trim());
    if (!found || !found.enabled) {
      await this.audit({
        type: 'helpdesk.handoff_create',
        correlationId: input.correlationId,
        outcome: 'refused',
        reason: 'not_agent',
        detail: { agentKind: 'api', agent: input.keyId },
      });
      return fail('not_agent');
    }
    const user: UserRef = { tenantId: this.deps.apiTenantId, objectId: found.objectId };
    return this.create({
      agent: { kind: 'api', keyId: input.keyId, user, name: found.displayName },
      targetName: input.targetName,
      purpose: input.purpose,
      ...(input.ticket !== undefined ? { ticket: input.ticket } : {}),
      correlationId: input.correlationId,
    });
  }

  /** Read a hand-off, marking it expired when its token ran out unused. */
  async get(id: string): Promise<Handoff | null> {
    const h = await this.deps.store.get(id);
    if (!h) return null;
    if (isOverdue(h, this.deps.clock.now())) return (await this.move(h, 'expired', `handoff:${id}`, 'token_expired')) ?? h;
    return h;
  }

  /** Record a status change the bot layer observed (delivered, delivery failed). */
  async mark(id: string, to: HandoffStatus, correlationId: string, reason?: string): Promise<Handoff | null> {
    const h = await this.get(id);
    return h ? this.move(h, to, correlationId, reason) : null;
  }

  /** Remember where the agent's status card is (bot layer data). */
  async attachStatusCard(id: string, card: Readonly<Record<string, unknown>>): Promise<void> {
    const h = await this.deps.store.get(id);
    if (h) await this.deps.store.put({ ...h, statusCard: card });
  }

  /** The user pressed [Start]: the token is used up (single use) and the flow begins. */
  async start(caller: UserRef, token: string, correlationId: string): Promise<Result<Handoff, StartRefusal>> {
    return this.useToken(caller, token, correlationId, 'started');
  }

  /** The user pressed [Decline]: the token is used up and the agent sees "declined". */
  async decline(caller: UserRef, token: string, correlationId: string): Promise<Result<Handoff, StartRefusal>> {
    return this.useToken(caller, token, correlationId, 'declined');
  }

  private async useToken(
    caller: UserRef,
    token: string,
    correlationId: string,
    to: 'started' | 'declined',
  ): Promise<Result<Handoff, StartRefusal>> {
    const type = to === 'started' ? 'helpdesk.handoff_start' : 'helpdesk.handoff_decline';
    const refuse = async (reason: StartRefusal, id?: string): Promise<{ ok: false; reason: StartRefusal }> => {
      await this.audit({ type, correlationId, user: caller, outcome: 'refused', reason, ...(id ? { detail: { handoff: id } } : {}) });
      return fail(reason);
    };
    const digest = this.deps.digest.digest(token);
    const id = await this.deps.store.peekToken(digest);
    if (!id) return refuse('invalid');
    const h = await this.get(id);
    if (!h) return refuse('invalid');
    // Binding (R21): only the target user can use the token; a foreign click leaves it usable for the owner.
    if (h.target.tenantId !== caller.tenantId || h.target.objectId !== caller.objectId) return refuse('foreign', id);
    if (h.status === 'expired') return refuse('expired', id);
    if (!(await this.deps.store.consumeToken(digest))) return refuse('used', id);
    if (h.status !== 'sent' && h.status !== 'created') return refuse('used', id);
    const moved = (h.status === 'created' ? withStatus(h, 'sent', this.deps.clock.now()) : h) ?? h;
    const next = await this.move(moved, to, correlationId);
    if (!next) return refuse('used', id);
    if (to === 'started') {
      this.deps.events.publish({ type: 'handoff_started', at: this.deps.clock.now(), correlationId, user: caller, handoffId: id, purpose: h.purpose });
    } else await this.deps.store.clearActive(caller, id);
    return ok(next);
  }

  /**
   * A caller verification ended (the bot layer's verify dialog): the user's active `verify` hand-off moves to done
   * (passed) or failed (`reason`). A hand-off the audit observer already finished is left alone.
   */
  async finishVerification(user: UserRef, passed: boolean, reason: string, correlationId: string): Promise<Handoff | null> {
    const id = await this.deps.store.activeFor(user);
    if (!id) return null;
    return this.serial(id, async () => {
      const h = await this.deps.store.get(id);
      if (!h || h.purpose !== 'verify' || (h.status !== 'started' && h.status !== 'verified')) return null;
      return this.move(h, passed ? 'done' : 'failed', correlationId, reason);
    });
  }

  /** One read-modify-write of a hand-off at a time in this process (event subscriber and dialog may both report). */
  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(id, tail);
    const forget = (): void => {
      if (this.chains.get(id) === tail) this.chains.delete(id);
    };
    tail.then(forget, forget);
    return run;
  }

  /**
   * The outcome subscriber (rule 18): domain events of a user with an active hand-off move it (started with the
   * proved method kinds, verified, done, failed) — the journeys need not know about hand-offs. Only a flow whose goal
   * is the hand-off's purpose counts.
   */
  async observe(event: DomainEvent): Promise<void> {
    if (!event.user || !OUTCOME_EVENTS.has(event.type)) return;
    const id = await this.deps.store.activeFor(event.user);
    if (!id) return;
    await this.serial(id, async () => {
      const h = await this.deps.store.get(id);
      if (!h || (h.status !== 'started' && h.status !== 'verified')) return;
      const step = outcomeOf(h.purpose, event);
      if (!step) return;
      await this.move(h, step.to, event.correlationId, step.reason, step.methodKind);
    });
  }

  private async move(h: Handoff, to: HandoffStatus, correlationId: string, reason?: string, methodKind?: string): Promise<Handoff | null> {
    if (h.status === to && to === 'started' && methodKind) {
      const kinds = h.methodKinds.includes(methodKind) ? h.methodKinds : [...h.methodKinds, methodKind];
      const same = { ...h, methodKinds: kinds };
      await this.deps.store.put(same);
      return same;
    }
    const next = withStatus(h, to, this.deps.clock.now(), reason, methodKind);
    if (!next) return null;
    await this.deps.store.put(next);
    if (TERMINAL_STATUSES.has(to)) await this.deps.store.clearActive(h.target, h.id);
    if (to === 'verified' || to === 'done' || to === 'failed' || to === 'expired' || to === 'declined') {
      this.deps.events.publish({
        type: 'handoff_outcome',
        at: this.deps.clock.now(),
        correlationId,
        user: h.target,
        handoffId: h.id,
        status: to,
        ...(reason ? { reason } : {}),
      });
    } else if (to === 'sent') {
      await this.audit({ type: 'helpdesk.handoff_status', correlationId, user: h.target, outcome: 'info', detail: { handoff: h.id, status: to } });
    }
    if (this.deps.listener) await this.deps.listener.changed(next).catch(() => undefined);
    return next;
  }

  private agentDetail(agent: HandoffAgent): Record<string, string> {
    return agent.kind === 'teams' ? { agentKind: 'teams', agent: agent.user.objectId } : { agentKind: 'api', agent: agent.user.objectId, key: agent.keyId };
  }

  private async audit(e: AuditEvent): Promise<void> {
    await this.deps.audit.record(e);
  }
}

const OUTCOME_EVENTS: ReadonlySet<DomainEvent['type']> = new Set<DomainEvent['type']>([
  'method_proved',
  'verification_blocked',
  'verification_succeeded',
  'password_reset',
  'account_unlocked',
  'recovery_failed',
]);

/** The flow goal that serves a hand-off purpose (`register` has no verification flow of its own). */
const GOAL_OF: Readonly<Record<HandoffPurpose, string | null>> = { reset: 'reset', unlock: 'unlock', verify: 'verify', register: null };

/** How a domain event moves a started hand-off. */
function outcomeOf(purpose: HandoffPurpose, e: DomainEvent): { to: HandoffStatus; reason?: string; methodKind?: string } | null {
  switch (e.type) {
    case 'method_proved':
      return e.goal === GOAL_OF[purpose] ? { to: 'started', methodKind: e.methodKind } : null;
    case 'verification_blocked':
      return { to: 'failed', reason: 'blocked' };
    case 'verification_succeeded':
      if (e.goal !== GOAL_OF[purpose]) return null;
      return purpose === 'verify' ? { to: 'done', reason: 'verified' } : { to: 'verified' };
    case 'password_reset':
      return purpose === 'reset' ? { to: 'done' } : null;
    case 'account_unlocked':
      return purpose === 'unlock' ? { to: 'done' } : null;
    case 'recovery_failed':
      if (e.retryable || e.goal !== purpose) return null;
      return { to: 'failed', reason: e.goal === 'reset' ? 'reset_failed' : 'unlock_failed' };
    default:
      return null;
  }
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function base64url(b: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = b[i]! << 16;
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]!;
  }
  return out;
}
