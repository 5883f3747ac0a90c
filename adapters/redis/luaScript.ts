import { createHash } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';

/**
 * A Lua script run by EVALSHA with a transparent EVAL fallback when the server's script cache does not have it
 * (first use, restart, SCRIPT FLUSH, fail-over: F19). Unlike `defineCommand` it does not add methods to the shared
 * client. The normal path is one round trip; a cache miss costs one more.
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * Runs the script once; `keys` are KEYS[], `args` ARGV[]. `afterSend` is called synchronously right after each
   * send (EVALSHA, and EVAL on a cache miss), so a caller can queue a read behind the script in the same round trip
   * (the per-turn record memo re-reads what the script changed: issue 15).
   */
  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[], afterSend?: () => void): Promise<unknown> {
    try {
      const sent = redis.evalsha(this.sha, keys.length, ...keys, ...args);
      afterSend?.();
      return await sent;
    } catch (e) {
      if (!isNoScript(e)) throw e;
      const sent = redis.eval(this.source, keys.length, ...keys, ...args);
      afterSend?.();
      return sent;
    }
  }

  /** Queues the script on a pipeline (EVALSHA); callers retry with {@link queueEval} when a reply is NOSCRIPT. */
  queue(pipeline: ChainableCommander, keys: readonly string[], args: readonly (string | number)[]): void {
    pipeline.evalsha(this.sha, keys.length, ...keys, ...args);
  }

  /** Queues the script on a pipeline as a plain EVAL (loads it into the cache as a side effect). */
  queueEval(pipeline: ChainableCommander, keys: readonly string[], args: readonly (string | number)[]): void {
    pipeline.eval(this.source, keys.length, ...keys, ...args);
  }
}

/** True for the server's "script not in cache" error. */
export function isNoScript(e: unknown): boolean {
  return e instanceof Error && e.message.includes('NOSCRIPT');
}
