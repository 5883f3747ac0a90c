import { AsyncSlot } from '../../adapters/asyncSlot';

/** The lock a turn holds, as exposed on `context.turnState` under {@link TURN_LEASE_KEY}. */
export interface TurnLease {
  readonly conversationId: string;
  /** Redis key of the lock. */
  readonly lockKey: string;
  /** Monotonically increasing per conversation (INCR); a later holder always has a larger token. */
  readonly token: number;
  /**
   * Issue 15: the turn's next state write is its last use of the lock — RedisStorage then releases the lock right
   * behind that write, in the same round trip (the write is sent first, so no later holder can read the state
   * before it). Without a write the lock is released as usual when the turn ends.
   */
  readonly releaseWithLastWrite?: () => void;
}

/** turnState key under which {@link TurnGuard} puts the {@link TurnLease} of the running turn. */
export const TURN_LEASE_KEY = Symbol('sspr.turnLease');

/** What a running turn shares with {@link RedisStorage} without passing the turn context through botbuilder. */
export interface TurnScopeData {
  readonly lease: TurnLease;
  /** Storage keys that belong to the locked conversation: writes to them carry the fencing token. */
  readonly isFenced: (storageKey: string) => boolean;
  /** Raw values read in the same round trip as the lock (storage key → raw value or null); consumed once. */
  readonly prefetched: Map<string, string | null>;
  /** The storage whose keys were prefetched; other storages sharing the scope ignore {@link prefetched}. */
  readonly prefetchedBy: object | undefined;
  /** Armed by {@link TurnLease.releaseWithLastWrite}: the storage calls it right after queuing a fenced write. */
  readonly lastWrite?: { armed: boolean; readonly release: () => void };
}

/**
 * The per-turn context shared by one {@link TurnGuard} and one {@link RedisStorage} (inject the same instance into
 * both). Backed by an {@link AsyncSlot} (the process's one AsyncLocalStorage), so concurrent turns in one process
 * never see each other's lease.
 */
export class TurnScope {
  private readonly slot = new AsyncSlot<TurnScopeData>();

  run<T>(data: TurnScopeData, fn: () => Promise<T>): Promise<T> {
    return this.slot.run(data, fn);
  }

  current(): TurnScopeData | undefined {
    return this.slot.get();
  }
}
