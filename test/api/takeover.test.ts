import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maskEmail, maskPhone } from '../../domain/methods/registeredMethod';
import type { UserRef } from '../../domain/model/user';
import { MemoryDirectory } from '../../adapters/directory/memoryDirectory';
import { startApp, type RunningApp } from '../support/appHarness';
import { ConnectorStub } from '../support/connectorStub';
import { startRedis, type RedisServer } from '../support/redisServer';
import { action, ChatDriver, eventually, findAll } from '../support/chatDriver';
import { DEMO_TENANT } from '../support/activities';
import { JwksRig, pagesEnv } from './pagesRig';
import { t } from '../../locales';

const en = (key: string, params?: Record<string, string | number>): string => t('en', key, params);

/**
 * R31 "a Teams session is not proof", performed as an attacker would: through HTTP, holding only the victim's Teams
 * session (a valid SSO token for the tab API, and her identity on /api/messages), against a private real Redis, the
 * local JWKS and a local Bot Connector stub. And the legitimate paths next to each attack.
 */
const VICTIM = { oid: '6e7b768e-07e2-4810-8459-485f84f8f204', upn: 'megan.bowen@contoso.example', mobile: '+31612345678', mail: 'megan.bowen@fabrikam.example' };
const FRESH = { oid: 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21', upn: 'lidia.holloway@contoso.example', mobile: '+31623456789' };
const NOCONTACT = { oid: '2b1e9c4d-6f8a-4b3c-9d2e-1a0f5c7e8b77', upn: 'noor.contact@contoso.example' };
const EMPTIED = { oid: '4c2d8e1f-7a9b-4c3d-8e2f-3b1a6d9c0e88', upn: 'emma.empty@contoso.example', mail: 'emma.private@example.net' };
const ref = (oid: string): UserRef => ({ tenantId: DEMO_TENANT, objectId: oid });
const PASSWORD = 'Demo-Start-Password-2026';

let redis: RedisServer;
let jwks: JwksRig;
let connector: ConnectorStub;
let running: RunningApp;
let chat: ChatDriver;
let dir: string;

const user = (oid: string, upn: string, name: string, contacts: Record<string, string> = {}) => ({
  objectId: oid,
  userPrincipalName: upn,
  displayName: name,
  givenName: name.split(' ')[0],
  surname: name.split(' ')[1],
  initialPassword: PASSWORD,
  passwordChangedAt: '2026-05-01T08:00:00Z',
  groups: [] as string[],
  ...contacts,
});

beforeAll(async () => {
  redis = await startRedis();
  jwks = new JwksRig();
  await jwks.start();
  connector = new ConnectorStub();
  await connector.start();
  dir = mkdtempSync(join(tmpdir(), 'sspr-r31-'));
  const directoryFile = join(dir, 'directory.json');
  writeFileSync(
    directoryFile,
    JSON.stringify({
      tenantId: DEMO_TENANT,
      organisationName: 'Contoso',
      lockoutThreshold: 5,
      users: [
        user(VICTIM.oid, VICTIM.upn, 'Megan Bowen', { mobilePhone: VICTIM.mobile, alternateEmail: VICTIM.mail }),
        user(FRESH.oid, FRESH.upn, 'Lidia Holloway', { mobilePhone: FRESH.mobile }),
        user(NOCONTACT.oid, NOCONTACT.upn, 'Noor Contact'),
        user(EMPTIED.oid, EMPTIED.upn, 'Emma Empty'),
      ],
    }),
  );
  running = await startApp(pagesEnv(jwks.url, { REDIS_URL: redis.url, DEMO_DIRECTORY_FILE: directoryFile, LOG_LEVEL: 'info' }));
  chat = new ChatDriver(() => running.baseUrl, connector);
  // The first test writes to Redis directly: wait until the app's connection is up (no offline queue, rule 17).
  await eventually(async () => (await fetch(`${running.baseUrl}/readyz`)).status === 200);
});

afterAll(async () => {
  await running?.close();
  await connector?.stop();
  await jwks?.stop();
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const security = () => running.app.services.security;
const outbox = () => security().outbox!;
const methodsOf = (oid: string) => security().methods.list(ref(oid));

async function api(method: string, path: string, oid: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${running.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${await jwks.token(ref(oid))}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function seedConfirmed(oid: string, id: string, kind: 'email' | 'mobilePhone', destination: string): Promise<void> {
  const now = Date.now();
  await security().methods.save(ref(oid), {
    method: { id, kind, maskedDestination: kind === 'email' ? maskEmail(destination) : maskPhone(destination), confirmedAt: now, lastUsedAt: null, createdAt: now, source: 'user', channels: kind === 'email' ? ['email'] : ['sms', 'voice'] },
    secrets: { destination },
  });
  await security().stepUps.setFlag(ref(oid), 'hadMethods');
}

async function openSecurityInfo(oid: string) {
  await chat.turn(oid, { text: 'hi' });
  return chat.turn(oid, { value: { verb: 'menu', choice: 'securityInfo' } });
}

async function addKind(oid: string, overview: Awaited<ReturnType<typeof openSecurityInfo>>, kind: string) {
  const chooser = await chat.turn(oid, { value: action(overview, 'si.add') });
  return chat.turn(oid, { value: action(chooser, 'si.kind', (d) => d.kind === kind) });
}

describe('R31: a Teams session is not proof (real Redis, HTTP only)', () => {
  test('R31 attack: with only the victim\'s Teams session, DELETE /api/methods/:id is refused, chat registration asks for her proof, and the reset still needs her own methods', async () => {
    await seedConfirmed(VICTIM.oid, 'vmail', 'email', VICTIM.mail);
    await seedConfirmed(VICTIM.oid, 'vphone', 'mobilePhone', VICTIM.mobile);
    // 1. The tab API: both removals refused, nothing removed, the refusals audited.
    for (const id of ['vmail', 'vphone']) expect(await api('DELETE', `/api/methods/${id}`, VICTIM.oid)).toEqual({ status: 403, json: { error: 'step_up_required' } });
    expect((await methodsOf(VICTIM.oid)).map((m) => m.id).sort()).toEqual(['vmail', 'vphone']);
    expect(running.logs.lines.filter((l) => l.includes('"method.remove"') && l.includes('"refused"'))).toHaveLength(2);
    // 2. The chat: an authenticator or recovery codes need her proof first; no QR code, key or recovery code is shown.
    let overview = await openSecurityInfo(VICTIM.oid);
    for (const kind of ['authenticatorApp', 'recoveryCodes']) {
      const r = await addKind(VICTIM.oid, overview, kind);
      expect(r.text).toContain("First, prove it's you");
      expect(findAll(r.posts, (n) => n.type === 'Image')).toHaveLength(0);
      // A forged submit of a later stage goes nowhere.
      const forged = await chat.turn(VICTIM.oid, { value: { verb: 'si.codesSaved', flowId: action(r, 'si.proveWith').flowId } });
      expect(forged.text).toContain('That card is no longer active');
      overview = await chat.turn(VICTIM.oid, { value: action(r, 'si.back') });
    }
    expect((await methodsOf(VICTIM.oid)).map((m) => m.kind).sort()).toEqual(['email', 'mobilePhone']);
    // 3. The reset: verification offers only her own methods (codes the attacker never sees); the password stands.
    await chat.turn(VICTIM.oid, { text: 'cancel' });
    const reset = await chat.turn(VICTIM.oid, { text: 'I forgot my password' });
    const offered = findAll(reset.posts, (n) => n.type === 'Action.Submit' && n.data?.verb === 'verify.choose').map((n) => String(n.data.methodId).split('~')[0]);
    expect(new Set(offered)).toEqual(new Set(['vmail', 'vphone']));
    const directory = running.app.services.directory as MemoryDirectory;
    expect(await directory.verifyPassword(VICTIM.oid, PASSWORD)).toBe(true);
    await chat.turn(VICTIM.oid, { text: 'cancel' });
  });

  test('R31 legitimate: the real user proves her e-mail in the chat and (R4: she has two kinds) her phone on the tab, then removes her phone on the tab (the step-up is the user\'s, not the conversation\'s); the phone is told by SMS and the directory mailbox by mail', async () => {
    const overview = await openSecurityInfo(VICTIM.oid);
    const proofCard = await chat.turn(VICTIM.oid, { value: action(overview, 'si.change', (d) => d.methodId === 'vmail') });
    const challenge = await chat.turn(VICTIM.oid, { value: action(proofCard, 'si.proveWith', (d) => d.choice === 'vmail~email') });
    expect(challenge.text).toContain(maskEmail(VICTIM.mail));
    const code = outbox().lastCode(VICTIM.mail)!;
    const proven = await chat.turn(VICTIM.oid, { value: { ...action(challenge, 'si.proof'), code } });
    // R31 + R4: she has an e-mail and a phone, so a change needs a second proof of the other kind.
    expect(proven.text).toContain('To change your security info, confirm a second method');
    expect(findAll(proven.posts, (n) => n.id === 'destination')).toHaveLength(0);
    expect(await api('DELETE', '/api/methods/vphone', VICTIM.oid)).toEqual({ status: 403, json: { error: 'second_step_up_required' } });
    // She gives the second proof on the tab: both proofs are hers, whichever surface saw them.
    expect(await api('POST', '/api/stepup/vphone~sms', VICTIM.oid, {})).toMatchObject({ status: 200 });
    expect(await api('POST', '/api/stepup/vphone~sms/check', VICTIM.oid, { code: outbox().lastCode(VICTIM.mobile) })).toEqual({ status: 200, json: { status: 'proven' } });
    const before = outbox().list().length;
    expect(await api('DELETE', '/api/methods/vphone', VICTIM.oid)).toEqual({ status: 200, json: { status: 'removed' } });
    expect((await methodsOf(VICTIM.oid)).map((m) => m.id)).toEqual(['vmail']);
    const sent = outbox().list().slice(before);
    expect(sent).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'notification', channel: 'sms', to: VICTIM.mobile, template: 'methodsChanged' }),
        expect.objectContaining({ kind: 'notification', channel: 'email', to: VICTIM.upn, template: 'methodsChanged' }),
      ]),
    );
    expect(sent.find((e) => e.channel === 'sms')!.text).toContain(`mobile phone ${maskPhone(VICTIM.mobile)} was removed`);
    expect(sent.find((e) => e.channel === 'sms')!.text).not.toContain(VICTIM.mobile);
  });

  test('R31: removing the last method needs the step-up too; an account whose methods were all removed never gets a session-only bootstrap', async () => {
    await seedConfirmed(EMPTIED.oid, 'emailonly', 'email', EMPTIED.mail);
    expect(await api('DELETE', '/api/methods/emailonly', EMPTIED.oid)).toEqual({ status: 403, json: { error: 'step_up_required' } });
    expect(await api('POST', '/api/stepup/emailonly~email', EMPTIED.oid, {})).toMatchObject({ status: 200 });
    expect(await api('POST', '/api/stepup/emailonly~email/check', EMPTIED.oid, { code: outbox().lastCode(EMPTIED.mail) })).toEqual({ status: 200, json: { status: 'proven' } });
    expect(await api('DELETE', '/api/methods/emailonly', EMPTIED.oid)).toEqual({ status: 200, json: { status: 'removed' } });
    expect(running.logs.lines.some((l) => l.includes('"method.remove"') && l.includes('"last_method"'))).toBe(true);
    // Ten minutes later (the window is tested with a fixed clock in the unit tests): no methods, no directory
    // contacts, and no session-only start — the helpdesk is the way.
    await security().stepUps.clearProof(ref(EMPTIED.oid));
    const overview = await openSecurityInfo(EMPTIED.oid);
    const r = await addKind(EMPTIED.oid, overview, 'email');
    expect(r.text).toContain('ask your helpdesk to start a registration');
    expect(r.text).not.toContain('only your Teams sign-in');
    expect(findAll(r.posts, (n) => n.id === 'destination')).toHaveLength(0);
    expect(await methodsOf(EMPTIED.oid)).toEqual([]);
    expect(await security().stepUps.holdUntil(ref(EMPTIED.oid))).toBeNull();
  });

  test('R31 bootstrap: an account without methods proves a contact the directory holds (code by SMS), then carries on with what it asked for', async () => {
    const overview = await openSecurityInfo(FRESH.oid);
    // Pre-fill (methods.prefillFromDirectory): the directory's number is listed as "from your organisation".
    expect(overview.text).toContain(maskPhone(FRESH.mobile));
    const boot = await addKind(FRESH.oid, overview, 'recoveryCodes');
    expect(boot.text).toContain('First, confirm contact details we have for you');
    expect(findAll(boot.posts, (n) => n.type === 'TextBlock' && /^[A-Z0-9]{4}-[A-Z0-9]{4}/.test(String(n.text)))).toHaveLength(0);
    const sent = await chat.turn(FRESH.oid, { value: action(boot, 'si.bootstrapWith') });
    const code = outbox().lastCode(FRESH.mobile)!;
    expect(outbox().list(FRESH.mobile).at(-1)).toMatchObject({ kind: 'code', channel: 'sms' });
    const wrong = await chat.turn(FRESH.oid, { value: { ...action(sent, 'si.code'), code: code === '000000' ? '111111' : '000000' } });
    expect(wrong.text).toContain("That code isn't right");
    const done = await chat.turn(FRESH.oid, { value: { ...action(sent, 'si.code'), code } });
    // R35: the codes are made and shown in the dialog page, behind the ticket the card carries.
    const open = action(done, 'openRecoveryCodesDialog');
    const shown = await api('GET', `/api/enrolments/${open.ticket}`, FRESH.oid);
    expect(shown).toMatchObject({ status: 200, json: { kind: 'recoveryCodes' } });
    expect(shown.json.codes).toHaveLength(10);
    const methods = await methodsOf(FRESH.oid);
    expect(methods.find((m) => m.kind === 'mobilePhone')).toMatchObject({ source: 'directory', confirmedAt: expect.any(Number) });
    expect(methods.find((m) => m.kind === 'recoveryCodes')).toBeTruthy();
    expect(await security().stepUps.holdUntil(ref(FRESH.oid))).toBeNull();
    await chat.turn(FRESH.oid, { value: action(done, 'si.back') });
  });

  test('R31 session-only bootstrap (the default when the directory has no contact data): the chat and the directory mailbox are told at once, and the methods cannot be used for a reset for 24 h', async () => {
    const before = outbox().list().length;
    const activitiesBefore = connector.activities.length;
    const overview = await openSecurityInfo(NOCONTACT.oid);
    const entry = await addKind(NOCONTACT.oid, overview, 'email');
    expect(entry.text).toContain('only your Teams sign-in');
    const address = 'noor.private@example.org';
    const sent = await chat.turn(NOCONTACT.oid, { value: { ...action(entry, 'si.destination'), destination: address } });
    const saved = await chat.turn(NOCONTACT.oid, { value: { ...action(sent, 'si.code'), code: outbox().lastCode(address) } });
    expect(saved.text).toContain('Saved');
    const hold = await security().stepUps.holdUntil(ref(NOCONTACT.oid));
    expect(hold).toBeGreaterThan(Date.now() + 23.9 * 3_600_000);
    expect(outbox().list().slice(before)).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'notification', to: NOCONTACT.upn, template: 'methodsBootstrap' })]));
    expect(
      await eventually(() => connector.activities.slice(activitiesBefore).some((a) => String(a.text ?? '').includes('Security info registered with only your Teams session'))),
    ).toBe(true);
    // The reset does not go ahead on these methods during the hold (R31), whatever else the account has.
    await chat.turn(NOCONTACT.oid, { text: 'cancel' });
    const reset = await chat.turn(NOCONTACT.oid, { text: 'I forgot my password' });
    expect(findAll(reset.posts, (n) => n.data?.verb === 'verify.choose')).toHaveLength(0);
    expect(reset.text).not.toContain('Choose how you want to prove it');
    // …and the user is told until when, not sent to register again (R31, R17 revised).
    expect(reset.text).toContain(en('precheck.held.title', { time: '' }).trim());
    expect(reset.text).not.toContain(en('precheck.not_registered.title'));
  });
});
