import type { ChainableCommander, Cluster, Redis } from 'ioredis';

/**
 * A pipeline that also works on Redis Cluster (F20). ioredis refuses a Cluster pipeline whose keys are in different
 * slots ("All keys in the pipeline should belong to the same slots allocation group"), and a batch of independent
 * reads or writes (RedisStorage's turn state, a week of insights days, a page of campaign "told" marks) has keys of
 * many users or days by design: a pipeline is not atomic, so those keys need no common hash tag. On standalone Redis
 * this is the ordinary pipeline (one round trip); on a Cluster the queued commands are sent at once as single
 * commands (routed per slot, concurrently) and `exec` gives the same `[error, reply][]` shape. Scripts and MULTI that
 * must be atomic keep their keys under one hash tag instead.
 */
export function slotPipeline(redis: Redis | Cluster): ChainableCommander {
  if (!isCluster(redis)) return redis.pipeline();
  const queued: { name: string; args: unknown[] }[] = [];
  const proxy: ChainableCommander = new Proxy({} as ChainableCommander, {
    get(_target, prop) {
      if (prop === 'exec')
        return async (): Promise<[Error | null, unknown][]> =>
          (
            await Promise.allSettled(
              queued.map(({ name, args }) => (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!(...args)),
            )
          ).map((r) => (r.status === 'fulfilled' ? [null, r.value] : [r.reason instanceof Error ? r.reason : new Error(String(r.reason)), null]));
      if (prop === 'length') return queued.length;
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      return (...args: unknown[]) => {
        queued.push({ name: prop, args });
        return proxy;
      };
    },
  });
  return proxy;
}

/** True for an ioredis Cluster client. */
export function isCluster(redis: Redis | Cluster): redis is Cluster {
  return (redis as { isCluster?: unknown }).isCluster === true;
}
