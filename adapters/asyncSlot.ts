import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Issue 15 (the tail): ONE AsyncLocalStorage for every per-turn value in the process. On Node 20 an enabled
 * AsyncLocalStorage runs, for every promise the process creates, a hook that copies that instance's store onto the
 * promise (one more property per instance, so a larger property array per promise): the cost grows with promises ×
 * instances, and the cheap turns create several hundred promises each. The turn's values used three instances — the
 * TurnScope (bot/state/turnScope.ts), the user-record memo (adapters/redis/userRecordMemo.ts) and the reader's time
 * zone (adapters/senders/readerZone.ts); they are now slots of this one.
 *
 * Each {@link AsyncSlot.run} enters a new frame linked to the enclosing one, so a slot keeps the value of its nearest
 * `run` (exactly as a separate AsyncLocalStorage per slot would) and entering one slot never hides another. A lookup
 * walks the frames; a turn nests three at most.
 */
interface Frame {
  readonly slot: object;
  readonly value: unknown;
  readonly parent: Frame | undefined;
}

const frames = new AsyncLocalStorage<Frame>();

/** One per-turn value, carried across awaits like an AsyncLocalStorage store. */
export class AsyncSlot<T> {
  /** Runs `fn` with this slot set to `value` (for `fn` and everything it starts). */
  run<R>(value: T, fn: () => R): R {
    return frames.run({ slot: this, value, parent: frames.getStore() }, fn);
  }

  /** The value of the nearest enclosing {@link run} of this slot, or undefined outside one. */
  get(): T | undefined {
    for (let f = frames.getStore(); f !== undefined; f = f.parent) if (f.slot === this) return f.value as T;
    return undefined;
  }
}
