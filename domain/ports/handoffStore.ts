import type { Handoff } from '../helpdesk/handoff';
import type { UserRef } from '../model/user';

/**
 * Hand-offs and their single-use tokens (R21). Only a digest of a token is stored. Unexpected failures throw
 * SsprError('state_unavailable').
 */
export interface HandoffStore {
  /** Store a new hand-off, its token digest (valid `ttlMs`) and make it the target user's active hand-off. */
  create(handoff: Handoff, tokenDigest: string, ttlMs: number): Promise<void>;
  get(id: string): Promise<Handoff | null>;
  /** Replace the record (status changes, status card location). */
  put(handoff: Handoff): Promise<void>;
  /** The hand-off a token digest points to, without using it up. */
  peekToken(tokenDigest: string): Promise<string | null>;
  /** Use the token up atomically: true for exactly one caller, false when it was already used or is gone. */
  consumeToken(tokenDigest: string): Promise<boolean>;
  /** The user's current hand-off (the one the outcome observer reports on). */
  activeFor(user: UserRef): Promise<string | null>;
  clearActive(user: UserRef, id: string): Promise<void>;
}

/** One-way digest of a hand-off token (the adapter uses HMAC-SHA256 with a server key). */
export interface TokenDigest {
  digest(token: string): string;
}

/** Told about every status change of a hand-off (bot layer: agent's card; adapters: outcome webhook). */
export interface HandoffListener {
  changed(handoff: Handoff): Promise<void>;
}
