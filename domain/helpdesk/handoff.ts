import type { UserRef } from '../model/user';

/** What the agent asked the user to do. `verify` = caller verification (the agent learns pass/fail only). */
export const HANDOFF_PURPOSES = ['reset', 'unlock', 'register', 'verify'] as const;
export type HandoffPurpose = (typeof HANDOFF_PURPOSES)[number];

/**
 * The life of a hand-off as the agent sees it. `created` = being delivered (e.g. waiting for a Graph install);
 * `done`, `failed`, `expired` and `declined` are terminal.
 */
export type HandoffStatus = 'created' | 'sent' | 'started' | 'verified' | 'done' | 'failed' | 'expired' | 'declined';

export const TERMINAL_STATUSES: ReadonlySet<HandoffStatus> = new Set(['done', 'failed', 'expired', 'declined']);

/** Who asked: a helpdesk agent in Teams or an ITSM system through an API key. */
export type HandoffAgent =
  | { readonly kind: 'teams'; readonly user: UserRef; readonly name: string }
  | {
      readonly kind: 'api';
      /** The API key the ticketing system used. */
      readonly keyId: string;
      /** The agent on whose behalf the system asked (resolved from their UPN; checked against the helpdesk group). */
      readonly user: UserRef;
      readonly name: string;
    };

/**
 * A hand-off as stored. Holds no token (only its digest, in the store's index), no code, password or destination:
 * the agent's view is built from this record alone.
 */
export interface Handoff {
  readonly id: string;
  readonly purpose: HandoffPurpose;
  readonly target: UserRef;
  readonly targetName: string;
  readonly agent: HandoffAgent;
  readonly ticket?: string;
  readonly status: HandoffStatus;
  /** Why it failed / a delivery note (`install_denied`, `bot_blocked`, `blocked`…); a stable code, never user text. */
  readonly reason?: string;
  /** Method kinds the user proved (never ids or destinations). */
  readonly methodKinds: readonly string[];
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly updatedAt: number;
  readonly history: readonly { readonly status: HandoffStatus; readonly at: number; readonly reason?: string }[];
  /** Where the agent's status card lives (bot layer, opaque to the domain). */
  readonly statusCard?: Readonly<Record<string, unknown>>;
}

const NEXT: Readonly<Record<HandoffStatus, readonly HandoffStatus[]>> = {
  created: ['sent', 'failed', 'expired'],
  sent: ['started', 'declined', 'expired', 'failed'],
  started: ['verified', 'done', 'failed', 'expired'],
  verified: ['done', 'failed', 'expired'],
  done: [],
  failed: [],
  expired: [],
  declined: [],
};

/** The transition table: may a hand-off in `from` move to `to`? */
export function canTransition(from: HandoffStatus, to: HandoffStatus): boolean {
  return NEXT[from].includes(to);
}

/** Apply a status change (returns null when the table forbids it). */
export function withStatus(h: Handoff, to: HandoffStatus, at: number, reason?: string, methodKind?: string): Handoff | null {
  if (!canTransition(h.status, to)) return null;
  const kinds = methodKind && !h.methodKinds.includes(methodKind) ? [...h.methodKinds, methodKind] : h.methodKinds;
  const entry = reason === undefined ? { status: to, at } : { status: to, at, reason };
  const base = { ...h, status: to, updatedAt: at, methodKinds: kinds, history: [...h.history, entry] };
  if (reason === undefined) {
    const { reason: _drop, ...rest } = base;
    return rest;
  }
  return { ...base, reason };
}

/** A hand-off whose token has not been used by `expiresAt` is expired (R21: 15 minutes). */
export function isOverdue(h: Handoff, now: number): boolean {
  return (h.status === 'created' || h.status === 'sent') && now >= h.expiresAt;
}

/** Ticket references are free text from an agent or a ticketing system: kept short and to a safe alphabet. */
export function cleanTicket(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const t = raw.trim();
  return /^[A-Za-z0-9#._\-/]{1,40}$/.test(t) ? t : undefined;
}
