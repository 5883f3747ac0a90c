import Redis from 'ioredis';
import { authenticator } from 'otplib';
import { loadConfig } from '../../bot/config';
import { createLogger } from '../../bot/logger';
import { createRedis } from '../../bot/redisClient';
import { createServices, type Services } from '../../bot/services';
import { createStateBackend } from '../../bot/state/stateBackend';
import { RedisKeys } from '../../adapters/redis/redisKeys';
import { MEGAN } from '../api/pagesRig';
import { startRedis, type RedisServer } from '../support/redisServer';
import { waitReady } from './helpers';

/**
 * Issue 15 item 2 + F16 on real Redis: an authenticator code that completes a reset verification is checked with its
 * secret read together with the flow, and the used time step, the method's lastUsedAt, the flow step and the grant are
 * one script — whatever point the process dies at, the state is never half (step used but flow not advanced, or the
 * flow verified without a grant).
 */
const MAIL = 'megan.private@outlook.example';
const config = loadConfig({ LOG_LEVEL: 'silent' });
const keys = new RedisKeys(config.redis.prefix);
const SECRET = authenticator.generateSecret();

let server: RedisServer;
let admin: Redis;
beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  await admin.ping();
});
afterAll(async () => {
  admin.disconnect();
  await server.destroy();
});

/** Socket writes of a client: one per round trip (auto-pipelined commands of one tick share a write). */
function countWrites(redis: Redis): () => number {
  let writes = 0;
  const stream = (redis as unknown as { stream: NodeJS.WritableStream }).stream;
  const original = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  stream.write = ((...a: unknown[]) => {
    writes++;
    return original(...a);
  });
  return () => writes;
}

/** Megan with a confirmed e-mail and authenticator; a reset flow with the e-mail proved and the authenticator asked. */
async function prepare(client: Redis): Promise<{ services: Services; flowId: string }> {
  await admin.flushall();
  const state = createStateBackend(config, client, { clock: { now: () => Date.now() } });
  const services = await createServices(config, state, createLogger('silent'), { notify: async () => undefined }, { audit: { record: async () => undefined } });
  const now = Date.now();
  const { methods } = services.security;
  await methods.save(MEGAN, {
    method: { id: 'mail1', kind: 'email', maskedDestination: 'm…@outlook.example', confirmedAt: now - 86_400_000, lastUsedAt: null, createdAt: now - 2 * 86_400_000, source: 'user', channels: ['email'] },
    secrets: { destination: MAIL },
  });
  await methods.save(MEGAN, {
    method: { id: 'app1', kind: 'authenticatorApp', confirmedAt: now - 86_400_000, lastUsedAt: null, createdAt: now - 86_400_000, source: 'user', channels: [] },
    secrets: { totpSecret: SECRET },
  });
  const conv = 'a:conv-totp';
  const started = await services.recovery.start.execute({ user: MEGAN, conversationId: conv, goal: 'reset', correlationId: 'c-start' });
  if (!started.ok) throw new Error(`flow not started: ${JSON.stringify(started)}`);
  const flowId = started.flow.flowId;
  const mail = started.choices.find((c) => c.kind === 'email')!;
  const sent = await services.recovery.challenge.execute({ user: MEGAN, conversationId: conv, flowId, methodId: mail.id, locale: 'en', correlationId: 'c-ch' });
  if (!sent.ok) throw new Error('no code sent');
  const code = services.security.outbox?.lastCode(MAIL) ?? '';
  const first = await services.recovery.prove.execute({ user: MEGAN, conversationId: conv, flowId, response: { kind: 'code', code }, locale: 'en', correlationId: 'c-p1' });
  if (!first.ok || first.value.status !== 'next_method') throw new Error(`first proof: ${JSON.stringify(first)}`);
  const app = first.value.choices.find((c) => c.kind === 'authenticatorApp')!;
  const asked = await services.recovery.challenge.execute({ user: MEGAN, conversationId: conv, flowId, methodId: app.id, locale: 'en', correlationId: 'c-ch2' });
  if (!asked.ok) throw new Error('authenticator not asked');
  return { services, flowId };
}

const totp = (s: Services, flowId: string) =>
  s.recovery.prove.execute({ user: MEGAN, conversationId: 'a:conv-totp', flowId, response: { kind: 'totp', code: authenticator.generate(SECRET) }, locale: 'en', correlationId: 'c-totp' });

async function observe(flowId: string): Promise<{ stepUsed: boolean; version: number; grant: boolean; lastUsed: boolean }> {
  const stepUsed = (await admin.keys(`${config.redis.prefix}*totp-step*`)).length > 0;
  const version = Number(await admin.hget(keys.flow(MEGAN, flowId), 'v'));
  const grant = (await admin.exists(keys.grant(MEGAN, flowId))) === 1;
  const lastUsed = (await admin.hexists(keys.methods(MEGAN), 'app1|lastUsedAt')) === 1;
  return { stepUsed, version, grant, lastUsed };
}

test('issue 15: the TOTP check that verifies a reset costs 2 round trips — flow, methods, block and the authenticator secret together; step + stamp + flow + grant in one script', async () => {
  const client = createRedis(server.url);
  try {
    await waitReady(client);
    // Warm-up: the first use of each script loads it (EVALSHA → NOSCRIPT → EVAL, F19).
    const warm = await prepare(client);
    expect((await totp(warm.services, warm.flowId)).ok).toBe(true);
    // prepare() flushes the data (the used step too), not the script cache.
    const { services, flowId } = await prepare(client);
    const writes = countWrites(client);
    const before = writes();
    const answer = await totp(services, flowId);
    const used = writes() - before;
    expect(answer).toMatchObject({ ok: true, value: { status: 'verified' } });
    expect(used).toBe(2);
    const after = await observe(flowId);
    expect(after).toEqual({ stepUsed: true, version: 4, grant: true, lastUsed: true });
    expect(await services.recovery.deps.grants.state(MEGAN, flowId)).toBe('ready');
    // R12: the same code again is a replay — nothing more is written.
    expect((await totp(services, flowId)).ok).toBe(false);
  } finally {
    client.disconnect();
  }
}, 90_000);

/** A client whose process "dies" after `allow` more commands once armed: later commands never reach Redis. */
function mortalClient(): { client: Redis; arm(allow: number): void; sentSinceArmed(): number } {
  const client = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1, enableOfflineQueue: true });
  client.on('error', () => undefined);
  let budget = Infinity;
  let sent = 0;
  const original = client.sendCommand.bind(client) as (c: unknown, ...rest: unknown[]) => unknown;
  (client as unknown as { sendCommand: (c: { reject(e: Error): void; promise: Promise<unknown> }, ...rest: unknown[]) => unknown }).sendCommand = (command, ...rest) => {
    if (sent >= budget) {
      command.reject(new Error('F16 fault injection: the process is gone'));
      return command.promise;
    }
    sent++;
    return original(command, ...rest);
  };
  return { client, arm: (allow) => ((sent = 0), (budget = allow)), sentSinceArmed: () => sent };
}

test('F16: the process dies after any number of commands of a TOTP check that verifies a reset — never "step used, flow not verified" nor "verified without a grant"', async () => {
  const whole = mortalClient();
  const p0 = await prepare(whole.client);
  const before = await observe(p0.flowId);
  expect(before).toEqual({ stepUsed: false, version: 3, grant: false, lastUsed: false });
  whole.arm(Infinity);
  expect(await totp(p0.services, p0.flowId)).toMatchObject({ ok: true, value: { status: 'verified' } });
  const total = whole.sentSinceArmed();
  whole.client.disconnect();
  const seen = { neither: 0, all: 0 };
  for (let k = 0; k <= total; k++) {
    const m = mortalClient();
    const p = await prepare(m.client);
    m.arm(k);
    await totp(p.services, p.flowId).catch((e: unknown) => e);
    m.client.disconnect();
    const after = await observe(p.flowId);
    if (JSON.stringify(after) === JSON.stringify(before)) seen.neither++;
    else if (JSON.stringify(after) === JSON.stringify({ stepUsed: true, version: 4, grant: true, lastUsed: true })) seen.all++;
    else throw new Error(`half a state after ${k} of ${total} commands: ${JSON.stringify(after)}`);
  }
  expect(seen.neither).toBeGreaterThan(0);
  expect(seen.all).toBeGreaterThan(0);
}, 120_000);
