/**
 * Issue 13 acceptance 1, on real Redis: who each campaign chooses (users × policy), the cards in en and nl, quiet
 * hours in the user's time zone, snooze / opt-out, F23 (a scan interrupted by a directory outage resumes from its
 * cursor: nobody reminded twice, nobody skipped) and two workers scanning and delivering at once (one message each).
 * Delivery goes through the real BullMQ engine to a local Bot Connector stand-in.
 */
import type Redis from 'ioredis';
import { startRedis, sleep, type RedisServer } from '../support/redisServer';
import { ConnectorStub } from '../support/connectorStub';
import { FixedClock } from '../support/fixedClock';
import { loadConfig, parsePolicy, type Config } from '../../bot/config';
import { createLogger } from '../../bot/logger';
import { createCampaigns, type Campaigns } from '../../bot/worker/createCampaigns';
import { ConnectorChannel, workerAuthentication } from '../../bot/worker/connectorChannel';
import { RedisConversationRefStore } from '../../adapters/redis/redisConversationRefStore';
import { buildCampaignCard } from '../../cards/campaigns/campaignCard';
import { translator } from '../../locales';
import { DEFAULT_CAMPAIGN_POLICY, type CampaignPolicy } from '../../domain/campaigns/campaignPolicy';
import { notBeforeOutsideQuietHours } from '../../domain/campaigns/quietHours';
import { ExpiryReminderScanner } from '../../domain/campaigns/expiryReminders';
import { RunDirectoryScan } from '../../domain/campaigns/runScan';
import type { DirectoryUser } from '../../domain/ports/directory';
import type { CampaignCard } from '../../domain/campaigns/model';

jest.setTimeout(120_000);

const TENANT = '00000000-0000-0000-0000-0000000000aa';
const DAY = 86400_000;
// 10:00 in Amsterdam (outside the default quiet hours 20–08).
const NOW = Date.UTC(2026, 11, 1, 9, 0, 0);
const oid = (n: number): string => `bbbbbbbb-0000-4000-8000-${String(n).padStart(12, '0')}`;
// Groups by object id, as directory adapters report them (R32).
const ALL_STAFF = '0a7c1e52-3f4b-4d6a-9e8f-1b2c3d4e5f60';
const CONTRACTORS = '5d1e0c3b-2a49-4f7e-8b6d-9c0a1b2c3d4e';
const PILOT = '7e2f4a10-6b3c-4d5e-9f80-a1b2c3d4e5f6';
/** A group someone created with the display name "Pilot" (another object id). */
const FAKE_PILOT = 'c4d5e6f7-0819-4a2b-8c3d-4e5f60718293';

/** A directory of numbered users: expiry and lockout per user; page `failOnce` throws once (F23). */
class ScanDirectoryFake {
  readonly scans: (string | null)[] = [];
  failOnce: number | null = null;
  constructor(
    readonly users: DirectoryUser[],
    readonly expiry: Map<string, number | null>,
    readonly lock: Map<string, number | null> = new Map(),
  ) {}
  async scanUsers(cursor: string | null, pageSize: number) {
    this.scans.push(cursor);
    const start = cursor ? Number(cursor) : 0;
    const page = start / pageSize;
    if (this.failOnce === page) {
      this.failOnce = null;
      throw Object.assign(new Error('directory unreachable'), { code: 'directory_unavailable' });
    }
    const users = this.users.slice(start, start + pageSize);
    return { users, cursor: start + pageSize >= this.users.length ? null : String(start + pageSize) };
  }
  async findUser(u: { objectId: string }) {
    return this.users.find((x) => x.objectId === u.objectId) ?? null;
  }
  async readPasswordExpiry(u: DirectoryUser) {
    return this.expiry.get(u.objectId) ?? null;
  }
  capabilities() {
    return { canUnlock: true, ref: 'card-1' };
  }
  async readLockout(u: DirectoryUser) {
    const at = this.lock.get(u.objectId);
    return at === undefined ? { locked: false, lockedAt: null } : { locked: true, lockedAt: at };
  }
}

const user = (n: number, o: Partial<DirectoryUser> = {}): DirectoryUser => ({
  directoryId: `cn=u${n}`,
  objectId: oid(n),
  userPrincipalName: `u${n}@contoso.example`,
  displayName: `User ${n}`,
  enabled: true,
  locked: null,
  privileged: false,
  groups: [ALL_STAFF],
  passwordChangedAt: null,
  ...o,
});

let server: RedisServer;
let redis: Redis;
let stub: ConnectorStub;
let base: Config;
const open: Campaigns[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  while (redis.status !== 'ready') await sleep(20);
  stub = new ConnectorStub();
  await stub.start();
  base = loadConfig({ REDIS_URL: server.url, LOG_LEVEL: 'silent', CAMPAIGN_TENANT_ID: TENANT });
});
afterEach(async () => {
  for (const c of open.splice(0)) await c.close(2000);
});
afterAll(async () => {
  redis.disconnect();
  await stub.stop();
  await server.destroy();
});
beforeEach(async () => {
  await redis.flushall();
  stub.clear();
});

function worker(
  directory: ScanDirectoryFake,
  policy: Partial<CampaignPolicy> = {},
  methods = new Map<string, number[]>(),
  clock = new FixedClock(NOW),
  scope: Config['policy']['scope'] = base.policy.scope,
): Campaigns {
  // Delivery only: the scans run by scanNow, so each test decides when.
  const config: Config = {
    ...base,
    campaigns: { ...base.campaigns, roles: { delivery: true, scans: false } },
    policy: { ...base.policy, scope, campaigns: { ...DEFAULT_CAMPAIGN_POLICY, ...policy } },
  };
  const c = createCampaigns({
    config,
    redis,
    logger: createLogger('silent'),
    services: {
      clock,
      directory: directory as never,
      security: { methods: { list: async (u: { objectId: string }) => (methods.get(u.objectId) ?? []).map((at, i) => ({ id: `m${i}`, kind: 'email', confirmedAt: at })) } } as never,
    },
    refs: new RedisConversationRefStore(redis, config.redis.prefix),
    channel: new ConnectorChannel(workerAuthentication({}), ''),
    securityChannel: async () => null,
    tenantId: TENANT,
  });
  open.push(c);
  return c;
}

async function seedRefs(ns: readonly number[], timeZone?: string): Promise<void> {
  const refs = new RedisConversationRefStore(redis, base.redis.prefix);
  for (const n of ns)
    await refs.save(
      { tenantId: TENANT, objectId: oid(n) },
      {
        serviceUrl: stub.url,
        channelId: 'msteams',
        locale: n % 2 ? 'en-US' : 'nl-NL',
        conversation: { id: `a:conv-${n}`, conversationType: 'personal', tenantId: TENANT },
        bot: { id: '28:bot', name: 'bot' },
        user: { id: `29:${n}`, name: `u${n}` },
        ...(timeZone ? { localTimezone: timeZone } : {}),
      },
    );
}

const delivered = (): Map<string, number> => {
  const m = new Map<string, number>();
  for (const a of stub.activities) {
    const conv = String(a?.conversation?.id ?? '');
    m.set(conv, (m.get(conv) ?? 0) + 1);
  }
  return m;
};
async function until(check: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !check(); await sleep(50)) if (Date.now() > end) throw new Error('timed out');
}
const cardText = (a: any): string => JSON.stringify(a?.attachments?.[0]?.content ?? {});

describe('E3 expiry reminders', () => {
  test.each([
    ['20 days left: not yet', 20.5, null],
    ['14 days left: T-14', 13.5, 14],
    ['10 days left: still the T-14 step', 9.5, 14],
    ['5 days left: T-7', 4.5, 7],
    ['2 days left: T-3', 1.5, 3],
    ['hours left: T-1', 0.2, 1],
    ['expired: nothing', -1, null],
  ])('who is chosen: %s', (_name, daysLeft, step) => {
    const s = ExpiryReminderScanner.step(NOW + daysLeft * DAY, NOW, [14, 7, 3, 1]);
    expect(s?.days ?? null).toBe(step);
  });

  test('users × policy: disabled, out of audience, no expiry, opted out, snoozed are skipped; the rest reminded once, in their language', async () => {
    const users = [
      user(1), // T-7
      user(2), // T-3
      user(3, { enabled: false }),
      user(4, { groups: [ALL_STAFF, CONTRACTORS] }),
      user(5), // no expiry
      user(6), // opted out
      user(7), // snoozed
      user(8), // 30 days: not yet
    ];
    const expiry = new Map<string, number | null>([
      [oid(1), NOW + 5 * DAY],
      [oid(2), NOW + 2 * DAY],
      [oid(3), NOW + 2 * DAY],
      [oid(4), NOW + 2 * DAY],
      [oid(5), null],
      [oid(6), NOW + 2 * DAY],
      [oid(7), NOW + 2 * DAY],
      [oid(8), NOW + 30 * DAY],
    ]);
    await seedRefs([1, 2, 3, 4, 5, 6, 7, 8]);
    const dir = new ScanDirectoryFake(users, expiry);
    const w = worker(dir, { expiry: { ...DEFAULT_CAMPAIGN_POLICY.expiry, audience: { mode: 'everyone', groups: [], excludeGroups: [CONTRACTORS.toUpperCase()] } } });
    // Their earlier reminder's buttons (a card sent to each of them).
    await w.sentCards.record({ tenantId: TENANT, objectId: oid(6) }, 'earlier-6', 'expiry', DAY);
    await w.sentCards.record({ tenantId: TENANT, objectId: oid(7) }, 'earlier-7', 'expiry', DAY);
    expect(await w.actions.stop({ tenantId: TENANT, objectId: oid(6) }, 'expiry', 'earlier-6')).toEqual({ ok: true });
    expect((await w.actions.snooze({ tenantId: TENANT, objectId: oid(7) }, 'expiry', 7, 'earlier-7')).ok).toBe(true);
    const r = await w.scanNow('expiry');
    expect(r).toMatchObject({ ok: true, done: true, queued: 2 });
    await w.start();
    await until(() => stub.activities.length >= 2);
    await sleep(500);
    expect([...delivered().entries()].sort()).toEqual([
      ['a:conv-1', 1],
      ['a:conv-2', 1],
    ]);
    const byConv = new Map(stub.activities.map((a) => [a.conversation.id, cardText(a)]));
    expect(byConv.get('a:conv-1')).toContain('Your password expires in 5 days'); // en-US
    expect(byConv.get('a:conv-2')).toContain('Je wachtwoord verloopt over 2 dagen'); // nl-NL
    expect(byConv.get('a:conv-2')).toContain('"verb":"menu","choice":"reset"');
    // A second pass (the next scheduled scan) reminds nobody again.
    expect(await w.scanNow('expiry')).toMatchObject({ ok: true, queued: 0 });
  });

  test('F23: a directory outage mid-scan stops at the cursor; the rerun resumes there — nobody twice, nobody skipped', async () => {
    const users = Array.from({ length: 25 }, (_, i) => user(i + 1));
    const expiry = new Map(users.map((u) => [u.objectId, NOW + 2 * DAY] as const));
    await seedRefs(users.map((_, i) => i + 1));
    const dir = new ScanDirectoryFake(users, expiry);
    dir.failOnce = 2; // the third page of 10
    const w = worker(dir, { scanPageSize: 10 });
    const first = await w.scanNow('expiry');
    expect(first).toMatchObject({ ok: false, reason: 'directory_unavailable', queued: 20 });
    const second = await w.scanNow('expiry');
    expect(second).toMatchObject({ ok: true, done: true, queued: 5 });
    // The rerun started at the saved cursor (page 3), not at the beginning.
    expect(dir.scans).toEqual([null, '10', '20', '20']);
    await w.start();
    await until(() => stub.activities.length >= 25);
    await sleep(500);
    expect(delivered().size).toBe(25);
    expect([...delivered().values()].every((n) => n === 1)).toBe(true);
  });

  test('two workers scanning and delivering at the same time: each user gets one reminder', async () => {
    const users = Array.from({ length: 40 }, (_, i) => user(i + 1));
    const expiry = new Map(users.map((u) => [u.objectId, NOW + 6 * DAY] as const));
    await seedRefs(users.map((_, i) => i + 1));
    const a = worker(new ScanDirectoryFake(users, expiry), { scanPageSize: 7 });
    const b = worker(new ScanDirectoryFake(users, expiry), { scanPageSize: 7 });
    await Promise.all([a.scanNow('expiry'), b.scanNow('expiry')]);
    await Promise.all([a.start(), b.start()]);
    await until(() => delivered().size >= 40);
    await sleep(1000);
    expect([...delivered().values()].filter((n) => n !== 1)).toEqual([]);
  });
});

describe('R32: audiences by group id, never by display name', () => {
  test('the policy refuses a display name in an audience (a group anyone can create with the same name)', () => {
    for (const path of ['expiry', 'lockout', 'registration'] as const)
      for (const field of ['groups', 'excludeGroups'] as const)
        expect(() => parsePolicy({ campaigns: { [path]: { audience: { mode: 'groups', groups: [PILOT], [field]: ['Pilot'] } } } })).toThrow(
          `policy campaigns.${path}.audience.${field}: group object ids (GUIDs) or LDAP DNs, never display names (R32)`,
        );
    expect(() => parsePolicy({ campaigns: { expiry: { audience: { mode: 'groups', groups: [] } } } })).toThrow('campaigns.expiry.audience.groups: must list at least one group');
    expect(parsePolicy({ campaigns: { expiry: { audience: { mode: 'groups', groups: [PILOT], excludeGroups: [`cn=Contractors,ou=groups,dc=contoso,dc=example`] } } } }).campaigns.expiry.audience.groups).toEqual([PILOT]);
  });

  test('users × audience × scope: by id in any spelling, transitively as the directory reports; the lookalike "Pilot" group, the excluded and the out-of-scope are not chosen', async () => {
    const users = [
      user(1, { groups: [ALL_STAFF, PILOT] }), // chosen
      user(2, { groups: [ALL_STAFF, FAKE_PILOT] }), // Mallory: a group named "Pilot" with another id
      user(3, { groups: [ALL_STAFF, PILOT, CONTRACTORS] }), // excluded
      user(4, { groups: [PILOT] }), // in the audience but outside the self-service scope (All Staff)
    ];
    const expiry = new Map(users.map((u) => [u.objectId, NOW + 2 * DAY] as const));
    const policy = { expiry: { ...DEFAULT_CAMPAIGN_POLICY.expiry, audience: { mode: 'groups' as const, groups: [`{${PILOT.toUpperCase()}}`], excludeGroups: [CONTRACTORS] } } };
    const w = worker(new ScanDirectoryFake(users, expiry), policy, new Map(), new FixedClock(NOW), { mode: 'groups', groups: [ALL_STAFF] });
    const queued: { to: { user?: { objectId: string } } }[] = [];
    const scan = new RunDirectoryScan({ directory: new ScanDirectoryFake(users, expiry), cursors: w.cursors, ledger: w.ledger, outbox: { enqueue: async (m) => void queued.push(...(m as never[])) }, clock: new FixedClock(NOW), pageSize: 10 });
    await scan.run(w.scanners.expiry);
    expect(queued.map((m) => m.to.user?.objectId)).toEqual([oid(1)]);
  });

  test('the SIEM webhook\'s use-case keeps to the lockout audience and the directory: an unknown or excluded user is not alerted', async () => {
    const users = [user(1), user(2, { groups: [ALL_STAFF, CONTRACTORS] })];
    const dir = new ScanDirectoryFake(users, new Map());
    const w = worker(dir, { lockout: { ...DEFAULT_CAMPAIGN_POLICY.lockout, audience: { mode: 'everyone', groups: [], excludeGroups: [CONTRACTORS] } } });
    expect(await w.reportLockout.report({ tenantId: TENANT, objectId: oid(2) }, NOW - 60_000)).toEqual({ ok: true, queued: false });
    expect(await w.reportLockout.report({ tenantId: TENANT, objectId: oid(99) }, NOW - 60_000)).toEqual({ ok: true, queued: false });
    expect(await w.reportLockout.report({ tenantId: TENANT, objectId: oid(1) }, NOW - 60_000)).toEqual({ ok: true, queued: true });
  });
});

describe('quiet hours in the user’s time zone', () => {
  const q = DEFAULT_CAMPAIGN_POLICY.quietHours;
  test.each([
    ['10:00 Amsterdam: now', Date.UTC(2026, 11, 1, 9, 0), 'Europe/Amsterdam', Date.UTC(2026, 11, 1, 9, 0)],
    ['22:10 Amsterdam: 08:00 Amsterdam', Date.UTC(2026, 11, 1, 21, 10), 'Europe/Amsterdam', Date.UTC(2026, 11, 2, 7, 0)],
    ['03:00 New York: 08:00 New York', Date.UTC(2026, 11, 1, 8, 0), 'America/New_York', Date.UTC(2026, 11, 1, 13, 0)],
    ['unknown zone: the default (Amsterdam)', Date.UTC(2026, 11, 1, 21, 10), 'Mars/Olympus', Date.UTC(2026, 11, 2, 7, 0)],
  ])('%s', (_n, now, zone, expected) => {
    expect(notBeforeOutsideQuietHours(now, zone, q)).toBe(expected);
  });

  test('a reminder decided at night is held until 08:00 in the user’s zone (from the conversation reference)', async () => {
    const night = Date.UTC(2026, 11, 1, 21, 10);
    await seedRefs([1], 'Europe/Amsterdam');
    const dir = new ScanDirectoryFake([user(1)], new Map([[oid(1), night + 2 * DAY]]));
    const w = worker(dir, {}, new Map(), new FixedClock(night));
    const queued: unknown[] = [];
    const scan = new RunDirectoryScan({
      directory: dir,
      cursors: w.cursors,
      ledger: w.ledger,
      outbox: { enqueue: async (m) => void queued.push(...m) },
      clock: new FixedClock(night),
      pageSize: 10,
    });
    await scan.run(w.scanners.expiry);
    expect(queued).toEqual([expect.objectContaining({ notBefore: Date.UTC(2026, 11, 2, 7, 0) })]);
  });
});

describe('A4 registration nudges and re-confirmation', () => {
  test('users × policy: too few methods → nudge; old confirmation → re-confirm; snoozes enforced after maxSnoozes', async () => {
    const users = [user(1), user(2), user(3), user(4)];
    const methods = new Map<string, number[]>([
      [oid(1), []], // none: nudge
      [oid(2), [NOW - 10 * DAY, NOW - 20 * DAY]], // fine
      [oid(3), [NOW - 200 * DAY, NOW - 10 * DAY]], // re-confirm (180 days)
      [oid(4), [NOW - 5 * DAY]], // one of two: nudge, but snoozed out
    ]);
    await seedRefs([1, 2, 3, 4]);
    const w = worker(new ScanDirectoryFake(users, new Map()), { registration: { ...DEFAULT_CAMPAIGN_POLICY.registration, maxSnoozes: 2 } }, methods);
    const u4 = { tenantId: TENANT, objectId: oid(4) };
    await w.sentCards.record(u4, 'nudge-4', 'registration', DAY);
    expect((await w.actions.snooze(u4, 'registration', 1, 'nudge-4')).ok).toBe(true);
    expect((await w.actions.snooze(u4, 'registration', 1, 'nudge-4')).ok).toBe(true);
    // Enforcement: the third snooze is refused.
    expect(await w.actions.snooze(u4, 'registration', 7, 'nudge-4')).toEqual({ ok: false, reason: 'limit_reached' });
    expect(await w.scanNow('registration')).toMatchObject({ ok: true, queued: 2 });
    await w.start();
    await until(() => stub.activities.length >= 2);
    const byConv = new Map(stub.activities.map((a) => [a.conversation.id, cardText(a)]));
    expect([...byConv.keys()].sort()).toEqual(['a:conv-1', 'a:conv-3']);
    expect(byConv.get('a:conv-1')).toContain('Register now');
    expect(byConv.get('a:conv-1')).toContain('"verb":"campaign.snooze","kind":"registration","days":7');
    expect(byConv.get('a:conv-3')).toContain('Is your security info still right?');
  });

  test('after N snoozes the card offers no snooze (enforcement); stop is always there', () => {
    const t = translator('en');
    const c = buildCampaignCard({ kind: 'registration', confirmed: 0, required: 2, canSnooze: false }, { t, locale: 'en', timeZone: null, defaultTimeZone: 'UTC', canUnlock: true, ref: 'card-1' });
    const s = JSON.stringify(c);
    expect(s).not.toContain('campaign.snooze');
    expect(s).toContain('campaign.stop');
  });
});

describe('E4 lockout alerts', () => {
  test('polling: a locked user is told once per lock; unlocked and locked again is news; the webhook path shares the record', async () => {
    await seedRefs([1, 2]);
    const lockedAt = NOW - 5 * 60_000;
    const dir = new ScanDirectoryFake([user(1), user(2)], new Map(), new Map([[oid(1), lockedAt]]));
    const w = worker(dir);
    expect(await w.scanNow('lockout')).toMatchObject({ ok: true, queued: 1 });
    expect(await w.scanNow('lockout')).toMatchObject({ ok: true, queued: 0 });
    // The SIEM webhook reports the same lock: already told.
    expect(await w.reportLockout.report({ tenantId: TENANT, objectId: oid(1) }, lockedAt)).toEqual({ ok: true, queued: false });
    // A new lock for user 2 by webhook, then the poll sees it: told once.
    dir.lock.set(oid(2), NOW - 60_000);
    expect(await w.reportLockout.report({ tenantId: TENANT, objectId: oid(2) }, NOW - 60_000)).toEqual({ ok: true, queued: true });
    expect(await w.scanNow('lockout')).toMatchObject({ ok: true, queued: 0 });
    // Unlocked (seen by the poll), then locked again: a new alert.
    dir.lock.delete(oid(1));
    await w.scanNow('lockout');
    dir.lock.set(oid(1), NOW - 30_000);
    expect(await w.scanNow('lockout')).toMatchObject({ ok: true, queued: 1 });
    await w.start();
    await until(() => stub.activities.length >= 3);
    await sleep(500);
    expect(delivered().get('a:conv-1')).toBe(2);
    expect(delivered().get('a:conv-2')).toBe(1);
  });

  test('lockout alerts cannot be stopped or snoozed (no such buttons; not an optional kind)', () => {
    const t = translator('nl');
    const c = JSON.stringify(buildCampaignCard({ kind: 'lockout', lockedAt: Date.UTC(2026, 11, 1, 13, 5) }, { t, locale: 'nl', timeZone: 'Europe/Amsterdam', defaultTimeZone: 'UTC', canUnlock: true, ref: 'card-1' }));
    expect(c).toContain('Je account is om 14:05 CET geblokkeerd — was jij dit?');
    expect(c).toContain('"verb":"menu","choice":"unlock"');
    expect(c).toContain('"verb":"campaign.notMe"');
    expect(c).not.toContain('campaign.stop');
    expect(c).not.toContain('campaign.snooze');
  });

  test.each([
    ['en', 'Your account was locked at 14:05 CET — was this you?', 'Reset password', 'choose a new password here'],
    ['nl', 'Je account is om 14:05 CET geblokkeerd — was jij dit?', 'Wachtwoord opnieuw instellen', 'kies dan hier een nieuw wachtwoord'],
  ] as const)('E4 (%s): a directory that cannot unlock (Entra, canUnlock false) gets Reset password, never Unlock', (locale, title, button, body) => {
    const c = buildCampaignCard({ kind: 'lockout', lockedAt: Date.UTC(2026, 11, 1, 13, 5) }, { t: translator(locale), locale, timeZone: 'Europe/Amsterdam', defaultTimeZone: 'UTC', canUnlock: false, ref: 'card-1' });
    const json = JSON.stringify(c);
    expect(json).toContain(title);
    expect(json).toContain(body);
    const actions = (c as { actions?: { title: string; data: Record<string, unknown> }[] }).actions ?? [];
    expect(actions.map((a) => [a.title, a.data.verb, a.data.choice])).toEqual([
      [button, 'menu', 'reset'],
      [translator(locale)('campaign.lockout.notMe'), 'campaign.notMe', undefined],
    ]);
    expect(json).not.toContain('"choice":"unlock"');
    expect(json).not.toContain(translator(locale)('campaign.lockout.unlock'));
  });
});

describe('cards in en and nl', () => {
  const cards: CampaignCard[] = [
    { kind: 'expiry', expiresAt: Date.UTC(2026, 11, 8, 10, 0), daysLeft: 7 },
    { kind: 'lockout', lockedAt: Date.UTC(2026, 11, 1, 13, 5) },
    { kind: 'registration', confirmed: 1, required: 2, canSnooze: true },
    { kind: 'reconfirm', confirmedAt: Date.UTC(2026, 4, 1), canSnooze: true },
    { kind: 'securityAlert', alert: 'verification_blocked', subject: 'ab12cd34', correlationId: 'c0ffee', detail: {} },
  ];
  test.each(cards.map((c) => [c.kind, c] as const))('%s: both languages, different texts, times in the user’s zone', (_k, c) => {
    const en = JSON.stringify(buildCampaignCard(c, { t: translator('en'), locale: 'en', timeZone: 'Europe/Amsterdam', defaultTimeZone: 'UTC', canUnlock: true, ref: 'card-1' }));
    const nl = JSON.stringify(buildCampaignCard(c, { t: translator('nl'), locale: 'nl', timeZone: 'Europe/Amsterdam', defaultTimeZone: 'UTC', canUnlock: true, ref: 'card-1' }));
    expect(en).not.toEqual(nl);
    expect(en).not.toMatch(/campaign\.[a-z]+\.[a-zA-Z]+"/); // no raw keys
    expect(nl).not.toMatch(/campaign\.[a-z]+\.[a-zA-Z]+"/);
    if (c.kind === 'lockout') expect(en).toContain('14:05');
  });
});
