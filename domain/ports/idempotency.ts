/** A stored answer to an idempotent request. */
export interface StoredAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** What `begin` found: a fresh slot (go ahead), the earlier answer, a different body, or the same request still running. */
export type IdempotencyBegin =
  | { readonly kind: 'new' }
  | { readonly kind: 'replay'; readonly answer: StoredAnswer }
  | { readonly kind: 'mismatch' }
  | { readonly kind: 'in_progress' };

/** `Idempotency-Key` bookkeeping, scoped per API key: same key + same body hash → the same answer. */
export interface IdempotencyStore {
  begin(scope: string, key: string, bodyHash: string): Promise<IdempotencyBegin>;
  finish(scope: string, key: string, bodyHash: string, answer: StoredAnswer): Promise<void>;
  /** Drop a pending slot (the request failed unexpectedly: the client may retry). */
  abandon(scope: string, key: string): Promise<void>;
}
