import { authenticator } from 'otplib';
import type { UserRef } from '../../domain/model/user';
import { startApp, type RunningApp } from '../support/appHarness';
import { startRedis, type RedisServer } from '../support/redisServer';
import { DEMO_TENANT } from '../support/activities';
import { JwksRig, pagesEnv } from './pagesRig';

/**
 * R34 "one proof path": every code and TOTP check of the tab and the dialog pages goes through the counted check the
 * chat uses — an active R9 block refuses even a right code, and wrong codes count toward the block. Real Redis,
 * HTTP only, tokens from a local JWKS.
 */
const ref = (oid: string): UserRef => ({ tenantId: DEMO_TENANT, objectId: oid });
let redis: RedisServer;
let jwks: JwksRig;
let running: RunningApp;

beforeAll(async () => {
  redis = await startRedis();
  jwks = new JwksRig();
  await jwks.start();
  running = await startApp(pagesEnv(jwks.url, { REDIS_URL: redis.url }));
});

afterAll(async () => {
  await running?.close();
  await jwks?.stop();
  await redis?.destroy();
});

async function api(method: string, path: string, user: UserRef, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${running.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${await jwks.token(user)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/** An active authenticator app (as after its enrolment); returns its secret, as the user's phone holds it. */
async function activeAuthenticator(user: UserRef, id: string): Promise<string> {
  const secret = authenticator.generateSecret();
  const now = Date.now();
  await running.app.services.security.methods.save(user, {
    method: { id, kind: 'authenticatorApp', confirmedAt: now - 200 * 86_400_000, lastUsedAt: null, createdAt: now - 300 * 86_400_000, source: 'user', channels: [] },
    secrets: { totpSecret: secret },
  });
  return secret;
}

async function blockUser(user: UserRef): Promise<number> {
  const block = running.app.services.recovery.deps.block;
  for (let i = 0; i < 5; i++) await block.recordFailure(user);
  const until = await block.blockedUntil(user);
  expect(until).not.toBeNull();
  return until!;
}

describe('R34: one proof path on every surface (tab API and dialog pages included)', () => {
  test('R34: a right TOTP code on the tab API is refused while the user is blocked (R9), and the method is not re-confirmed', async () => {
    const user = ref('3d9c2b71-8e4f-4f0a-a6b2-5e1c7d9f0a44');
    const secret = await activeAuthenticator(user, 'app-blocked');
    const before = (await running.app.services.security.methods.get(user, 'app-blocked'))!.method.confirmedAt;
    await blockUser(user);
    expect(await api('POST', '/api/methods/app-blocked/reconfirm', user, {})).toMatchObject({ status: 423, json: { error: 'blocked' } });
    const r = await api('POST', '/api/methods/app-blocked/reconfirm/check', user, { code: authenticator.generate(secret) });
    expect(r).toMatchObject({ status: 423, json: { error: 'blocked' } });
    expect((await running.app.services.security.methods.get(user, 'app-blocked'))!.method.confirmedAt).toBe(before);
    expect(await running.app.services.security.stepUps.lastProof(user)).toBeNull();
  });

  test('R34: wrong TOTP codes on the tab count toward the R9 block; the fifth blocks and a right code is refused after it', async () => {
    const user = ref('8b4e6f2a-1c3d-4e5f-9a0b-7c8d9e0f1a55');
    const secret = await activeAuthenticator(user, 'app-count');
    const right = authenticator.generate(secret);
    const wrong = right === '000000' ? '111111' : '000000';
    const answers: number[] = [];
    for (let i = 0; i < 5; i++) answers.push((await api('POST', '/api/methods/app-count/reconfirm/check', user, { code: wrong })).status);
    expect(answers).toEqual([422, 422, 422, 422, 423]);
    expect(await running.app.services.recovery.deps.block.blockedUntil(user)).not.toBeNull();
    expect(await api('POST', '/api/methods/app-count/reconfirm/check', user, { code: right })).toMatchObject({ status: 423 });
  });

  test('R34: the authenticator dialog page cannot activate an enrolment while the user is blocked', async () => {
    const user = ref('f5a3c1e9-7b2d-4c6e-8f0a-1b3d5e7f9c66');
    const s = running.app.services.security;
    await s.stepUps.recordProof(user, Date.now(), 600); // as after the R31 step-up that started the enrolment
    const e = await s.totp.startEnrolment(user, 'app-pending', 'diego@contoso.example', 'corr');
    const ticket = await running.app.pages.enrolments.issue(user, 'app-pending');
    await blockUser(user);
    const r = await api('POST', `/api/enrolments/${ticket}/confirm`, user, { code: authenticator.generate(e.keyText.replace(/\s/g, '')) });
    expect(r).toMatchObject({ status: 423, json: { error: 'blocked' } });
    expect((await s.methods.get(user, 'app-pending'))!.method.confirmedAt).toBeNull();
  });
});
