import Redis from 'ioredis';
import { DEFAULT_POLICY, type Policy } from '../../domain/policy/policy';
import type { SecurityAdaptersConfig } from '../../adapters/securityInfoAdapters';
import { CLUSTER_MODE, clusterClient, startRedis, type RedisServer } from '../support/redisServer';

export const KEY_A = { id: 'k1', key: Buffer.alloc(32, 1) };
export const KEY_B = { id: 'k2', key: Buffer.alloc(32, 2) };

export function testConfig(policy: Policy = DEFAULT_POLICY, prefix = 'sspr:'): SecurityAdaptersConfig {
  return {
    redis: { prefix },
    keys: { codeHmac: [KEY_A], fieldEncryption: [KEY_A] },
    senders: { kind: 'outbox', smtpUrl: undefined, mailFrom: 'x@localhost', sms: { baseUrl: undefined, accountSid: undefined, authToken: undefined, from: undefined } },
    policy,
  };
}

/**
 * Redis's clock cannot be injected, so tests move "Redis time" forward by shortening every key's remaining TTL by
 * `ms` (deleting keys whose TTL runs out). Code expiry and rate-limiter windows are both TTL-driven, so this is the
 * same as the server's clock advancing.
 */
export async function advanceRedisTime(redis: Redis, ms: number): Promise<void> {
  const keys = await allKeys(redis);
  for (const k of keys) {
    const ttl = await redis.pttl(k);
    if (ttl < 0) continue;
    if (ttl - ms <= 0) await redis.del(k);
    else await redis.pexpire(k, ttl - ms);
  }
}

/** Every key; on a Redis Cluster (npm run test:cluster) KEYS answers for one node, so every primary is asked. */
export async function allKeys(redis: Redis): Promise<string[]> {
  const nodes = (redis as unknown as { nodes?: (role: 'master') => Redis[] }).nodes;
  return typeof nodes === 'function' ? (await Promise.all(nodes.call(redis, 'master').map((n) => n.keys('*')))).flat() : redis.keys('*');
}

export const user = (oid = 'oid-1', tenantId = 'tenant-1') => ({ tenantId, objectId: oid });

/** A connected ioredis client for a private test server (offline queue on, so the first command waits for connect). */
export async function connect(port: number): Promise<Redis> {
  const c = CLUSTER_MODE ? clusterClient(port) : new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  await c.ping();
  return c;
}

/**
 * A private Redis server and a connected client for the file's tests: started before them, the client disconnected
 * and the server removed after them. Call it once at the top of a file; `client` is usable in tests and hooks.
 */
export function privateRedis(): { readonly client: Redis } {
  let server: RedisServer | undefined;
  let client: Redis | undefined;
  beforeAll(async () => {
    server = await startRedis();
    client = await connect(server.port);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.destroy();
  });
  return {
    get client() {
      if (!client) throw new Error('privateRedis: the client connects in beforeAll');
      return client;
    },
  };
}
