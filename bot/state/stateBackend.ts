import type { Middleware, Storage } from 'botbuilder';
import type { Cluster, Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config';
import type { Clock } from '../../domain/ports/clock';
import type { ConversationRefStore } from '../../domain/ports/conversationRefs';
import type { ChannelBindings } from '../../domain/ports/channelBindings';
import type { FlowStore } from '../../domain/ports/flowStore';
import type { GrantStore } from '../../domain/ports/grantStore';
import type { VerificationBlock } from '../../domain/ports/verificationBlock';
import type { RecoveryCounter } from '../../domain/ports/recoveryCounter';
import type { InsightsStore } from '../../domain/ports/insightsStore';
import type { HandoffStore } from '../../domain/ports/handoffStore';
import type { ApiKeyStore } from '../../domain/helpdesk/apiKeys';
import type { AlertRateLimit } from '../../domain/campaigns/securityAlerts';
import type { CampaignLedger, CampaignPreferences, DeadLetters, DeliveryLedger, ScanCursorStore, SendPacer, SentCards } from '../../domain/campaigns/ports';
import {
  createMemorySecurityAdapters,
  createRedisSecurityAdapters,
  type SecurityAdapterDeps,
  type SecurityAdapters,
} from '../../adapters/securityInfoAdapters';
import { DEFAULT_MEMORY_CAP } from '../../adapters/memory/boundedMap';
import { MemoryFlowStore } from '../../adapters/memory/memoryFlowStore';
import { MemoryGrantStore } from '../../adapters/memory/memoryGrantStore';
import { MemoryVerificationBlock } from '../../adapters/memory/memoryVerificationBlock';
import { MemoryRecoveryCounter } from '../../adapters/memory/memoryRecoveryCounter';
import { MemoryConversationRefStore } from '../../adapters/memory/memoryConversationRefStore';
import { MemoryChannelBindings } from '../../adapters/memory/memoryChannelBindings';
import { MemoryInsightsStore } from '../../adapters/memory/memoryInsightsStore';
import { MemoryHandoffStore } from '../../adapters/memory/memoryHandoffStore';
import {
  MemoryCampaignLedger,
  MemoryCampaignPreferences,
  MemoryDeadLetters,
  MemorySentCards,
  MemoryDeliveryLedger,
  MemoryScanCursorStore,
} from '../../adapters/memory/memoryCampaignStores';
import { RedisFlowStore } from '../../adapters/redis/redisFlowStore';
import { RedisGrantStore } from '../../adapters/redis/redisGrantStore';
import { RedisVerificationBlock } from '../../adapters/redis/redisVerificationBlock';
import { RedisRecoveryCounter } from '../../adapters/redis/redisRecoveryCounter';
import { RedisConversationRefStore } from '../../adapters/redis/redisConversationRefStore';
import { RedisChannelBindings } from '../../adapters/redis/redisChannelBindings';
import { RedisInsightsStore } from '../../adapters/redis/redisInsightsStore';
import { WriteRider } from '../../adapters/redis/writeRider';
import { RedisHandoffStore } from '../../adapters/redis/redisHandoffStore';
import {
  RedisCampaignLedger,
  RedisCampaignPreferences,
  RedisDeadLetters,
  RedisSentCards,
  RedisDeliveryLedger,
  RedisScanCursorStore,
} from '../../adapters/redis/redisCampaignStores';
import { RedisSendPacer } from '../../adapters/redis/redisSendPacer';
import { RedisKeys } from '../../adapters/redis/redisKeys';
import { UserRecordMemo } from '../../adapters/redis/userRecordMemo';
import { FileApiKeyStore, RedisApiKeyStore } from '../../adapters/helpdesk/apiKeyStores';
import { MemoryIdempotencyStore, RedisIdempotencyStore, type IdempotencyStore } from '../../adapters/helpdesk/idempotencyStore';
import { RlfAlertRateLimit } from '../../adapters/campaignAlertLimit';
import { MemoryEnrolmentTickets, RedisEnrolmentTickets, type EnrolmentTickets } from '../../adapters/enrolmentTickets';
import { createRedis, isRedisReady } from '../redisClient';
import { RedisStorage } from '../redisStorage';
import { TurnGuard, TurnScope } from '../turnGuard';
import { activityFlowId, activityUser } from '../identity';
import { BoundedMemoryStorage } from './boundedMemoryStorage';

/** The part of Config the state backend reads. */
export type StateConfig = Pick<Config, 'redis' | 'policy' | 'campaigns' | 'helpdesk' | 'keys' | 'senders'>;

export interface StateBackendOptions {
  /** The clock of the memory stores (and of the Redis stores when `clockDecidesExpiry`). */
  readonly clock: Clock;
  /**
   * A test injected its own clock: Redis stores then decide expiry by it too (R16 tests). Otherwise Redis stores use
   * Redis TIME, so a skewed instance cannot stretch a grant (F17).
   */
  readonly clockDecidesExpiry?: boolean;
  /** Told about failures that cannot fail a turn any more (lock release/refresh). */
  readonly onBackgroundError?: (error: unknown) => void;
  /** Name of the client created from config.redis.url when none is given (default `sspr-bot`). */
  readonly connectionName?: string;
  /** Entry cap of the memory Storage and reference store (default {@link DEFAULT_MEMORY_CAP}; the other memory stores use it too). */
  readonly memoryCap?: number;
}

/** The campaign part (shared with the campaign worker, whose client may be a Cluster). */
export interface CampaignState {
  readonly preferences: CampaignPreferences;
  readonly ledger: CampaignLedger;
  readonly deliveryLedger: DeliveryLedger;
  readonly cursors: ScanCursorStore;
  readonly deadLetters: DeadLetters;
  readonly sentCards: SentCards;
  readonly alertLimit: AlertRateLimit;
  /** Shared pacing of proactive sends (every instance and worker); undefined = this process only. */
  readonly pacer: SendPacer | undefined;
}

/**
 * Architecture rule 17: the one place that chooses Redis or memory. It returns every store, limiter, the turn guard
 * and the botbuilder Storage; every other file takes what it needs from here and never asks `redis ? … : …`.
 * Without Redis (development and tests) every per-conversation and per-flow store is capped, so a flood of
 * conversations cannot grow the process without limit.
 */
export interface StateBackend {
  readonly kind: 'redis' | 'memory';
  /** The client, for what is not a store: readiness, the durability check, BullMQ's connection, shutdown. */
  readonly redis: Redis | null;
  /** The backend created `redis` from config.redis.url (so its owner closes it); false when a client was given. */
  readonly ownsClient: boolean;
  readonly storage: Storage;
  /** First middleware (R24, R25): dedupe + per-conversation lock + state prefetch; null without Redis. */
  readonly turnGuard: Middleware | null;
  readonly refs: ConversationRefStore;
  readonly bindings: ChannelBindings;
  readonly recovery: { readonly flows: FlowStore; readonly grants: GrantStore; readonly block: VerificationBlock; readonly counter: RecoveryCounter };
  readonly insights: InsightsStore;
  readonly handoffs: HandoffStore;
  readonly idempotency: IdempotencyStore;
  readonly apiKeys: ApiKeyStore;
  readonly enrolments: EnrolmentTickets;
  readonly campaigns: CampaignState;
  /** The security-info stores and services (they need the audit log, built later by the services). */
  security(deps: SecurityAdapterDeps): SecurityAdapters;
  /** A rate limiter: shared by every instance on Redis (`<prefix>rl:<name>`), this process only in memory. */
  limiter(name: string, points: number, durationSeconds: number): RateLimiterAbstract;
  /** Readiness (/readyz): Redis answers a write under the prefix; memory is always ready. */
  ready(): Promise<boolean>;
  /**
   * Issue 15: runs `fn` with a per-request memo of users' security info (one read of methods, step-up, hold and
   * flags per user; re-read behind each write). Bot turns get it from the TurnGuard; an API route wraps its handler.
   * Memory: runs `fn` as it is.
   */
  withUserReads<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * Build the state backend of one process. `given`: a client to use (tests, the worker), `null` for memory, or
 * `undefined` to follow config: Redis at config.redis.url when set (a fail-fast client), else bounded memory.
 */
export function createStateBackend(config: StateConfig, given: Redis | null | undefined, options: StateBackendOptions): StateBackend {
  const url = config.redis.url;
  const redis = given !== undefined ? given : url ? createRedis(url, { connectionName: options.connectionName ?? 'sspr-bot', cluster: config.redis.cluster }) : null;
  const ownsClient = given === undefined && redis !== null;
  return redis ? { ...redisBackend(config, redis, options), ownsClient } : memoryBackend(config, options);
}

/** The campaign stores alone (the campaign worker; its client may be a Redis Cluster). */
export function createCampaignState(config: StateConfig, redis: Redis | Cluster | null, clock: Clock, rider?: WriteRider): CampaignState {
  const prefix = config.redis.prefix;
  const perHour = config.policy.campaigns.securityAlerts.perKindPerHour;
  if (redis)
    return {
      preferences: new RedisCampaignPreferences(redis, prefix),
      ledger: new RedisCampaignLedger(redis, prefix),
      deliveryLedger: new RedisDeliveryLedger(redis, prefix),
      cursors: new RedisScanCursorStore(redis, prefix),
      deadLetters: new RedisDeadLetters(redis, prefix),
      sentCards: new RedisSentCards(redis, prefix),
      alertLimit: new RlfAlertRateLimit(new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}rl:{campaign-alerts}`, points: perHour, duration: 3600 })),
      pacer: new RedisSendPacer(redis, { prefix, tenantPerSecond: config.campaigns.tenantPerSecond, ...(rider ? { rider } : {}) }),
    };
  return {
    preferences: new MemoryCampaignPreferences(),
    ledger: new MemoryCampaignLedger(clock),
    deliveryLedger: new MemoryDeliveryLedger(clock),
    cursors: new MemoryScanCursorStore(),
    deadLetters: new MemoryDeadLetters(),
    sentCards: new MemorySentCards(clock),
    alertLimit: new RlfAlertRateLimit(new RateLimiterMemory({ keyPrefix: `${prefix}rl:{campaign-alerts}`, points: perHour, duration: 3600 })),
    pacer: undefined,
  };
}

function recoverySettings(config: StateConfig): {
  times: { lifetimeMs: number; maxFlowMs: number };
  block: { threshold: number; windowMs: number; blockMs: number };
} {
  const p = config.policy;
  return {
    times: { lifetimeMs: p.grant.lifetimeSeconds * 1000, maxFlowMs: p.grant.maxFlowSeconds * 1000 },
    block: { threshold: p.throttles.failedVerificationsBeforeBlock, windowMs: 24 * 3600_000, blockMs: p.throttles.blockHours * 3600_000 },
  };
}

function redisBackend(config: StateConfig, redis: Redis, options: StateBackendOptions): Omit<StateBackend, 'ownsClient'> {
  const prefix = config.redis.prefix;
  const s = recoverySettings(config);
  const o = { prefix, ...(options.clockDecidesExpiry ? { clock: options.clock } : {}) };
  // The guard and the storage share a TurnScope: the lock's fencing token guards state writes (R25), and the
  // conversation state is read in the same round trip as the lock.
  const scope = new TurnScope();
  // Issue 15: one read of a user's security info per turn, shared by the method and step-up stores.
  const memo = new UserRecordMemo(redis, new RedisKeys(prefix));
  // Issue 15: the insights counters ride in the socket write of a turn's state write or lock release. Inside the
  // memo's scope (a turn: the TurnGuard flushes at its release; a pages request: flushed when it ends) a writer waits
  // for that flush, however long the turn takes; elsewhere 20 ms.
  const rider = new WriteRider(20, { inScope: () => memo.active() });
  const storage = new RedisStorage(redis, { prefix: `${prefix}state:`, ttlSeconds: config.redis.stateTtlSeconds, scope, rider });
  const turnGuard = new TurnGuard(redis, {
    keyPrefix: prefix,
    scope,
    memo,
    rider,
    prefetch: { storage, keys: (a) => [`${a.channelId ?? ''}/conversations/${a.conversation?.id ?? ''}/`], user: activityUser, flow: activityFlowId },
    ...(options.onBackgroundError ? { onBackgroundError: options.onBackgroundError } : {}),
  });
  return {
    kind: 'redis',
    redis,
    storage,
    turnGuard,
    refs: new RedisConversationRefStore(redis, prefix, undefined, memo),
    bindings: new RedisChannelBindings(redis, prefix),
    recovery: {
      // Issue 15: serves the flow a card names, read ahead with the lock, once per turn.
      flows: new RedisFlowStore(redis, o, memo),
      grants: new RedisGrantStore(redis, o, s.times),
      block: new RedisVerificationBlock(redis, o, s.block, memo),
      counter: new RedisRecoveryCounter(redis, o),
    },
    insights: new RedisInsightsStore(redis, prefix, { rider }),
    handoffs: new RedisHandoffStore(redis, prefix),
    idempotency: new RedisIdempotencyStore(redis, prefix),
    apiKeys: new RedisApiKeyStore(redis, prefix),
    enrolments: new RedisEnrolmentTickets(redis, prefix, undefined, rider),
    // The bot's proactive sends (the R18 notice of a turn) take their pacer slot in the turn's last write (issue 15).
    campaigns: createCampaignState(config, redis, options.clock, rider),
    security: (deps) => createRedisSecurityAdapters(redis, config, deps, memo, o.clock ? { expiryClock: o.clock } : {}),
    limiter: (name, points, duration) => new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}rl:${name}`, points, duration }),
    // The probe key carries REDIS_KEY_PREFIX: an ACL limited to the prefix (~prefix*) must not make the probe fail.
    ready: () => isRedisReady(redis, { key: `${prefix}ready-probe` }),
    // The request's waiting background writes (insights, an R18 pacer slot) leave when it ends, together.
    withUserReads: async (fn) => {
      try {
        return await memo.run(fn);
      } finally {
        rider.flush();
      }
    },
  };
}

function memoryBackend(config: StateConfig, options: StateBackendOptions): StateBackend {
  const { clock } = options;
  const cap = options.memoryCap ?? DEFAULT_MEMORY_CAP;
  const s = recoverySettings(config);
  const now = (): number => clock.now();
  const flows = new MemoryFlowStore(clock);
  // C6: the grant store reserves reset/unlock slots in this counter when it claims a grant.
  const counter = new MemoryRecoveryCounter(clock);
  // The TOTP acceptance issues a verified flow's grant in the same step as it records the used time step.
  const grants = new MemoryGrantStore(clock, s.times, counter);
  return {
    kind: 'memory',
    redis: null,
    ownsClient: false,
    storage: new BoundedMemoryStorage({ maxItems: cap, ttlSeconds: config.redis.stateTtlSeconds, now }),
    turnGuard: null,
    refs: new MemoryConversationRefStore(cap),
    bindings: new MemoryChannelBindings(),
    recovery: {
      flows,
      grants,
      block: new MemoryVerificationBlock(clock, s.block),
      counter,
    },
    insights: new MemoryInsightsStore(clock),
    handoffs: new MemoryHandoffStore(clock),
    idempotency: new MemoryIdempotencyStore(now),
    apiKeys: new FileApiKeyStore(config.helpdesk.apiKeysFile),
    enrolments: new MemoryEnrolmentTickets(now, undefined, cap),
    campaigns: createCampaignState(config, null, clock),
    // F16: the code store advances this flow store in the same step as it consumes a code.
    security: (deps) => createMemorySecurityAdapters(config, deps, { flows, grants }),
    limiter: (name, points, duration) => new RateLimiterMemory({ keyPrefix: name, points, duration }),
    ready: async () => true,
    withUserReads: (fn) => fn(),
  };
}
