/**
 * One campaign delivery worker for the F21/F22 tests and `npm run bench:campaigns`: the real engine (BullMQ worker,
 * DeliveryProcessor, Redis ledger and pacer, TeamsSender over a CloudAdapter without auth) against the local
 * connector. Settings come as JSON in argv[2]; it reports over IPC.
 */
import { ConnectorChannel, workerAuthentication } from '../../bot/worker/connectorChannel';
import { CampaignEngine } from '../../bot/worker/campaignEngine';
import { DeliveryProcessor, type DeliveryOutcome } from '../../bot/worker/delivery';
import { bullConnection } from '../../bot/worker/queues';
import { TeamsSender } from '../../bot/teamsSender';
import { RedisSendPacer } from '../../adapters/redis/redisSendPacer';
import { RedisDeadLetters, RedisDeliveryLedger } from '../../adapters/redis/redisCampaignStores';
import { RedisConversationRefStore } from '../../adapters/redis/redisConversationRefStore';
import { createRedis } from '../../bot/redisClient';
import { GraphDeliveryReadBack } from '../../adapters/campaigns/graphDeliveryReadBack';
import { HARNESS_BOT_APP_ID } from './harness';
import { Cluster, type Redis } from 'ioredis';

export interface WorkerChildSettings {
  readonly redisUrl: string;
  /** A Redis Cluster's nodes (npm run test:cluster); the stores and BullMQ then use ioredis Cluster. */
  readonly clusterNodes?: readonly { host: string; port: number }[];
  readonly queuePrefix: string;
  readonly keyPrefix: string;
  readonly tenantPerSecond: number;
  readonly concurrency: number;
  readonly globalPerSecond: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly postsInFlight: number;
  /** Graph (the local stand-in) for reading in-doubt messages back; absent = no read-back (each kind's fallback). */
  readonly readBack?: {
    readonly baseUrl: string;
    readonly authorityHost: string;
    readonly tenantId: string;
    readonly clientId: string;
    readonly clientSecret: string;
    readonly catalogAppId: string;
    /** How long after a POST left its message is surely readable. */
    readonly afterMs: number;
  };
  /** The BullMQ lock: a killed worker's jobs are taken over after about this long (default 15 s). */
  readonly leaseMs?: number;
}

export type WorkerChildMessage =
  | { type: 'ready' }
  | { type: 'stats'; outcomes: Record<string, number>; grants: Record<string, number[]>; cpuMicros: number }
  | { type: 'closed' };

async function main(): Promise<void> {
  const s = JSON.parse(process.argv[2] ?? '{}') as WorkerChildSettings;
  const redis = s.clusterNodes?.length
    ? (new Cluster([...s.clusterNodes], { redisOptions: { protocol: 2, maxRetriesPerRequest: 1, commandTimeout: 1000 } }) as unknown as Redis)
    : createRedis(s.redisUrl, { connectionName: 'campaign-worker', commandTimeoutMs: 1000 });
  redis.on('error', () => undefined);
  const connection = bullConnection({ url: s.redisUrl, ...(s.clusterNodes ? { clusterNodes: s.clusterNodes } : {}) }, 'campaign-bull');
  const adapter = new ConnectorChannel(workerAuthentication({}), '');
  // Every slot the shared pacer granted, per tenant (Redis ms): the F22 test compares them with the connector's count.
  const grants: Record<string, number[]> = {};
  const pacer = new RedisSendPacer(redis, {
    prefix: s.keyPrefix,
    tenantPerSecond: s.tenantPerSecond,
    onGrant: (key, at) => (grants[key.tenantId ?? '-'] ??= []).push(at),
  });
  const sender = new TeamsSender(adapter, '', { pacer, maxRetries: 6, baseDelayMs: 200 });
  const outcomes: Record<string, number> = {};
  const processor = new DeliveryProcessor({
    sender,
    refs: new RedisConversationRefStore(redis, s.keyPrefix),
    ledger: new RedisDeliveryLedger(redis, s.keyPrefix),
    deadLetters: new RedisDeadLetters(redis, s.keyPrefix),
    // The text lets the local connector count per message; the card is what a real campaign sends (and where the
    // idempotency key travels for the read-back).
    render: (m) => ({
      type: 'message',
      text: `campaign ${m.id} ${m.createdAt}`,
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: m.card.kind }] } }],
    }),
    clock: { now: () => Date.now() },
    securityChannel: async () => null,
    postsInFlight: s.postsInFlight,
    ...(s.leaseMs ? { leaseMs: s.leaseMs } : {}),
    ...(s.readBack
      ? {
          readBack: new GraphDeliveryReadBack({ ...s.readBack, botAppId: HARNESS_BOT_APP_ID, securityChannel: async () => null, clock: { now: () => Date.now() } }),
          readBackAfterMs: s.readBack.afterMs,
        }
      : {}),
  });
  const engine = new CampaignEngine({
    connection,
    prefix: s.queuePrefix,
    delivery: {
      processor,
      concurrency: s.concurrency,
      globalPerSecond: s.globalPerSecond,
      attempts: 10,
      backoffMs: 500,
      lockDurationMs: s.lockDurationMs,
      stalledIntervalMs: s.stalledIntervalMs,
      onOutcome: (_m, o: DeliveryOutcome) => {
        const k = o.kind === 'later' ? `later:${o.why}` : o.kind === 'skipped' ? `skipped:${o.why}` : o.kind === 'dead' ? `dead:${o.reason}` : o.kind;
        outcomes[k] = (outcomes[k] ?? 0) + 1;
        if (o.kind === 'sent' && o.readBack) outcomes[`sent:${o.readBack}`] = (outcomes[`sent:${o.readBack}`] ?? 0) + 1;
      },
    },
  });
  await engine.start();
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stats') {
      const cpu = process.cpuUsage();
      process.send?.({ type: 'stats', outcomes, grants, cpuMicros: cpu.user + cpu.system } satisfies WorkerChildMessage);
    }
  });
  process.on('SIGTERM', () => {
    engine.close(10_000).then(async () => {
      process.send?.({ type: 'closed' } satisfies WorkerChildMessage);
      await connection.quit().catch(() => undefined);
      await redis.quit().catch(() => undefined);
      process.exit(0);
    }, () => process.exit(1));
  });
  process.send?.({ type: 'ready' } satisfies WorkerChildMessage);
}

main().catch((e: unknown) => {
  process.stderr.write(`worker child failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
