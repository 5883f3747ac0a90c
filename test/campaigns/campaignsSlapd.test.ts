/**
 * Issue 13 acceptance 1 where the directory matters: the campaigns' scans against a real OpenLDAP (slapd with
 * ppolicy and server-side sort) and real Redis (told records, scan cursors).
 * - E3: who is chosen, users × audience, with expiry from pwdChangedTime + pwdMaxAge, groups by entryUUID / DN,
 *   transitively — and the R32 attack: a group with the audience group's cn in another OU reaches nobody.
 * - E4: a lock from failed binds (pwdAccountLockedTime) is announced once per lock episode.
 * - F23: the directory goes away mid-scan (its TCP port closes); the scan stops at its cursor and the rerun resumes
 *   there: nobody reminded twice, nobody skipped.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';
import type Redis from 'ioredis';
import { startRedis, sleep, type RedisServer } from '../support/redisServer';
import { FixedClock } from '../support/fixedClock';
import { Slapd, SLAPD_BASE, SLAPD_SERVICE_DN, SLAPD_SERVICE_PASSWORD, type SlapdUser } from '../support/slapd';
import { LdapDirectory } from '../../adapters/directory/ldapDirectory';
import { loadConfig, type Config } from '../../bot/config';
import { createLogger } from '../../bot/logger';
import { createCampaigns, type Campaigns } from '../../bot/worker/createCampaigns';
import { ConnectorChannel, workerAuthentication } from '../../bot/worker/connectorChannel';
import { RedisConversationRefStore } from '../../adapters/redis/redisConversationRefStore';
import { DEFAULT_CAMPAIGN_POLICY, type CampaignPolicy } from '../../domain/campaigns/campaignPolicy';
import { RunDirectoryScan } from '../../domain/campaigns/runScan';
import type { OutboundMessage } from '../../domain/campaigns/model';
import type { Directory, DirectoryUser } from '../../domain/ports/directory';

jest.setTimeout(180_000);

const TENANT = '00000000-0000-0000-0000-0000000000bb';
const DAY = 86400_000;
const people = `ou=people,${SLAPD_BASE}`;
const groups = `ou=groups,${SLAPD_BASE}`;
const PILOT = `cn=Pilot,${groups}`;
const WAVE = `cn=Wave,${groups}`;

const person = (uid: string, n: number): SlapdUser => ({
  uid,
  objectId: `cccccccc-0000-4000-8000-${String(n).padStart(12, '0')}`,
  givenName: uid,
  surname: 'Tester',
  password: `Initial-${uid}-Pass-1x`,
});
const alice = person('alice', 1); // Pilot, directly
const nestor = person('nestor', 2); // Pilot through the nested "Pilot Tier 2"
const mallory = person('mallory', 3); // "cn=Pilot" in ou=projects: the audience group's cn, another OU
const carl = person('carl', 4); // Pilot, but also a Contractor (excluded)
const dora = person('dora', 5); // Pilot, password never changed by the policy: no expiry known
const wave = Array.from({ length: 25 }, (_, i) => person(`w${String(i + 1).padStart(2, '0')}`, 100 + i));
const users = [alice, nestor, mallory, carl, dora, ...wave];

/** A TCP forwarder in front of slapd: `down()` closes the port and cuts open connections — a directory outage. */
class Outage {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: number) {}
  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }
  async down(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const c of this.sockets) c.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

let slapd: Slapd;
let outage: Outage;
let server: RedisServer;
let redis: Redis;
let base: Config;
let pilotUuid = '';
const open: Campaigns[] = [];

const directory = (url: string): LdapDirectory =>
  new LdapDirectory({
    url,
    allowInsecure: true,
    dialect: 'openldap',
    bindDn: SLAPD_SERVICE_DN,
    bindPassword: SLAPD_SERVICE_PASSWORD,
    baseDn: people,
    passwordPolicyDn: `cn=default,ou=policies,${SLAPD_BASE}`,
    timeoutMs: 5000,
  });

beforeAll(async () => {
  slapd = new Slapd({
    users,
    sort: true,
    pwdMaxAge: 30 * 86_400,
    pwdMaxFailure: 3,
    extraEntries: [
      `dn: ou=projects,${SLAPD_BASE}\nobjectClass: organizationalUnit\nou: projects`,
      `dn: cn=Pilot,ou=projects,${SLAPD_BASE}\nobjectClass: groupOfNames\ncn: Pilot\nmember: uid=mallory,${people}`,
      `dn: cn=Pilot Tier 2,${groups}\nobjectClass: groupOfNames\ncn: Pilot Tier 2\nmember: uid=nestor,${people}`,
      `dn: ${PILOT}\nobjectClass: groupOfNames\ncn: Pilot\n${['alice', 'carl', 'dora'].map((u) => `member: uid=${u},${people}`).join('\n')}\nmember: cn=Pilot Tier 2,${groups}`,
      `dn: cn=Contractors,${groups}\nobjectClass: groupOfNames\ncn: Contractors\nmember: uid=carl,${people}`,
      `dn: ${WAVE}\nobjectClass: groupOfNames\ncn: Wave\n${wave.map((u) => `member: uid=${u.uid},${people}`).join('\n')}`,
    ],
  });
  await slapd.start();
  pilotUuid = (await slapd.rootRead(PILOT, ['entryUUID'])).entryUUID?.[0] ?? '';
  expect(pilotUuid).toMatch(/^[0-9a-f-]{36}$/);
  // A password set by the service account gets a pwdChangedTime, so ppolicy gives it an expiry (now + 30 days).
  const d = directory(slapd.url);
  for (const u of users.filter((x) => x !== dora)) {
    const found = (await d.findUser({ tenantId: TENANT, objectId: u.objectId }))!;
    expect((await d.setPassword(found, `Changed-${u.uid}-Orchid-7q`, { forceChangeAtNextSignIn: false })).ok).toBe(true);
  }
  outage = new Outage(slapd.port);
  await outage.up();
  server = await startRedis();
  redis = server.client();
  while (redis.status !== 'ready') await sleep(20);
  base = loadConfig({ REDIS_URL: server.url, LOG_LEVEL: 'silent', CAMPAIGN_TENANT_ID: TENANT });
});
afterAll(async () => {
  for (const c of open.splice(0)) await c.close(1000);
  redis?.disconnect();
  await server?.destroy();
  await outage?.down();
  await slapd?.stop();
});
beforeEach(async () => {
  await redis.flushall();
});

function campaigns(dir: Directory, policy: Partial<CampaignPolicy>, clock: FixedClock): Campaigns {
  const config: Config = {
    ...base,
    campaigns: { ...base.campaigns, roles: { delivery: false, scans: false } },
    policy: { ...base.policy, campaigns: { ...DEFAULT_CAMPAIGN_POLICY, quietHours: { ...DEFAULT_CAMPAIGN_POLICY.quietHours, enabled: false }, ...policy } },
  };
  const c = createCampaigns({
    config,
    redis,
    logger: createLogger('silent'),
    services: { clock, directory: dir, security: { methods: { list: async () => [] } } as never },
    refs: new RedisConversationRefStore(redis, config.redis.prefix),
    channel: new ConnectorChannel(workerAuthentication({}), ''),
    securityChannel: async () => null,
    tenantId: TENANT,
  });
  open.push(c);
  return c;
}

/** Runs a campaign's scan with the campaigns' Redis stores and collects what it queues. */
function scanWith(c: Campaigns, dir: Pick<Directory, 'scanUsers'>, clock: FixedClock, pageSize: number, queued: OutboundMessage[]): RunDirectoryScan {
  return new RunDirectoryScan({ directory: dir, cursors: c.cursors, ledger: c.ledger, outbox: { enqueue: async (m) => void queued.push(...m) }, clock, pageSize });
}
const uidOf = (m: OutboundMessage): string => users.find((u) => m.to.kind === 'user' && u.objectId === m.to.user.objectId)?.uid ?? '?';

test('E3 R32 on slapd: users × audience — Pilot by entryUUID (directly and through a nested group), Contractors excluded by DN in another spelling; the same cn in another OU reaches nobody', async () => {
  // 25 days after the change: 5 days left, the T-7 step.
  const clock = new FixedClock(Date.now() + 25 * DAY);
  const dir = directory(slapd.url);
  const audience = { mode: 'groups' as const, groups: [pilotUuid], excludeGroups: [`CN=Contractors, OU=Groups, DC=contoso, DC=example`] };
  const c = campaigns(dir, { expiry: { ...DEFAULT_CAMPAIGN_POLICY.expiry, audience } }, clock);
  const mal = (await dir.findUser({ tenantId: TENANT, objectId: mallory.objectId }))!;
  expect(mal.groups.map((g) => g.toLowerCase())).toContain(`cn=pilot,ou=projects,${SLAPD_BASE}`);
  const queued: OutboundMessage[] = [];
  expect(await scanWith(c, dir, clock, 10, queued).run(c.scanners.expiry)).toMatchObject({ ok: true, done: true });
  expect(queued.map(uidOf).sort()).toEqual(['alice', 'nestor']);
  for (const m of queued) expect(m.card).toMatchObject({ kind: 'expiry', daysLeft: 5 });
  // The next pass reminds nobody again; a day later (4 left) is still the T-7 step: still nobody.
  const again: OutboundMessage[] = [];
  await scanWith(c, dir, clock, 10, again).run(c.scanners.expiry);
  clock.advance(DAY);
  await scanWith(c, dir, clock, 10, again).run(c.scanners.expiry);
  expect(again).toEqual([]);
  // At 2 days left the T-3 step: each once more.
  clock.advance(2 * DAY);
  await scanWith(c, dir, clock, 10, again).run(c.scanners.expiry);
  expect(again.map(uidOf).sort()).toEqual(['alice', 'nestor']);
});

test('E4 on slapd: a lock from failed binds is announced once per lock episode, only to the audience; unlocked and locked again is news', async () => {
  const clock = new FixedClock(Date.now());
  const dir = directory(slapd.url);
  const c = campaigns(dir, { lockout: { ...DEFAULT_CAMPAIGN_POLICY.lockout, audience: { mode: 'groups', groups: [PILOT], excludeGroups: [] } } }, clock);
  for (const u of [alice, mallory]) for (let i = 0; i < 3; i++) await slapd.canBind(u.uid, 'wrong-password');
  const queued: OutboundMessage[] = [];
  await scanWith(c, dir, clock, 10, queued).run(c.scanners.lockout);
  await scanWith(c, dir, clock, 10, queued).run(c.scanners.lockout);
  expect(queued.map(uidOf)).toEqual(['alice']);
  expect(queued[0]!.card.kind).toBe('lockout');
  const a = (await dir.findUser({ tenantId: TENANT, objectId: alice.objectId }))!;
  expect(await dir.unlock(a)).toEqual({ ok: true });
  await scanWith(c, dir, clock, 10, queued).run(c.scanners.lockout); // seen unlocked: the episode is over
  for (let i = 0; i < 3; i++) await slapd.canBind(alice.uid, 'wrong-password');
  clock.set(Date.now());
  await scanWith(c, dir, clock, 10, queued).run(c.scanners.lockout);
  expect(queued.map(uidOf)).toEqual(['alice', 'alice']);
  await dir.unlock(a);
  await dir.unlock((await dir.findUser({ tenantId: TENANT, objectId: mallory.objectId }))!);
});

test('F23 on slapd: the directory goes away in the middle of a page; the scan stops at its cursor and the rerun resumes there — nobody twice, nobody skipped', async () => {
  const clock = new FixedClock(Date.now() + 25 * DAY);
  const inner = directory(`ldap://127.0.0.1:${outage.port}`);
  // Counts the directory calls so the outage starts at a known point: the fourth expiry read of the second page.
  const cursors: (string | null)[] = [];
  let pages = 0;
  let reads = 0;
  let failAt: number | null = null;
  const dir = Object.create(inner) as LdapDirectory;
  dir.scanUsers = async (cursor, size) => {
    cursors.push(cursor);
    pages++;
    return inner.scanUsers(cursor, size);
  };
  dir.readPasswordExpiry = async (u: DirectoryUser) => {
    if (pages === 2 && ++reads === 4 && failAt === null) {
      failAt = reads;
      await outage.down();
    }
    return inner.readPasswordExpiry(u);
  };
  const c = campaigns(dir, { expiry: { ...DEFAULT_CAMPAIGN_POLICY.expiry, audience: { mode: 'groups', groups: [WAVE], excludeGroups: [] } } }, clock);
  const queued: OutboundMessage[] = [];
  const first = await scanWith(c, dir, clock, 10, queued).run(c.scanners.expiry);
  expect(first).toMatchObject({ ok: false, reason: 'directory_unavailable', pages: 1 });
  const saved = await c.cursors.load('expiry');
  expect(saved?.cursor).toBe(cursors[1]);
  const afterFirst = queued.length;
  expect(afterFirst).toBeGreaterThan(0);

  // While the directory is still away, a rerun fails at the same place and changes nothing.
  expect(await scanWith(c, dir, clock, 10, queued).run(c.scanners.expiry)).toMatchObject({ ok: false, reason: 'directory_unavailable', pages: 0 });
  expect((await c.cursors.load('expiry'))?.cursor).toBe(saved?.cursor);

  await outage.up();
  const second = await scanWith(c, dir, clock, 10, queued).run(c.scanners.expiry);
  expect(second).toMatchObject({ ok: true, done: true });
  // The rerun started at the saved cursor (the page the outage hit), not at the beginning.
  expect(cursors[3]).toBe(saved?.cursor);
  expect(cursors.filter((x) => x === null)).toHaveLength(1);
  const ids = queued.map(uidOf);
  expect(ids.sort()).toEqual(wave.map((u) => u.uid).sort());
  expect(new Set(queued.map((m) => m.id)).size).toBe(queued.length);
  expect(await c.cursors.load('expiry')).toBeNull();
});
