/**
 * E4 with an Entra (Graph) directory, which cannot say whether an account is locked (smart lockout is not exposed):
 * the SIEM webhook is the only source of lockouts, and "once per lock" must not be undone by the polling scan,
 * which sees every account as "not locked". Real GraphDirectory against the local Graph server, real Redis, BullMQ.
 */
import type Redis from 'ioredis';
import { startRedis, type RedisServer } from '../support/redisServer';
import { GraphStub } from '../support/graphStub';
import { FixedClock } from '../support/fixedClock';
import { loadConfig, type Config } from '../../bot/config';
import { createLogger } from '../../bot/logger';
import { createCampaigns, type Campaigns } from '../../bot/worker/createCampaigns';
import { ConnectorChannel, workerAuthentication } from '../../bot/worker/connectorChannel';
import { RedisConversationRefStore } from '../../adapters/redis/redisConversationRefStore';
import { GraphDirectory } from '../../adapters/directory/graphDirectory';
import { DEFAULT_CAMPAIGN_POLICY } from '../../domain/campaigns/campaignPolicy';

jest.setTimeout(60_000);

const VICTIM = '00000000-0000-4000-9000-0000000000e4';
const NOW = Date.UTC(2026, 11, 1, 10, 0, 0);

let redisServer: RedisServer;
let redis: Redis;
let stub: GraphStub;
let campaigns: Campaigns | null = null;

beforeAll(async () => {
  redisServer = await startRedis();
  redis = redisServer.client();
  if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r));
  stub = new GraphStub([{ id: VICTIM, displayName: 'Victim', userPrincipalName: 'victim@contoso.example', password: 'Initial-Pass-1!' }]);
  await stub.start();
});
afterAll(async () => {
  await campaigns?.close(2000);
  redis?.disconnect();
  await stub?.stop();
  await redisServer?.destroy();
});

test('E4 R39 attack: someone hammering an Entra account makes the SIEM report a lock every few minutes; the lockout poll (which cannot see Entra locks) no longer clears "told", so the user gets one card, not one per report', async () => {
  const clock = new FixedClock(NOW);
  const base: Config = loadConfig({ REDIS_URL: redisServer.url, LOG_LEVEL: 'silent', REDIS_KEY_PREFIX: 'entra:', CAMPAIGN_QUEUE_PREFIX: '{entra:jobs}' });
  const config: Config = { ...base, policy: { ...base.policy, campaigns: DEFAULT_CAMPAIGN_POLICY } };
  const directory = new GraphDirectory({ tenantId: stub.tenantId, clientId: stub.clientId, clientSecret: stub.clientSecret, baseUrl: stub.baseUrl, authorityHost: stub.authorityHost, timeoutMs: 5000 });
  campaigns = createCampaigns({
    config,
    redis,
    logger: createLogger('silent'),
    services: { clock, directory, security: { methods: { list: async () => [] }, hourly: { read: async (h: readonly number[]) => h.map(() => 0) } } as never },
    refs: new RedisConversationRefStore(redis, 'entra:'),
    channel: new ConnectorChannel(workerAuthentication({}), ''),
    securityChannel: async () => null,
    tenantId: stub.tenantId,
  });
  const victim = { tenantId: stub.tenantId, objectId: VICTIM };

  expect(await campaigns.reportLockout.report(victim, NOW - 30_000)).toEqual({ ok: true, queued: true });
  // The attacker keeps trying: Entra logs a lockout event (50053) again and again; the SIEM forwards each.
  for (let i = 1; i <= 5; i++) {
    clock.advance(2 * 60_000);
    const scan = await campaigns.scanNow('lockout');
    expect(scan.ok).toBe(true);
    expect(await campaigns.reportLockout.report(victim, clock.now() - 30_000)).toEqual({ ok: true, queued: false });
  }
});
