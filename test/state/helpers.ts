import type { Redis } from 'ioredis';

/** Resolves once the client is connected (clients without an offline queue reject commands before that). */
export async function waitReady(redis: Redis, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (redis.status !== 'ready') {
    if (Date.now() > deadline) throw new Error(`redis client not ready (status ${redis.status})`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
