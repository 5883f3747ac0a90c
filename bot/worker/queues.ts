import { Cluster, Redis } from 'ioredis';

/** BullMQ's key prefix: one hash tag, so every key of a queue lands in one Cluster slot (else CROSSSLOT). */
export const DEFAULT_QUEUE_PREFIX = '{sspr-jobs}';
export const DELIVERY_QUEUE = 'campaign-delivery';
export const SCAN_QUEUE = 'campaign-scans';

/**
 * A connection for BullMQ. Workers block on Redis and must retry commands forever (`maxRetriesPerRequest: null`),
 * unlike the bot's fail-fast client (R22): a queue may wait for Redis, a password reset must not. RESP2 like the
 * rest of the code. `nodes` = a Redis Cluster (F20).
 */
export function bullConnection(target: { readonly url?: string; readonly clusterNodes?: readonly { host: string; port: number }[] }, name: string): Redis | Cluster {
  if (target.clusterNodes && target.clusterNodes.length > 0) {
    const c = new Cluster([...target.clusterNodes], {
      redisOptions: { protocol: 2, maxRetriesPerRequest: null, connectionName: name },
      enableReadyCheck: true,
    });
    c.on('error', () => undefined);
    return c;
  }
  const r = new Redis(target.url ?? 'redis://127.0.0.1:6379', { protocol: 2, maxRetriesPerRequest: null, connectionName: name });
  r.on('error', () => undefined);
  return r;
}
