/**
 * E2 on real Redis: the security-channel alerts the helpdesk poster sends (shared bucket, privileged reset, "this
 * wasn't me") pass the campaigns' alert policy, dedupe and hourly cap (RaiseSecurityAlert.admit), the alert is
 * subscribed to the `shared_bucket_exceeded` domain event, and the R30 send-spike watch runs on the scan role's
 * schedule and posts its card to the security channel. HTTP app + connector stub; BullMQ for the watch.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { Queue } from 'bullmq';
import { startApp, type RunningApp } from '../support/appHarness';
import { AUDIT_ROUTE } from '../../bot/api/adminAudit';
import { ConnectorStub } from '../support/connectorStub';
import { startRedis, sleep, type RedisServer } from '../support/redisServer';
import { FixedClock } from '../support/fixedClock';
import { t } from '../../locales';
import { loadConfig, type Config } from '../../bot/config';
import { createLogger } from '../../bot/logger';
import { createCampaigns, type Campaigns } from '../../bot/worker/createCampaigns';
import { ConnectorChannel, workerAuthentication } from '../../bot/worker/connectorChannel';
import { SCAN_QUEUE, bullConnection } from '../../bot/worker/queues';
import { RedisConversationRefStore } from '../../adapters/redis/redisConversationRefStore';
import { RedisHourlyCounter } from '../../adapters/redis/redisHourlyCounter';
import { RedisKeys } from '../../adapters/redis/redisKeys';
import { DEFAULT_CAMPAIGN_POLICY } from '../../domain/campaigns/campaignPolicy';
import type { DomainEvent } from '../../domain/events';
import { pseudonymOf } from '../../adapters/audit/jsonAuditLog';

jest.setTimeout(120_000);

const TEAM = '19:it-team@thread.tacv2';
const SECURITY = '19:security@thread.tacv2';

let redisServer: RedisServer;
let redis: Redis;
let stub: ConnectorStub;
let capped: RunningApp;
let off: RunningApp;

const bucket = (prefix: string, correlationId: string): DomainEvent => ({ type: 'shared_bucket_exceeded', at: Date.now(), correlationId, bucket: 'phone_prefix', prefix, limit: 30 });
const postsTo = (conversation: string) =>
  stub.calls.filter((c) => c.method === 'POST' && c.path.startsWith(`/v3/conversations/${encodeURIComponent(conversation)}/activities`));

function policyFile(securityAlerts: object): string {
  const f = join(mkdtempSync(join(tmpdir(), 'e2-')), 'policy.json');
  writeFileSync(f, JSON.stringify({ campaigns: { securityAlerts } }));
  return f;
}

beforeAll(async () => {
  redisServer = await startRedis();
  redis = redisServer.client();
  stub = new ConnectorStub();
  await stub.start();
  const channel = { SECURITY_ALERT_TEAM_ID: TEAM, SECURITY_ALERT_CHANNEL_ID: SECURITY, TEAMS_SERVICE_URL: stub.url, REDIS_URL: redisServer.url };
  capped = await startApp({ ...channel, REDIS_KEY_PREFIX: 'cap:', POLICY_FILE: policyFile({ perKindPerHour: 2 }) });
  off = await startApp({ ...channel, REDIS_KEY_PREFIX: 'off:', POLICY_FILE: policyFile({ kinds: ['privileged_reset'] }) });
});
afterAll(async () => {
  await capped?.close();
  await off?.close();
  redis?.disconnect();
  await stub?.stop();
  await redisServer?.destroy();
});

test('E2 R33: shared_bucket_exceeded reaches the security channel once per prefix (dedupe), at most perKindPerHour an hour (cap 2 here)', async () => {
  stub.clear();
  const events = capped.app.services.events;
  events.publish(bucket('+3161', 'b-1'));
  await capped.app.helpdesk.bot.settled();
  events.publish(bucket('+3161', 'b-2')); // the same bucket again: already told
  await capped.app.helpdesk.bot.settled();
  expect(postsTo(SECURITY)).toHaveLength(1);
  expect(JSON.stringify(postsTo(SECURITY)[0]!.body)).toContain('+3161');
  events.publish(bucket('+3162', 'b-3')); // another bucket: news
  await capped.app.helpdesk.bot.settled();
  events.publish(bucket('+3163', 'b-4')); // a third within the hour: over the cap of 2, stays in the audit log
  await capped.app.helpdesk.bot.settled();
  const texts = postsTo(SECURITY).map((c) => JSON.stringify(c.body));
  expect(texts).toHaveLength(2);
  expect(texts[1]).toContain('+3162');
  expect(texts.some((x) => x.includes('+3163'))).toBe(false);
  expect(texts[0]).toContain(t('en', 'campaign.alert.title'));
});

test('E2: an alert kind switched off in policy (kinds without shared_bucket_exceeded) is not posted; one still on is', async () => {
  stub.clear();
  off.app.services.events.publish(bucket('+3164', 'o-1'));
  await off.app.helpdesk.bot.settled();
  expect(postsTo(SECURITY)).toHaveLength(0);
  off.app.services.events.publish({ type: 'privileged_reset', at: Date.now(), correlationId: 'o-2', user: { tenantId: 'tenant-x', objectId: 'oid-x' }, flowId: 'f-1' });
  await off.app.helpdesk.bot.settled();
  expect(postsTo(SECURITY)).toHaveLength(1);
});

describe('R30 send-spike watch, scheduled by the scan role', () => {
  const NOW = Date.UTC(2026, 11, 1, 9, 30, 0);
  const hour = Math.floor(NOW / 3600_000);
  let open: Campaigns | null = null;
  afterEach(async () => {
    await open?.close(2000);
    open = null;
  });

  async function worker(prefix: string): Promise<Campaigns> {
    const base: Config = loadConfig({ REDIS_URL: redisServer.url, LOG_LEVEL: 'silent', REDIS_KEY_PREFIX: prefix, CAMPAIGN_QUEUE_PREFIX: `{${prefix}jobs}` });
    const config: Config = { ...base, campaigns: { ...base.campaigns, roles: { delivery: true, scans: true } }, policy: { ...base.policy, campaigns: DEFAULT_CAMPAIGN_POLICY } };
    const refs = new RedisConversationRefStore(redis, prefix);
    const c = createCampaigns({
      config,
      redis,
      logger: createLogger('silent'),
      services: {
        clock: new FixedClock(NOW),
        // An empty directory: the scheduled scans find nobody; only the watch has something to say.
        directory: { scanUsers: async () => ({ users: [], cursor: null }) } as never,
        security: { methods: { list: async () => [] }, hourly: new RedisHourlyCounter(redis, new RedisKeys(prefix)) } as never,
      },
      refs,
      channel: new ConnectorChannel(workerAuthentication({}), ''),
      securityChannel: async () => ({ serviceUrl: stub.url, channelId: 'msteams', conversation: { id: SECURITY, conversationType: 'channel', isGroup: true, name: '' }, bot: { id: '28:bot', name: 'bot' } }),
      tenantId: 'tenant-x',
    });
    open = c;
    return c;
  }

  async function seed(prefix: string, thisHour: number, perPastHour: number): Promise<void> {
    const keys = new RedisKeys(prefix);
    for (let i = 1; i <= 168; i++) await redis.set(keys.telephonyHour(hour - i), String(perPastHour), 'EX', 86400 * 8);
    await redis.set(keys.telephonyHour(hour), String(thisHour), 'EX', 86400 * 8);
  }

  async function spikeCards(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = postsTo(SECURITY).filter((c) => JSON.stringify(c.body).includes(t('en', 'campaign.alert.send_spike'))).length;
      if (n > 0 || Date.now() > deadline) return n;
      await sleep(100);
    }
  }

  test('R30 E2: this hour above 3× the 7-day hourly baseline → one send_spike card in the security channel, from the job scheduler', async () => {
    stub.clear();
    await seed('spk:', 31, 10);
    const c = await worker('spk:');
    await c.start();
    // The scan role registered the watch with BullMQ's job scheduler (one job per interval across all workers).
    const q = new Queue(SCAN_QUEUE, { connection: bullConnection({ url: redisServer.url }, 'e2-test'), prefix: '{spk:jobs}' });
    try {
      const schedulers = await q.getJobSchedulers();
      expect(schedulers.map((s) => s.key)).toContain('watch-send-spikes');
      expect(schedulers.find((s) => s.key === 'watch-send-spikes')?.every).toBe(5 * 60_000);
    } finally {
      await q.close();
    }
    expect(await spikeCards(30_000)).toBe(1);
  });

  test('R30: at 3× the baseline exactly (not above) no card', async () => {
    stub.clear();
    await seed('calm:', 30, 10);
    const c = await worker('calm:');
    await c.start();
    expect(await c.sendSpikes.check('calm-1')).toMatchObject({ spike: false, count: 30, baseline: 10 });
    await sleep(3000);
    expect(await spikeCards(0)).toBe(0);
  });
});

test('E2 R39 attack: twenty "This wasn\'t me" reports of one user at once (parallel taps, two bot instances) reach the security channel once and use one slot of the hourly cap', async () => {
  stub.clear();
  const victim = { tenantId: 'tenant-x', objectId: 'oid-notme-race' };
  const notMe = (i: number): DomainEvent => ({ type: 'not_me_reported', at: Date.now(), correlationId: `nm-${i}`, user: victim, about: 'lockout' });
  // The taps land on whichever instance the connector picks; each publishes the event, the posters run side by side.
  const second = await startApp({ SECURITY_ALERT_TEAM_ID: TEAM, SECURITY_ALERT_CHANNEL_ID: SECURITY, TEAMS_SERVICE_URL: stub.url, REDIS_URL: redisServer.url, REDIS_KEY_PREFIX: 'race:', POLICY_FILE: policyFile({ perKindPerHour: 3 }) });
  const first = await startApp({ SECURITY_ALERT_TEAM_ID: TEAM, SECURITY_ALERT_CHANNEL_ID: SECURITY, TEAMS_SERVICE_URL: stub.url, REDIS_URL: redisServer.url, REDIS_KEY_PREFIX: 'race:', POLICY_FILE: policyFile({ perKindPerHour: 3 }) });
  try {
    for (let i = 0; i < 20; i++) (i % 2 ? first : second).app.services.events.publish(notMe(i));
    await Promise.all([first.app.helpdesk.bot.settled(), second.app.helpdesk.bot.settled()]);
    expect(postsTo(SECURITY)).toHaveLength(1);
    // E2: the channel sees the pseudonymous id the audit trail is searched by, never the directory object id.
    const text = JSON.stringify(postsTo(SECURITY)[0]!.body);
    expect(text).not.toContain(victim.objectId);
    expect(text).toContain(pseudonymOf(first.app.config.keys.auditPseudonym, victim));
    // The cap of 3 still has room for two other users' reports: the duplicates did not use it up.
    for (const [i, objectId] of ['oid-notme-a', 'oid-notme-b'].entries())
      first.app.services.events.publish({ type: 'not_me_reported', at: Date.now(), correlationId: `other-${i}`, user: { tenantId: 'tenant-x', objectId }, about: 'lockout' });
    await first.app.helpdesk.bot.settled();
    expect(postsTo(SECURITY)).toHaveLength(3);
  } finally {
    await first.close();
    await second.close();
  }
});

test('E2 issue 13: one alert format whoever posts it — the helpdesk poster (shared bucket) and the delivery queue (verification blocked) post the same card, in the configured SECURITY_ALERT_LOCALE (nl), with a link to the event\'s audit trail', async () => {
  stub.clear();
  const base = 'https://sspr.contoso.example';
  const nl = await startApp({
    SECURITY_ALERT_TEAM_ID: TEAM,
    SECURITY_ALERT_CHANNEL_ID: SECURITY,
    SECURITY_ALERT_LOCALE: 'nl',
    PUBLIC_BASE_URL: base,
    TEAMS_SERVICE_URL: stub.url,
    REDIS_URL: redisServer.url,
    REDIS_KEY_PREFIX: 'nl:',
    CAMPAIGN_QUEUE_PREFIX: '{nl:jobs}',
    CAMPAIGN_WORKER_ROLES: 'delivery',
  });
  try {
    const at = Date.now() - 5000;
    nl.app.services.events.publish({ ...bucket('+3169', 'nl-bucket-1'), at });
    await nl.app.helpdesk.bot.settled();
    const user = { tenantId: 'tenant-x', objectId: 'oid-blocked-nl' };
    nl.app.services.events.publish({ type: 'verification_blocked', at, correlationId: 'nl-block-1', user, until: at + 86400_000 });
    await nl.app.campaigns.start();
    for (let i = 0; i < 300 && postsTo(SECURITY).length < 2; i++) await sleep(100);
    const cards = postsTo(SECURITY).map((c) => (c.body.attachments as { content: { body: { text: string }[]; actions?: { type: string; title: string; url: string }[] } }[])[0]!.content);
    expect(cards).toHaveLength(2);
    for (const [card, ref, what] of [
      [cards.find((c) => JSON.stringify(c).includes('nl-bucket-1'))!, 'nl-bucket-1', 'campaign.alert.shared_bucket_exceeded'],
      [cards.find((c) => JSON.stringify(c).includes('nl-block-1'))!, 'nl-block-1', 'campaign.alert.verification_blocked'],
    ] as const) {
      // The same card from cards/securityAlertCard.ts: Dutch title and text, the audit reference, one link.
      expect(card.body[0]!.text).toBe(t('nl', 'campaign.alert.title'));
      expect(card.body[1]!.text).toBe(t('nl', what));
      expect(JSON.stringify(card)).toContain(t('nl', 'campaign.alert.audit', { ref }));
      expect(card.actions).toHaveLength(1);
      const link = card.actions![0]!;
      expect(link).toMatchObject({ type: 'Action.OpenUrl', title: t('nl', 'campaign.alert.openAudit') });
      const url = new URL(link.url);
      expect(`${url.origin}${url.pathname}`).toBe(`${base}${AUDIT_ROUTE}`);
      expect(url.searchParams.get('ref')).toBe(ref);
      expect(Date.parse(url.searchParams.get('from')!)).toBeLessThan(at);
      expect(Date.parse(url.searchParams.get('to')!)).toBeGreaterThan(at);
      expect(JSON.stringify(card)).not.toContain(t('en', 'campaign.alert.title'));
    }
    expect(JSON.stringify(cards)).toContain(pseudonymOf(nl.app.config.keys.auditPseudonym, user));
    expect(JSON.stringify(cards)).not.toContain(user.objectId);
  } finally {
    await nl.close();
  }
});
