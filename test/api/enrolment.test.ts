/**
 * The authenticator enrolment endpoints (GET /api/enrolments/:ticket, POST …/confirm) and the re-confirm endpoints of
 * the Security info tab (POST /api/methods/:id/reconfirm, …/reconfirm/check), over HTTP with Teams SSO tokens from a
 * local JWKS and a private Redis (tickets, methods and codes live there).
 */
import { Redis } from 'ioredis';
import { authenticator } from 'otplib';
import { maskEmail } from '../../domain/methods/registeredMethod';
import type { UserRef } from '../../domain/model/user';
import { DEMO_TENANT, post, teamsActivity } from '../support/activities';
import { ConnectorStub } from '../support/connectorStub';
import { startApp, type RunningApp } from '../support/appHarness';
import { startRedis, type RedisServer } from '../support/redisServer';
import { JwksRig, LIDIA, MEGAN, pagesEnv } from './pagesRig';

const JONI: UserRef = { tenantId: DEMO_TENANT, objectId: '3d9c2b71-8e4f-4f0a-a6b2-5e1c7d9f0a44' };
const PRADEEP: UserRef = { tenantId: DEMO_TENANT, objectId: '8b4e6f2a-1c3d-4e5f-9a0b-7c8d9e0f1a55' };
const DIEGO: UserRef = { tenantId: DEMO_TENANT, objectId: 'f5a3c1e9-7b2d-4c6e-8f0a-1b3d5e7f9c66' };
const LIDIA_MAIL = 'lidia.private@outlook.example';

describe('enrolment and re-confirm API (R12, R15, R20) with a local JWKS and a private Redis', () => {
  let redis: RedisServer;
  let jwks: JwksRig;
  let running: RunningApp;
  let inspect: Redis;
  let stub: ConnectorStub;

  const call = async (method: string, path: string, o: { token?: string; body?: unknown; raw?: string } = {}): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${running.baseUrl}${path}`, {
      method,
      headers: {
        ...(o.body !== undefined || o.raw !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      },
      ...(o.raw !== undefined ? { body: o.raw } : o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
    });
    const text = await res.text();
    try {
      return { status: res.status, json: JSON.parse(text) as unknown };
    } catch {
      return { status: res.status, json: text };
    }
  };

  /** Every value in Redis as text (the private server holds only this suite's data). */
  const redisDump = async (): Promise<string> => {
    const out: string[] = [];
    for (const key of await inspect.keys('*')) {
      const type = await inspect.type(key);
      if (type === 'string') out.push(key, (await inspect.get(key)) ?? '');
      else if (type === 'hash') out.push(key, JSON.stringify(await inspect.hgetall(key)));
      else if (type === 'list') out.push(key, JSON.stringify(await inspect.lrange(key, 0, -1)));
      else if (type === 'set') out.push(key, JSON.stringify(await inspect.smembers(key)));
      else if (type === 'zset') out.push(key, JSON.stringify(await inspect.zrange(key, '0', '-1')));
      else out.push(key);
    }
    return out.join('\n');
  };

  /** A pending authenticator enrolment and a ticket for it; returns the ticket and the secret (as a tester's app would read it). */
  const pendingEnrolment = async (user: UserRef, methodId: string): Promise<{ ticket: string; secret: string }> => {
    // The journey starts an enrolment only after the user's R31 step-up (or bootstrap): record that proof.
    await running.app.services.security.stepUps.recordProof(user, Date.now(), 600);
    const e = await running.app.services.security.totp.startEnrolment(user, methodId, 'user@contoso.example', 'test-corr');
    const ticket = await running.app.pages.enrolments.issue(user, methodId);
    return { ticket, secret: e.keyText.replace(/\s/g, '') };
  };

  beforeAll(async () => {
    redis = await startRedis();
    jwks = new JwksRig();
    await jwks.start();
    stub = new ConnectorStub();
    await stub.start();
    running = await startApp(pagesEnv(jwks.url, { REDIS_URL: redis.url }));
    // Joni talks to the bot once, so it knows her 1:1 chat (R18 notifications go there).
    const hello = await post(running.baseUrl, teamsActivity({ userObjectId: JONI.objectId, userName: 'Joni Sherman', conversationId: 'a:conv-joni', serviceUrl: stub.url, text: 'hello' }));
    expect(hello.status).toBe(200);
    inspect = new Redis(redis.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    inspect?.disconnect();
    await running?.close();
    await jwks?.stop();
    await stub?.stop();
    await redis?.destroy();
  });

  test('R12, R15: the ticket is shown once, to its own user only; bad tokens are refused and do not use it up', async () => {
    const { ticket, secret } = await pendingEnrolment(MEGAN, 'app-megan');
    const bad: [string, string | undefined][] = [
      ['no token', undefined],
      ['forged', await jwks.token(MEGAN, { rogue: true })],
      ['unsigned', jwks.unsigned(MEGAN)],
      ['wrong audience', await jwks.token(MEGAN, { claims: { aud: 'api://evil.example/app' } })],
      ['expired', await jwks.token(MEGAN, { issuedAt: Math.floor(Date.now() / 1000) - 7200, expiresIn: Math.floor(Date.now() / 1000) - 3600 })],
    ];
    for (const [label, token] of bad) {
      const r = await call('GET', `/api/enrolments/${ticket}`, token ? { token } : {});
      expect({ label, ...r }).toEqual({ label, status: 401, json: { error: 'unauthorized' } });
    }
    // Another user's valid token: looks like an unknown ticket, and does not use it up.
    const other = await call('GET', `/api/enrolments/${ticket}`, { token: await jwks.token(LIDIA) });
    expect(other).toEqual({ status: 404, json: { error: 'not_found' } });

    const token = await jwks.token(MEGAN);
    const first = await call('GET', `/api/enrolments/${ticket}`, { token });
    expect(first.status).toBe(200);
    expect(first.json.qrDataUri).toMatch(/^data:image\/png;base64,/);
    expect(first.json.key.replace(/\s/g, '')).toBe(secret);
    const second = await call('GET', `/api/enrolments/${ticket}`, { token });
    expect(second).toEqual({ status: 404, json: { error: 'not_found' } });

    for (const malformed of ['abc', 'A'.repeat(32), `${ticket}0`]) {
      expect(await call('GET', `/api/enrolments/${malformed}`, { token })).toEqual({ status: 404, json: { error: 'not_found' } });
    }
    // The ticket in Redis holds a reference, never the secret; the logs never carry it either.
    expect(await redisDump()).not.toContain(secret);
    expect(running.logs.text).not.toContain(secret);
  });

  test('R12 R18: confirm refuses bad bodies and wrong codes, accepts a code from the key once, then the ticket is gone', async () => {
    const { ticket, secret } = await pendingEnrolment(JONI, 'app-joni');
    const token = await jwks.token(JONI);
    const { methods } = running.app.services.security;
    const path = `/api/enrolments/${ticket}/confirm`;

    const badBodies: [string, { body?: unknown; raw?: string }, number, string][] = [
      // The code format is the domain's one rule (R34): not a code → 422 code_format, and no try is used up.
      ['letters', { body: { code: 'abcdef' } }, 422, 'code_format'],
      ['too short', { body: { code: '123' } }, 422, 'code_format'],
      ['extra field', { body: { code: '123456', secret: 'x' } }, 400, 'invalid_body'],
      ['not an object', { body: ['123456'] }, 400, 'invalid_body'],
      ['malformed JSON', { raw: '{"code": "123' }, 400, 'invalid_body'],
      ['oversized', { body: { code: '123456', locale: 'en', pad: 'x'.repeat(10_000) } }, 413, 'payload_too_large'],
    ];
    for (const [label, o, status, error] of badBodies) {
      const r = await call('POST', path, { token, ...o });
      expect({ label, ...r }).toEqual({ label, status, json: { error } });
    }
    const wrongCode = authenticator.generate(secret) === '000000' ? '111111' : '000000';
    expect(await call('POST', path, { token, body: { code: wrongCode } })).toEqual({ status: 422, json: { error: 'code_invalid' } });
    // Another user cannot confirm Joni's enrolment, even with the right code.
    const code = authenticator.generate(secret);
    expect(await call('POST', path, { token: await jwks.token(PRADEEP), body: { code } })).toEqual({ status: 404, json: { error: 'not_found' } });
    expect((await methods.get(JONI, 'app-joni'))?.method.confirmedAt).toBeNull();

    expect(await call('POST', path, { token, body: { code: `${code.slice(0, 3)} ${code.slice(3)}` } })).toEqual({ status: 200, json: { status: 'confirmed' } });
    expect((await methods.get(JONI, 'app-joni'))?.method.confirmedAt).not.toBeNull();
    expect(await call('POST', path, { token, body: { code } })).toEqual({ status: 404, json: { error: 'not_found' } });
    expect(running.logs.lines.some((l) => l.includes('"method.enrol.confirm"') && l.includes('"success"'))).toBe(true);
    // R18: Joni is told in her 1:1 chat (sent through the paced TeamsSender), with no secret in it.
    const told = stub.activities.filter((a: { text?: string }) => a.text?.includes('Your security info changed'));
    expect(told).toHaveLength(1);
    expect(told[0].conversation.id).toBe('a:conv-joni');
    expect(JSON.stringify(told)).not.toContain(secret);
    expect(running.logs.text).not.toContain(secret);
    expect(await redisDump()).not.toContain(secret);
  });

  test('R20: re-confirming an e-mail address sends a code to it (masked in the answer); a wrong code is refused, the right one confirms', async () => {
    const { methods, outbox } = running.app.services.security;
    const long = Date.now() - 400 * 24 * 3600_000;
    await methods.save(LIDIA, {
      method: { id: 'mail-lidia', kind: 'email', maskedDestination: maskEmail(LIDIA_MAIL), confirmedAt: long, lastUsedAt: null, createdAt: long, source: 'user', channels: ['email'] },
      secrets: { destination: LIDIA_MAIL },
    });
    const token = await jwks.token(LIDIA);
    const listed = await call('GET', '/api/methods', { token });
    expect(listed.json.methods).toEqual([expect.objectContaining({ id: 'mail-lidia', needsReconfirmation: true, canReconfirm: true })]);

    // Someone else's token cannot trigger a code to Lidia's address.
    expect(await call('POST', '/api/methods/mail-lidia/reconfirm', { token: await jwks.token(PRADEEP), body: {} })).toEqual({ status: 404, json: { error: 'not_found' } });
    expect(outbox?.list(LIDIA_MAIL)).toEqual([]);

    const started = await call('POST', '/api/methods/mail-lidia/reconfirm', { token, body: { locale: 'nl' } });
    expect(started).toEqual({ status: 200, json: { status: 'enter_code', channel: 'email', maskedDestination: 'l•••@outlook.example' } });
    expect(JSON.stringify(started.json)).not.toContain(LIDIA_MAIL);
    const code = outbox?.lastCode(LIDIA_MAIL) ?? '';
    expect(code).toMatch(/^[0-9]{6,8}$/);

    const wrong = code === '000000' ? '111111' : '000000';
    expect(await call('POST', '/api/methods/mail-lidia/reconfirm/check', { token, body: { code: wrong } })).toEqual({ status: 422, json: { error: 'code_invalid' } });
    expect(await call('POST', '/api/methods/mail-lidia/reconfirm/check', { token: await jwks.token(PRADEEP), body: { code } })).toEqual({ status: 404, json: { error: 'not_found' } });
    expect(await call('POST', '/api/methods/mail-lidia/reconfirm/check', { token, body: { code, extra: 1 } })).toEqual({ status: 400, json: { error: 'invalid_body' } });
    expect((await methods.get(LIDIA, 'mail-lidia'))?.method.confirmedAt).toBe(long);

    expect(await call('POST', '/api/methods/mail-lidia/reconfirm/check', { token, body: { code } })).toEqual({ status: 200, json: { status: 'confirmed' } });
    expect((await methods.get(LIDIA, 'mail-lidia'))?.method.confirmedAt).toBeGreaterThan(long);
    // A code works once.
    expect((await call('POST', '/api/methods/mail-lidia/reconfirm/check', { token, body: { code } })).status).toBe(422);
    const after = await call('GET', '/api/methods', { token });
    expect(after.json.methods).toEqual([expect.objectContaining({ id: 'mail-lidia', confirmed: true, needsReconfirmation: false })]);
    expect(running.logs.lines.some((l) => l.includes('"method.reconfirm"') && l.includes('"success"'))).toBe(true);
    expect(running.logs.text).not.toContain(LIDIA_MAIL);
    expect(running.logs.text).not.toContain(`"${code}"`);
  });

  test('R20: an authenticator app is re-confirmed with a code from the app; security questions cannot be re-confirmed here', async () => {
    const { methods } = running.app.services.security;
    const secret = authenticator.generateSecret();
    const now = Date.now();
    await methods.save(DIEGO, {
      method: { id: 'app-diego', kind: 'authenticatorApp', confirmedAt: now - 400 * 24 * 3600_000, lastUsedAt: null, createdAt: now - 500 * 24 * 3600_000, source: 'user', channels: [] },
      secrets: { totpSecret: secret },
    });
    await methods.save(DIEGO, {
      method: { id: 'sq-diego', kind: 'securityQuestions', confirmedAt: now, lastUsedAt: null, createdAt: now, source: 'user', channels: [], questionIds: ['q1', 'q2', 'q3'] },
      secrets: {},
    });
    const token = await jwks.token(DIEGO);
    expect(await call('POST', '/api/methods/app-diego/reconfirm', { token, body: {} })).toEqual({ status: 200, json: { status: 'enter_code', channel: 'app' } });
    expect(await call('POST', '/api/methods/app-diego/reconfirm/check', { token, body: { code: authenticator.generate(secret) } })).toEqual({ status: 200, json: { status: 'confirmed' } });
    expect((await methods.list(DIEGO)).find((m) => m.id === 'app-diego')?.lastUsedAt).toBeGreaterThan(now - 60_000);
    expect(await call('POST', '/api/methods/sq-diego/reconfirm', { token, body: {} })).toEqual({ status: 409, json: { error: 'not_reconfirmable' } });
    expect(await call('POST', '/api/methods/no-such/reconfirm', { token, body: {} })).toEqual({ status: 404, json: { error: 'not_found' } });
    expect(await call('POST', '/api/methods/bad%20id!/reconfirm', { token, body: {} })).toEqual({ status: 404, json: { error: 'not_found' } });
  });
});
