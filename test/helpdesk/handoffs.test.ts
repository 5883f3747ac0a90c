import Redis from 'ioredis';
import { HelpdeskHandoffs, HANDOFF_TTL_MS } from '../../domain/helpdesk/helpdeskHandoffs';
import { RedisHandoffStore } from '../../adapters/redis/redisHandoffStore';
import { MemoryHandoffStore } from '../../adapters/memory/memoryHandoffStore';
import { HmacTokenDigest } from '../../adapters/helpdesk/hmacTokenDigest';
import { MemoryDirectory } from '../../adapters/directory/memoryDirectory';
import { DEFAULT_POLICY, type Policy } from '../../domain/policy/policy';
import type { AuditEvent } from '../../domain/ports/auditLog';
import type { Handoff } from '../../domain/helpdesk/handoff';
import type { HandoffStore } from '../../domain/ports/handoffStore';
import type { UserRef } from '../../domain/model/user';
import { InProcessDomainEvents, type DomainEvent } from '../../domain/events';
import { wireCoreSubscribers } from '../../domain/eventSubscribers';
import { FixedClock } from '../support/fixedClock';
import { CryptoRandom } from '../../adapters/crypto/cryptoRandom';
import { startRedis, type RedisServer } from '../support/redisServer';

/** The demo directory's Helpdesk group, by object id (R32). */
const HELPDESK_GROUP = '5fc16da7-8e90-4cbf-8d34-60718293a4b5';

const TENANT = '00000000-0000-0000-0000-000000000001';
const AGENT: UserRef = { tenantId: TENANT, objectId: 'f5a3c1e9-7b2d-4c6e-8f0a-1b3d5e7f9c66' }; // Diego, group Helpdesk
const MEGAN: UserRef = { tenantId: TENANT, objectId: '6e7b768e-07e2-4810-8459-485f84f8f204' };
const LIDIA: UserRef = { tenantId: TENANT, objectId: 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21' };
const policy: Policy = { ...DEFAULT_POLICY, helpdesk: { ...DEFAULT_POLICY.helpdesk, agentGroups: [HELPDESK_GROUP] } };

let redisServer: RedisServer;
let redis: Redis;
beforeAll(async () => {
  redisServer = await startRedis();
  redis = new Redis(redisServer.url);
});
afterAll(async () => {
  redis.disconnect();
  await redisServer.stop();
});

async function rig(kind: 'redis' | 'memory', p: Policy = policy) {
  const clock = new FixedClock();
  const store: HandoffStore = kind === 'redis' ? new RedisHandoffStore(redis, `t${Math.random().toString(36).slice(2)}:`) : new MemoryHandoffStore(clock);
  const events: AuditEvent[] = [];
  const notified: string[] = [];
  const changes: Handoff[] = [];
  const directory = await MemoryDirectory.load('config/demo-directory.json', { clock });
  const bus = new InProcessDomainEvents();
  wireCoreSubscribers(bus, { record: async (e) => void events.push(e) }, { notify: async (_u, e) => void notified.push(e) });
  const handoffs = new HelpdeskHandoffs({
    policy: p,
    directory,
    store,
    digest: new HmacTokenDigest(Buffer.alloc(32, 7)),
    audit: { record: async (e) => void events.push(e) },
    events: bus,
    clock,
    random: new CryptoRandom(),
    listener: { changed: async (h) => void changes.push(h) },
    apiTenantId: TENANT,
  });
  const agent = { kind: 'teams' as const, user: AGENT, name: 'Diego Siciliani' };
  bus.subscribe((e) => handoffs.observe(e));
  return { clock, store, events, notified, changes, handoffs, agent, bus };
}

async function created(r: Awaited<ReturnType<typeof rig>>, target = 'megan.bowen@contoso.example') {
  const c = await r.handoffs.create({ agent: r.agent, targetName: target, purpose: 'reset', ticket: 'INC-123', correlationId: 'c1' });
  if (!c.ok) throw new Error(c.reason);
  return c.value;
}

describe.each(['redis', 'memory'] as const)('hand-off use-cases (%s store)', (kind) => {
  test('R21: the token has at least 128 bits and is never stored or audited in clear', async () => {
    const r = await rig(kind);
    const { token, handoff } = await created(r);
    expect(Buffer.from(token, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    expect(JSON.stringify(r.events)).not.toContain(token);
    expect(JSON.stringify(await r.store.get(handoff.id))).not.toContain(token);
    if (kind === 'redis') {
      const keys = await redis.keys('*');
      const values = await Promise.all(keys.map((k) => redis.get(k)));
      expect(JSON.stringify([keys, values])).not.toContain(token);
    }
  });

  test('R21: single use — a second Start with the same token is refused and audited', async () => {
    const r = await rig(kind);
    const { token } = await created(r);
    const first = await r.handoffs.start(MEGAN, token, 'c2');
    expect(first.ok && first.value.status).toBe('started');
    const again = await r.handoffs.start(MEGAN, token, 'c3');
    expect(again).toEqual({ ok: false, reason: 'invalid' });
    expect(r.events.filter((e) => e.type === 'helpdesk.handoff_start').map((e) => e.outcome)).toEqual(['success', 'refused']);
  });

  test('R21: two concurrent Starts — exactly one wins', async () => {
    const r = await rig(kind);
    const { token } = await created(r);
    const results = await Promise.all([r.handoffs.start(MEGAN, token, 'a'), r.handoffs.start(MEGAN, token, 'b')]);
    expect(results.filter((x) => x.ok)).toHaveLength(1);
  });

  test('R21: expiry — after 15 minutes the token is refused and the agent sees "expired"', async () => {
    const r = await rig(kind);
    const { token, handoff } = await created(r);
    await r.handoffs.mark(handoff.id, 'sent', 'c');
    r.clock.advance(HANDOFF_TTL_MS);
    const res = await r.handoffs.start(MEGAN, token, 'c2');
    expect(res.ok).toBe(false);
    expect((await r.handoffs.get(handoff.id))?.status).toBe('expired');
    expect(r.changes.at(-1)?.status).toBe('expired');
  });

  test('R21: binding — another user cannot start it, and the owner still can', async () => {
    const r = await rig(kind);
    const { token } = await created(r);
    expect(await r.handoffs.start(LIDIA, token, 'c2')).toEqual({ ok: false, reason: 'foreign' });
    expect(r.events.some((e) => e.type === 'helpdesk.handoff_start' && e.reason === 'foreign')).toBe(true);
    expect((await r.handoffs.start(MEGAN, token, 'c3')).ok).toBe(true);
  });

  test('R18 R20: start notifies the user and is audited; decline ends the hand-off', async () => {
    const r = await rig(kind);
    const a = await created(r);
    expect((await r.handoffs.start(MEGAN, a.token, 'c2')).ok).toBe(true);
    expect(r.notified).toEqual(['helpdesk_flow_started']);
    const b = await created(r, 'lidia.holloway@contoso.example');
    const d = await r.handoffs.decline(LIDIA, b.token, 'c3');
    expect(d.ok && d.value.status).toBe('declined');
    expect(await r.handoffs.start(LIDIA, b.token, 'c4')).toEqual({ ok: false, reason: 'invalid' });
    expect(r.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['helpdesk.handoff_create', 'helpdesk.handoff_start', 'helpdesk.handoff_decline']),
    );
  });

  test('R17 R21 R20: refused — non-agent, unknown user, self, privileged (unless policy allows); a privileged target gets the unknown user\'s answer, the audit keeps the reason', async () => {
    const r = await rig(kind);
    const megan = { kind: 'teams' as const, user: MEGAN, name: 'Megan' };
    const c = (agent: typeof r.agent, targetName: string) => r.handoffs.create({ agent, targetName, purpose: 'reset', correlationId: 'x' });
    expect(await c(megan, 'lidia.holloway@contoso.example')).toEqual({ ok: false, reason: 'not_agent' });
    expect(await c(r.agent, 'nobody@contoso.example')).toEqual({ ok: false, reason: 'unknown_user' });
    expect(await c(r.agent, 'diego.siciliani@contoso.example')).toEqual({ ok: false, reason: 'self' });
    // R17: naming another user, "privileged" is not told apart from "no such user" (the agent could map the admins).
    expect(await c(r.agent, 'admin.adele@contoso.example')).toEqual({ ok: false, reason: 'unknown_user' });
    expect(r.events.filter((e) => e.outcome === 'refused').map((e) => e.reason)).toEqual(['not_agent', 'unknown_user', 'self', 'privileged']);
    const lax = await rig(kind, { ...policy, helpdesk: { ...policy.helpdesk, allowHandoffToPrivileged: true } });
    const ok = await lax.handoffs.create({ agent: lax.agent, targetName: 'admin.adele@contoso.example', purpose: 'reset', correlationId: 'y' });
    expect(ok.ok).toBe(true);
  });

  test('R21: the outcome subscriber moves started → verified → done on the user\'s domain events only (rule 18)', async () => {
    const r = await rig(kind);
    const { token, handoff } = await created(r);
    await r.handoffs.start(MEGAN, token, 'c2');
    const publish = async (e: DomainEvent): Promise<void> => {
      r.bus.publish(e);
      await r.bus.settled();
    };
    const base = { at: r.clock.now(), correlationId: 'z', flowId: 'f1' };
    await publish({ ...base, type: 'password_reset', user: LIDIA });
    expect((await r.handoffs.get(handoff.id))?.status).toBe('started');
    // An unlock flow's proof does not move a reset hand-off (the goal must match the purpose).
    await publish({ ...base, type: 'method_proved', user: MEGAN, goal: 'unlock', methodKind: 'mobilePhone' });
    await publish({ ...base, type: 'method_proved', user: MEGAN, goal: 'reset', methodKind: 'email' });
    await publish({ ...base, type: 'verification_succeeded', user: MEGAN, goal: 'reset', methods: 2 });
    await publish({ ...base, type: 'recovery_failed', user: MEGAN, goal: 'reset', reason: 'directory_policy', retryable: true });
    expect((await r.handoffs.get(handoff.id))?.status).toBe('verified');
    await publish({ ...base, type: 'password_reset', user: MEGAN });
    const done = await r.handoffs.get(handoff.id);
    expect(done?.status).toBe('done');
    expect(done?.methodKinds).toEqual(['email']);
    expect(r.changes.map((h) => h.status)).toEqual(['started', 'verified', 'done']);
  });
});
