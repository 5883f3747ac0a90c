import Redis from 'ioredis';
import { authenticator } from 'otplib';
import { loadConfig } from '../../bot/config';
import { createLogger } from '../../bot/logger';
import { createServices, type Services } from '../../bot/services';
import { createStateBackend } from '../../bot/state/stateBackend';
import { RedisKeys } from '../../adapters/redis/redisKeys';
import { parseChoiceId } from '../../domain/recovery/securityInfoProver';
import { MEGAN } from '../api/pagesRig';
import { securityInfoUseCases } from '../../bot/securityInfoJourney';
import { startRedis, type RedisServer } from '../support/redisServer';

/**
 * F16 on real Redis: the bot process dies while checking a one-time code. Whatever point it dies at — after any
 * number k of the commands of SubmitProof have reached Redis, none after — the state is never half: either the
 * code is consumed AND the flow advanced, or neither.
 */
const MAIL = 'megan.private@outlook.example';
const PHONE = '+31612345678';
const config = loadConfig({ LOG_LEVEL: 'silent' });
const keys = new RedisKeys(config.redis.prefix);

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
  return {
    client,
    arm: (allow) => {
      sent = 0;
      budget = allow;
    },
    sentSinceArmed: () => sent,
  };
}

interface Prepared {
  services: Services;
  mortal: ReturnType<typeof mortalClient>;
  flowId: string;
  methodId: string;
  code: string;
}

/** Megan with an e-mail and a phone; a reset flow with a code sent to her e-mail — all before the fault is armed. */
async function prepare(): Promise<Prepared> {
  await admin.flushall();
  const mortal = mortalClient();
  const state = createStateBackend(config, mortal.client, { clock: { now: () => Date.now() } });
  const services = await createServices(config, state, createLogger('silent'), { notify: async () => undefined }, { audit: { record: async () => undefined } });
  const now = Date.now();
  const { methods } = services.security;
  await methods.save(MEGAN, {
    method: { id: 'mail1', kind: 'email', maskedDestination: 'm…@outlook.example', confirmedAt: now - 86_400_000, lastUsedAt: null, createdAt: now - 2 * 86_400_000, source: 'user', channels: ['email'] },
    secrets: { destination: MAIL },
  });
  await methods.save(MEGAN, {
    method: { id: 'phone1', kind: 'mobilePhone', maskedDestination: '•••78', confirmedAt: now - 86_400_000, lastUsedAt: null, createdAt: now - 2 * 86_400_000, source: 'user', channels: ['sms'] },
    secrets: { destination: PHONE },
  });
  const started = await services.recovery.start.execute({ user: MEGAN, conversationId: 'a:conv-f16', goal: 'reset', correlationId: 'c-start' });
  if (!started.ok) throw new Error(`flow not started: ${JSON.stringify(started)}`);
  const choice = started.choices.find((c) => c.kind === 'email');
  if (!choice) throw new Error('no e-mail choice');
  const flowId = started.flow.flowId;
  const challenged = await services.recovery.challenge.execute({ user: MEGAN, conversationId: 'a:conv-f16', flowId, methodId: choice.id, locale: 'en', correlationId: 'c-challenge' });
  if (!challenged.ok) throw new Error(`no challenge: ${JSON.stringify(challenged)}`);
  const code = services.security.outbox?.lastCode(MAIL);
  if (!code) throw new Error('no code in the outbox');
  return { services, mortal, flowId, methodId: parseChoiceId(choice.id).methodId, code };
}

async function observe(p: Prepared): Promise<{ codeLive: boolean; version: number }> {
  const codeLive = (await admin.exists(keys.code(MEGAN, 'verify', p.methodId))) === 1;
  const version = Number(await admin.hget(keys.flow(MEGAN, p.flowId), 'v'));
  return { codeLive, version };
}

async function submit(p: Prepared): Promise<unknown> {
  return p.services.recovery.prove
    .execute({ user: MEGAN, conversationId: 'a:conv-f16', flowId: p.flowId, response: { kind: 'code', code: p.code }, locale: 'en', correlationId: 'c-proof' })
    .catch((e: unknown) => e);
}

test('F16: the bot process dies after any number of commands of a code check — never "code consumed but flow not advanced"', async () => {
  // How many commands a whole, undisturbed check sends.
  const whole = await prepare();
  const before = await observe(whole);
  expect(before).toEqual({ codeLive: true, version: 1 });
  whole.mortal.arm(Infinity);
  const answer = await submit(whole);
  expect(answer).toMatchObject({ ok: true, value: { status: 'next_method' } });
  const total = whole.mortal.sentSinceArmed();
  expect(await observe(whole)).toEqual({ codeLive: false, version: 2 });
  whole.mortal.client.disconnect();
  expect(total).toBeGreaterThan(2);

  const seen = { neither: 0, both: 0 };
  for (let k = 0; k <= total; k++) {
    const p = await prepare();
    p.mortal.arm(k);
    await submit(p);
    p.mortal.client.disconnect();
    const after = await observe(p);
    const neither = after.codeLive && after.version === before.version;
    const both = !after.codeLive && after.version === before.version + 1;
    if (!neither && !both) throw new Error(`half a state after ${k} of ${total} commands: ${JSON.stringify(after)}`);
    seen[neither ? 'neither' : 'both']++;
  }
  // The deaths covered both sides of the one atomic step.
  expect(seen.neither).toBeGreaterThan(0);
  expect(seen.both).toBeGreaterThan(0);
}, 120_000);

/**
 * Issue 15, F16 for security info: a registration code's check consumes the code and makes the method active — with
 * the lasting flag and, for the R31 bootstrap, the proof — in one script. The process dies after any number of the
 * commands ConfirmMethod sends: the user's record is never half-confirmed (a consumed code with the method still
 * pending, or an active method without its flag or proof, or the code still live beside an active method).
 */
test('F16 issue 15 R31: the bot process dies after any number of commands of a bootstrap registration-code check — all of the confirmation or none', async () => {
  const methodId = 'dirmobile1';
  async function prepareRegistration(): Promise<{ mortal: ReturnType<typeof mortalClient>; run: () => Promise<unknown>; code: string }> {
    await admin.flushall();
    const mortal = mortalClient();
    const state = createStateBackend(config, mortal.client, { clock: { now: () => Date.now() } });
    const services = await createServices(config, state, createLogger('silent'), { notify: async () => undefined }, { audit: { record: async () => undefined } });
    const now = Date.now();
    // A directory contact pre-filled for the R31 bootstrap: not confirmed, no other method.
    await services.security.methods.save(MEGAN, {
      method: { id: methodId, kind: 'mobilePhone', maskedDestination: '•••78', confirmedAt: null, lastUsedAt: null, createdAt: now, source: 'directory', channels: ['sms', 'voice'] },
      secrets: { destination: PHONE },
    });
    const sent = await services.security.oneTimeCodes.issue({ user: MEGAN, purpose: 'register', methodId, channel: 'sms', destination: PHONE, locale: 'en', correlationId: 'c-send' });
    if (!sent.ok) throw new Error(`no code: ${JSON.stringify(sent)}`);
    const code = services.security.outbox?.lastCode(PHONE);
    if (!code) throw new Error('no code in the outbox');
    const useCases = securityInfoUseCases(services);
    return { mortal, code, run: () => useCases.confirm.run({ user: MEGAN, locale: 'en', flowId: 'f-si' }, methodId, code).catch((e: unknown) => e) };
  }
  async function observeRecord(): Promise<{ codeLive: boolean; confirmed: boolean; flag: boolean; proof: boolean }> {
    const tag = `${config.redis.prefix}{u:${MEGAN.tenantId}:${MEGAN.objectId}}`;
    return {
      codeLive: (await admin.exists(keys.code(MEGAN, 'register', methodId))) === 1,
      confirmed: (await admin.hexists(keys.methods(MEGAN), `${methodId}|confirmedAt`)) === 1,
      flag: (await admin.exists(`${tag}:flag:hadMethods`)) === 1,
      proof: (await admin.exists(`${tag}:stepup`)) === 1,
    };
  }
  const none = { codeLive: true, confirmed: false, flag: false, proof: false };
  const all = { codeLive: false, confirmed: true, flag: true, proof: true };

  const whole = await prepareRegistration();
  expect(await observeRecord()).toEqual(none);
  whole.mortal.arm(Infinity);
  expect(await whole.run()).toMatchObject({ ok: true, value: { kind: 'mobilePhone' } });
  const total = whole.mortal.sentSinceArmed();
  whole.mortal.client.disconnect();
  expect(await observeRecord()).toEqual(all);
  expect(total).toBeGreaterThan(0);

  const seen = { none: 0, all: 0 };
  for (let k = 0; k <= total; k++) {
    const p = await prepareRegistration();
    p.mortal.arm(k);
    await p.run();
    p.mortal.client.disconnect();
    const after = await observeRecord();
    const which = JSON.stringify(after) === JSON.stringify(none) ? 'none' : JSON.stringify(after) === JSON.stringify(all) ? 'all' : null;
    if (!which) throw new Error(`half a confirmation after ${k} of ${total} commands: ${JSON.stringify(after)}`);
    seen[which]++;
  }
  expect(seen.none).toBeGreaterThan(0);
  expect(seen.all).toBeGreaterThan(0);
}, 120_000);

/**
 * Issue 15, F16 for security info: an authenticator's first code (the enrolment page's confirm) takes the used time
 * step, the method's activation, the lasting flag and the removal of the user's other authenticator in one script.
 */
test('F16 issue 15 R12: the bot process dies after any number of commands of an authenticator enrolment confirm — all of it or none', async () => {
  async function prepareEnrolment(): Promise<{ mortal: ReturnType<typeof mortalClient>; run: () => Promise<unknown> }> {
    await admin.flushall();
    const mortal = mortalClient();
    const state = createStateBackend(config, mortal.client, { clock: { now: () => Date.now() } });
    const services = await createServices(config, state, createLogger('silent'), { notify: async () => undefined }, { audit: { record: async () => undefined } });
    const now = Date.now();
    const { methods, totp, stepUps } = services.security;
    await methods.save(MEGAN, {
      method: { id: 'oldapp', kind: 'authenticatorApp', confirmedAt: now - 86_400_000, lastUsedAt: null, createdAt: now - 2 * 86_400_000, source: 'user', channels: [] },
      secrets: { totpSecret: 'JBSWY3DPEHPK3PXP' },
    });
    await stepUps.recordProof(MEGAN, now, 600);
    await totp.startPendingEnrolment(MEGAN, 'newapp', 'c-enrol');
    const secret = (await methods.get(MEGAN, 'newapp'))?.secrets.totpSecret;
    if (!secret) throw new Error('no pending authenticator');
    const useCases = securityInfoUseCases(services);
    return { mortal, run: () => useCases.confirmAuthenticator.run({ user: MEGAN, locale: 'en', flowId: 'f-enrol' }, 'newapp', authenticator.generate(secret)).catch((e: unknown) => e) };
  }
  async function observeRecord(): Promise<{ confirmed: boolean; oldThere: boolean; flag: boolean }> {
    const tag = `${config.redis.prefix}{u:${MEGAN.tenantId}:${MEGAN.objectId}}`;
    return {
      confirmed: (await admin.hexists(keys.methods(MEGAN), 'newapp|confirmedAt')) === 1,
      oldThere: (await admin.hexists(keys.methods(MEGAN), 'oldapp')) === 1,
      flag: (await admin.exists(`${tag}:flag:hadMethods`)) === 1,
    };
  }
  const none = { confirmed: false, oldThere: true, flag: false };
  const all = { confirmed: true, oldThere: false, flag: true };

  const whole = await prepareEnrolment();
  expect(await observeRecord()).toEqual(none);
  whole.mortal.arm(Infinity);
  expect(await whole.run()).toMatchObject({ ok: true });
  const total = whole.mortal.sentSinceArmed();
  whole.mortal.client.disconnect();
  expect(await observeRecord()).toEqual(all);

  const seen = { none: 0, all: 0 };
  for (let k = 0; k <= total; k++) {
    const p = await prepareEnrolment();
    p.mortal.arm(k);
    await p.run();
    p.mortal.client.disconnect();
    const after = await observeRecord();
    const which = JSON.stringify(after) === JSON.stringify(none) ? 'none' : JSON.stringify(after) === JSON.stringify(all) ? 'all' : null;
    if (!which) throw new Error(`half an enrolment after ${k} of ${total} commands: ${JSON.stringify(after)}`);
    seen[which]++;
  }
  expect(seen.none).toBeGreaterThan(0);
  expect(seen.all).toBeGreaterThan(0);
}, 120_000);
