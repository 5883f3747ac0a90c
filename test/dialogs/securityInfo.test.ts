import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { OtplibTotpEngine } from '../../adapters/crypto/otplibTotpEngine';
import type { CodeChannel } from '../../domain/model/methods';
import { ConnectorStub } from '../support/connectorStub';
import { startApp, type RunningApp } from '../support/appHarness';
import { isInactiveCardUpdate, replyText, teamsActivity } from '../support/activities';
import { startRedis, type RedisServer } from '../support/redisServer';

/**
 * The Security info journey through the real HTTP app, a private real Redis (RedisMethodStore, codes, throttles) and
 * the dev outbox. Replies go to a local Bot Connector stub, so card replacements (PUT) are observable.
 */
let redisServer: RedisServer;
let connector: ConnectorStub;
let running: RunningApp;
let dir: string;
const secrets: string[] = [];
const TENANT = '00000000-0000-0000-0000-000000000001';

beforeAll(async () => {
  redisServer = await startRedis();
  connector = new ConnectorStub();
  await connector.start();
  dir = mkdtempSync(join(tmpdir(), 'sspr-si-'));
  const policyFile = join(dir, 'policy.json');
  writeFileSync(
    policyFile,
    JSON.stringify({ methods: { enabled: ['mobilePhone', 'officePhone', 'email', 'authenticatorApp', 'recoveryCodes', 'securityQuestions'] } }),
  );
  running = await startApp({ REDIS_URL: redisServer.url, POLICY_FILE: policyFile });
});

afterAll(async () => {
  await running.close();
  await connector.stop();
  await redisServer.stop();
  rmSync(dir, { recursive: true, force: true });
});

let userSeq = 0;
function newUser(): string {
  userSeq++;
  return `5ec00000-0000-4000-8000-${String(userSeq).padStart(12, '0')}`;
}

interface TurnResult {
  posts: any[];
  puts: { path: string; body: any }[];
  text: string;
}

/** One user turn (text or card submit); returns what the bot sent to the connector during it. */
async function turn(user: string, input: { text?: string; value?: unknown }, locale = 'en-US', channelId = 'msteams'): Promise<TurnResult> {
  const before = connector.calls.length;
  const res = await fetch(`${running.baseUrl}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(teamsActivity({ ...input, locale, userObjectId: user, serviceUrl: connector.url, expectReplies: false, channelId })),
  });
  expect(res.status).toBeLessThan(300);
  const calls = connector.calls.slice(before);
  const posts = calls.filter((c) => c.method === 'POST' && /\/activities/.test(c.path)).map((c) => c.body);
  // Dialog replacements only; the "no longer active" updates of older cards are counted apart.
  const puts = calls.filter((c) => c.method === 'PUT' && !isInactiveCardUpdate(c.body)).map((c) => ({ path: c.path, body: c.body }));
  return { posts, puts, text: replyText(posts) };
}

/** Every Action.Submit data object in the activities, in order. */
function actions(posts: any[]): any[] {
  const out: any[] = [];
  const walk = (n: any): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(walk);
    if (n.type === 'Action.Submit' && n.data) out.push(n.data);
    for (const v of Object.values(n)) walk(v);
  };
  walk(posts);
  return out;
}
function action(r: TurnResult, verb: string, pred: (d: any) => boolean = () => true): any {
  const found = actions(r.posts).filter((d) => d.verb === verb && pred(d));
  if (!found.length) throw new Error(`no ${verb} action in: ${r.text}`);
  return found[found.length - 1];
}
function findAll(posts: any[], pred: (n: any) => boolean): any[] {
  const out: any[] = [];
  const walk = (n: any): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(walk);
    if (pred(n)) out.push(n);
    for (const v of Object.values(n)) walk(v);
  };
  walk(posts);
  return out;
}

const outbox = () => running.app.services.security.outbox!;
const userRef = (oid: string) => ({ tenantId: TENANT, objectId: oid });
const methodsOf = (oid: string) => running.app.services.security.methods.list(userRef(oid));

/** Waits (bounded, 10 s) until `check` holds; fails the test otherwise. */
async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(check()).toBe(true);
}

/** Simulates the R10 60-second gap passing for a user's channel (R10 itself is tested in the code-service tests). */
async function gapPassed(oid: string, channel: CodeChannel, destination: string): Promise<void> {
  const s = running.app.services.security;
  await s.throttle.reset(s.oneTimeCodes.buckets(userRef(oid), channel, destination));
}

/** The user's R31 step-up window has passed (the window itself is tested with a fixed clock in the unit tests). */
async function tenMinutesLater(oid: string): Promise<void> {
  await running.app.services.security.stepUps.clearProof(userRef(oid));
}

/** First contact and opening the journey: the welcome invites to register (no methods), the menu opens the overview. */
async function openSecurityInfo(oid: string, locale: string, channelId = 'msteams'): Promise<TurnResult> {
  const hi = await turn(oid, { text: locale.startsWith('nl') ? 'hallo' : 'hi' }, locale, channelId);
  expect(hi.text).toContain(locale.startsWith('nl') ? 'Je hebt nog geen verificatiemethoden' : "You haven't registered any verification methods yet");
  const menu = action(hi, 'menu', (d) => d.choice === 'securityInfo');
  const overview = await turn(oid, { value: menu }, locale, channelId);
  expect(overview.text).toContain(locale.startsWith('nl') ? 'Je beveiligingsgegevens' : 'Your security info');
  return overview;
}

async function addKind(oid: string, overview: TurnResult, kind: string, locale: string, channelId = 'msteams'): Promise<TurnResult> {
  const chooser = await turn(oid, { value: action(overview, 'si.add') }, locale, channelId);
  return turn(oid, { value: action(chooser, 'si.kind', (d) => d.kind === kind) }, locale, channelId);
}

/** A client without Teams dialogs (R35: only there does the chat card show the secret, and it is replaced after). */
const NO_DIALOGS = 'webchat';

const LOCALES = [
  { locale: 'en-US', saved: 'Saved. Your security info is up to date', cleared: 'Hidden for your security' },
  { locale: 'nl-NL', saved: 'Opgeslagen. Je beveiligingsgegevens zijn bijgewerkt', cleared: 'Verborgen voor je veiligheid' },
];

describe('Security info journey: register each of the six kinds end to end (en, nl), real Redis + dev outbox', () => {
  let n = 0;
  const codeKinds = [
    { kind: 'email', channel: 'email' as const, typed: () => `ada.${++n}@example.org`, country: undefined, expect: (typed: string) => typed },
    { kind: 'mobilePhone', channel: 'sms' as const, typed: () => `+31 6 1234 ${String(5000 + ++n)}`, country: undefined, expect: (typed: string) => typed.replace(/\s/g, '') },
    // National number with the country picker (default NL): 06… → +316…
    { kind: 'mobilePhone', channel: 'sms' as const, typed: () => `06-2345 ${String(6000 + ++n)}`, country: 'NL', expect: (typed: string) => `+316${typed.slice(3).replace(/\s/g, '')}` },
    { kind: 'officePhone', channel: 'voice' as const, typed: () => `+31 20 123 ${String(7000 + ++n)}`, country: undefined, expect: (typed: string) => typed.replace(/\s/g, '') },
  ];
  for (const { locale, saved } of LOCALES) {
    for (const k of codeKinds) {
      test(`R4 R19: ${k.kind}${k.country ? ' (national number + country)' : ''} — destination, code round trip, saved, confirmed (${locale})`, async () => {
        const oid = newUser();
        const overview = await openSecurityInfo(oid, locale);
        // First method: no proof asked (R19 applies once the user has one).
        const entry = await addKind(oid, overview, k.kind, locale);
        const typed = k.typed();
        const dest = k.expect(typed);
        secrets.push(dest);
        const sent = await turn(oid, { value: { ...action(entry, 'si.destination'), destination: typed, ...(k.country ? { country: k.country } : {}) } }, locale);
        const code = outbox().lastCode(dest);
        expect(code).toMatch(/^\d{6}$/);
        secrets.push(code!);
        expect(outbox().list(dest).at(-1)).toMatchObject({ channel: k.channel });
        // Pending, not active, until the code comes back.
        expect((await methodsOf(oid))[0]).toMatchObject({ kind: k.kind, confirmedAt: null });
        const done = await turn(oid, { value: { ...action(sent, 'si.code'), code } }, locale);
        expect(done.text).toContain(saved);
        const methods = await methodsOf(oid);
        expect(methods).toHaveLength(1);
        expect(methods[0]!.kind).toBe(k.kind);
        expect(methods[0]!.confirmedAt).not.toBeNull();
        expect(done.text).toContain(methods[0]!.maskedDestination!);
        expect(done.text).not.toContain(dest);
      });
    }

    test(`R19: in the sitting where the first method was just confirmed, a second one needs no further code (${locale})`, async () => {
      const oid = newUser();
      const address = `first.${++n}@example.org`;
      secrets.push(address);
      const overview = await openSecurityInfo(oid, locale);
      const entry = await addKind(oid, overview, 'email', locale);
      const sent = await turn(oid, { value: { ...action(entry, 'si.destination'), destination: address } }, locale);
      const code = outbox().lastCode(address)!;
      secrets.push(code);
      const saved = await turn(oid, { value: { ...action(sent, 'si.code'), code } }, locale);
      const next = await addKind(oid, saved, 'authenticatorApp', locale);
      // R35: in Teams the QR code is only in the dialog page; the chat card opens it.
      expect(action(next, 'openAuthenticatorDialog').ticket).toMatch(/^[0-9a-f]{32}$/);
      expect(findAll(next.posts, (x) => x.type === 'Image')).toHaveLength(0);
      expect(outbox().list(address).filter((e) => e.kind === 'code')).toHaveLength(1);
    });

    test(`R12 R35 fallback: where dialogs do not open, authenticator app — QR + key in a card, code accepted, the QR card is replaced (${locale})`, async () => {
      const oid = newUser();
      const overview = await openSecurityInfo(oid, locale, NO_DIALOGS);
      const enrol = await addKind(oid, overview, 'authenticatorApp', locale, NO_DIALOGS);
      const image = findAll(enrol.posts, (x) => x.type === 'Image')[0];
      expect(image.url).toMatch(/^data:image\/png;base64,/);
      const keyBlock = findAll(enrol.posts, (x) => x.type === 'TextBlock' && x.fontType === 'Monospace')[0];
      const secret = String(keyBlock.text).split(/:\s*/).pop()!.replace(/\s/g, '');
      expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
      secrets.push(secret);
      const engine = new OtplibTotpEngine();
      const wrong = await turn(oid, { value: { ...action(enrol, 'si.totp'), code: '000000' === engine.generate(secret, Date.now()) ? '111111' : '000000' } }, locale, NO_DIALOGS);
      expect(wrong.puts).toHaveLength(0);
      expect((await methodsOf(oid))[0]!.confirmedAt).toBeNull();
      const done = await turn(oid, { value: { ...action(enrol, 'si.totp'), code: engine.generate(secret, Date.now()) } }, locale, NO_DIALOGS);
      expect(done.text).toContain(saved);
      expect((await methodsOf(oid))[0]).toMatchObject({ kind: 'authenticatorApp' });
      expect((await methodsOf(oid))[0]!.confirmedAt).not.toBeNull();
      // The card that showed the secret was replaced by one without it.
      expect(done.puts).toHaveLength(1);
      expect(JSON.stringify(done.puts[0]!.body)).not.toContain(secret.slice(0, 8));
      expect(JSON.stringify(done.puts[0]!.body)).not.toContain('data:image');
    });

    test(`R35 fallback: where dialogs do not open, recovery codes — shown once in a card, "I saved them" replaces it (${locale})`, async () => {
      const oid = newUser();
      const overview = await openSecurityInfo(oid, locale, NO_DIALOGS);
      const shown = await addKind(oid, overview, 'recoveryCodes', locale, NO_DIALOGS);
      const codes = String(findAll(shown.posts, (x) => x.type === 'TextBlock' && x.fontType === 'Monospace')[0].text).split(/\s+/).filter(Boolean);
      expect(codes).toHaveLength(10);
      for (const c of codes) expect(c).toMatch(/^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);
      secrets.push(...codes);
      const saved2 = await turn(oid, { value: action(shown, 'si.codesSaved') }, locale, NO_DIALOGS);
      expect(saved2.puts).toHaveLength(1);
      expect(JSON.stringify(saved2.puts[0]!.body)).not.toContain(codes[0]!);
      expect((await methodsOf(oid))[0]).toMatchObject({ kind: 'recoveryCodes' });
      expect(await running.app.services.security.recoveryCodes.remaining(userRef(oid))).toBe(10);
    });

    test(`R13: security questions (enabled by policy) — five answered, stored hashed, card replaced (${locale})`, async () => {
      const oid = newUser();
      const overview = await openSecurityInfo(oid, locale);
      const card = await addKind(oid, overview, 'securityQuestions', locale);
      const sets = findAll(card.posts, (x) => x.type === 'Input.ChoiceSet');
      expect(sets).toHaveLength(5);
      for (const s of sets) expect(s.label).toBeTruthy();
      const ids = sets[0].choices.slice(0, 5).map((c: any) => c.value);
      const answers = ['Blauwvoet', 'Zandvoort', 'Lindenhof', 'Marktstraat', 'Kaasboer'].map((a) => `${a}${locale.slice(0, 2)}`);
      secrets.push(...answers);
      const value: Record<string, string> = { ...action(card, 'si.questions') };
      ids.forEach((id: string, i: number) => {
        value[`q${i + 1}`] = id;
        value[`a${i + 1}`] = answers[i]!;
      });
      // A duplicate answer is refused with the question it concerns, nothing stored, and the card re-offered.
      const dup = await turn(oid, { value: { ...value, a2: answers[0] } }, locale);
      expect(dup.text).toContain(locale.startsWith('nl') ? 'Elk antwoord moet anders zijn' : 'Each answer must be different');
      expect(dup.puts).toHaveLength(1);
      expect(await methodsOf(oid)).toHaveLength(0);
      const done = await turn(oid, { value: { ...value, flowId: action(dup, 'si.questions').flowId } }, locale);
      expect(done.text).toContain(saved);
      expect(done.puts).toHaveLength(1);
      expect(JSON.stringify(done.puts)).not.toContain(answers[0]!);
      const m = (await methodsOf(oid))[0]!;
      expect(m).toMatchObject({ kind: 'securityQuestions', questionIds: ids });
    });
  }
});

describe('R35: in Teams the QR code, key and recovery codes appear only in the dialog page, behind a single-use ticket', () => {
  const devUser = (oid: string): string => `${TENANT}:${oid}`;
  async function page(oid: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; json: any }> {
    const res = await fetch(`${running.baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { 'X-Dev-User': devUser(oid), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }
  /** The card button as Teams sends it: a task/fetch invoke; the bot answers with the page to open as a dialog. */
  async function taskFetch(oid: string, data: unknown): Promise<URL> {
    const res = await fetch(`${running.baseUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...teamsActivity({ type: 'invoke', userObjectId: oid, serviceUrl: connector.url, value: { data, context: { theme: 'default' } }, expectReplies: false }), name: 'task/fetch' }),
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ task: { type: 'continue' } });
    return new URL(String(body.task.value.url));
  }
  /** Every text in what the bot sent to the chat (cards, updates): where no secret may be. */
  const chatText = (r: TurnResult): string => JSON.stringify([r.posts, r.puts]);
  async function ticketTtl(ticket: string): Promise<number> {
    const redis = new Redis(redisServer.url);
    try {
      const [key] = await redis.keys(`*enrolticket:${ticket}`);
      return key ? redis.pttl(key) : -2;
    } finally {
      redis.disconnect();
    }
  }

  test('R35 R12: the authenticator — the chat card opens the page; the QR code and key only there, once, to this user only; the first code confirms it', async () => {
    const oid = newUser();
    const other = newUser();
    const overview = await openSecurityInfo(oid, 'en-US');
    const enrol = await addKind(oid, overview, 'authenticatorApp', 'en-US');
    expect(findAll(enrol.posts, (x) => x.type === 'Image')).toHaveLength(0);
    expect(chatText(enrol)).not.toMatch(/[A-Z2-7]{4}( ?[A-Z2-7]{4}){3,}/);
    expect(chatText(enrol)).not.toContain('otpauth');
    const open = action(enrol, 'openAuthenticatorDialog');
    expect(open.msteams).toEqual({ type: 'task/fetch' });
    const url = await taskFetch(oid, open);
    expect(url.pathname).toBe('/app/authenticator/');
    const ticket = url.searchParams.get('ticket')!;
    expect(ticket).toBe(open.ticket);
    // Expiring: the ticket lives at most 10 minutes.
    const ttl = await ticketTtl(ticket);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600_000);
    // Another user's session cannot use it (and does not use it up).
    expect(await page(other, `/api/enrolments/${ticket}`)).toEqual({ status: 404, json: { error: 'not_found' } });
    const shown = await page(oid, `/api/enrolments/${ticket}`);
    expect(shown.status).toBe(200);
    expect(shown.json).toMatchObject({ kind: 'authenticator', qrDataUri: expect.stringMatching(/^data:image\/png;base64,/) });
    const secret = String(shown.json.key).replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    secrets.push(secret);
    // Single use: a second read shows nothing.
    expect(await page(oid, `/api/enrolments/${ticket}`)).toEqual({ status: 404, json: { error: 'not_found' } });
    // The other user cannot confirm with it either; the owner can.
    const engine = new OtplibTotpEngine();
    expect((await page(other, `/api/enrolments/${ticket}/confirm`, { method: 'POST', body: { code: engine.generate(secret, Date.now()) } })).status).toBe(404);
    expect(await page(oid, `/api/enrolments/${ticket}/confirm`, { method: 'POST', body: { code: engine.generate(secret, Date.now()) } })).toEqual({ status: 200, json: { status: 'confirmed' } });
    expect((await methodsOf(oid))[0]).toMatchObject({ kind: 'authenticatorApp', confirmedAt: expect.any(Number) });
    const back = await turn(oid, { value: action(enrol, 'si.back') });
    expect(chatText(back)).not.toContain(secret.slice(0, 8));
  });

  test('R35: recovery codes — made and shown by the page, once, to this user only; nothing of them in the chat', async () => {
    const oid = newUser();
    const other = newUser();
    const overview = await openSecurityInfo(oid, 'nl-NL');
    const card = await addKind(oid, overview, 'recoveryCodes', 'nl-NL');
    expect(card.text).toContain('Voor je veiligheid staan je herstelcodes alleen in een apart venster');
    expect(chatText(card)).not.toMatch(/[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}/);
    const open = action(card, 'openRecoveryCodesDialog');
    const url = await taskFetch(oid, open);
    expect(url.searchParams.get('show')).toBe('recoveryCodes');
    expect(await page(other, `/api/enrolments/${open.ticket}`)).toEqual({ status: 404, json: { error: 'not_found' } });
    // No codes exist before the page shows them.
    expect(await methodsOf(oid)).toEqual([]);
    const shown = await page(oid, `/api/enrolments/${open.ticket}`);
    expect(shown.status).toBe(200);
    expect(shown.json.kind).toBe('recoveryCodes');
    expect(shown.json.codes).toHaveLength(10);
    for (const c of shown.json.codes) expect(c).toMatch(/^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);
    secrets.push(...(shown.json.codes as string[]));
    expect(await page(oid, `/api/enrolments/${open.ticket}`)).toEqual({ status: 404, json: { error: 'not_found' } });
    expect(await running.app.services.security.recoveryCodes.remaining(userRef(oid))).toBe(10);
    expect((await methodsOf(oid))[0]).toMatchObject({ kind: 'recoveryCodes' });
    // The other user's attempt made no codes for them.
    expect(await methodsOf(other)).toEqual([]);
  });
});

describe('R19 / R18: changing security info needs a proof; the old method is told', () => {
  test('R19: a second method requires proving the first; R18 Teams + mail notifications; change tells the old address; R4 remove warns', async () => {
    const oid = newUser();
    const emailA = 'grace.a@example.net';
    const emailB = 'grace.b@example.org';
    const phone = '+31 6 3456 7890';
    secrets.push(emailA, emailB, phone.replace(/\s/g, ''));
    let overview = await openSecurityInfo(oid, 'en-US');
    // 1. First method, e-mail A.
    let entry = await addKind(oid, overview, 'email', 'en-US');
    let sent = await turn(oid, { value: { ...action(entry, 'si.destination'), destination: emailA } });
    const firstCode = outbox().lastCode(emailA)!;
    secrets.push(firstCode);
    overview = await turn(oid, { value: { ...action(sent, 'si.code'), code: firstCode } });
    expect(overview.text).toContain('Saved');
    // R18: a Teams message about the change (proactive, to the connector) and the mail to the registered address.
    // (The Teams message is a proactive turn that runs once this turn has released the conversation lock.)
    await eventually(() => connector.activities.some((p) => String(p.text ?? '').includes('Your security info changed')));
    await eventually(() => outbox().list(emailA).some((e) => e.kind === 'notification' && e.template === 'methodsChanged'));

    // 2. Ten minutes later (the R31 proof window; the window itself is tested in test/unit/securityInfo/): adding a
    //    mobile phone needs proof of the e-mail first; the destination card is not offered before that.
    await turn(oid, { text: 'cancel' });
    await tenMinutesLater(oid);
    overview = await turn(oid, { value: { verb: 'menu', choice: 'securityInfo' } });
    const proofCard = await addKind(oid, overview, 'mobilePhone', 'en-US');
    expect(proofCard.text).toContain("First, prove it's you");
    expect(proofCard.text).toContain('g•••@example.net');
    const sneak = await turn(oid, { value: { verb: 'si.destination', flowId: action(proofCard, 'si.proveWith').flowId, destination: phone } });
    expect(sneak.text).toContain('That card is no longer active');
    expect(await methodsOf(oid)).toHaveLength(1);
    await gapPassed(oid, 'email', emailA);
    const challenge = await turn(oid, { value: action(proofCard, 'si.proveWith') });
    expect(challenge.text).toContain('I sent a 6-digit code to g•••@example.net');
    const proofCode = outbox().lastCode(emailA)!;
    secrets.push(proofCode);
    expect(proofCode).not.toBe(firstCode);
    const wrong = await turn(oid, { value: { ...action(challenge, 'si.proof'), code: proofCode === '999999' ? '999998' : '999999' } });
    expect(wrong.text).toContain("That code isn't right");
    entry = await turn(oid, { value: { ...action(challenge, 'si.proof'), code: proofCode } });
    sent = await turn(oid, { value: { ...action(entry, 'si.destination'), destination: phone } });
    const smsCode = outbox().lastCode(phone.replace(/\s/g, ''))!;
    secrets.push(smsCode);
    overview = await turn(oid, { value: { ...action(sent, 'si.code'), code: smsCode } });
    expect(overview.text).toContain('Saved');
    expect(overview.text).toContain('enough confirmed methods');
    expect((await methodsOf(oid)).map((m) => m.kind).sort()).toEqual(['email', 'mobilePhone']);

    // 3. Change e-mail A → B in the same sitting (the proof is fresh): B becomes active only after its own code,
    //    A stays active until then, and A is told.
    const emailMethod = (await methodsOf(oid)).find((m) => m.kind === 'email')!;
    const before = outbox().list(emailA).filter((e) => e.kind === 'notification').length;
    entry = await turn(oid, { value: action(overview, 'si.change', (d) => d.methodId === emailMethod.id) });
    await gapPassed(oid, 'email', emailB);
    sent = await turn(oid, { value: { ...action(entry, 'si.destination'), destination: emailB } });
    expect((await methodsOf(oid)).find((m) => m.id === emailMethod.id)).toBeDefined();
    const bCode = outbox().lastCode(emailB)!;
    secrets.push(bCode);
    overview = await turn(oid, { value: { ...action(sent, 'si.code'), code: bCode } });
    expect(overview.text).toContain('Saved');
    const emails = (await methodsOf(oid)).filter((m) => m.kind === 'email');
    expect(emails).toHaveLength(1);
    expect(emails[0]!.maskedDestination).toBe('g•••@example.org');
    await eventually(() => outbox().list(emailA).filter((e) => e.kind === 'notification').length === before + 1);
    await eventually(() => outbox().list(emailB).some((e) => e.kind === 'notification'));

    // 4. Remove ten minutes later: R4 warning, then the proof, then removal; the removed address is told.
    const done = await turn(oid, { value: action(overview, 'si.done') });
    expect(done.text).toContain('Done.');
    await tenMinutesLater(oid);
    overview = await turn(oid, { value: { verb: 'menu', choice: 'securityInfo' } });
    const newEmail = emails[0]!;
    const warn = await turn(oid, { value: action(overview, 'si.remove', (d) => d.methodId === newEmail.id) });
    expect(warn.text).toContain("you won't have enough methods left");
    const proof2 = await turn(oid, { value: action(warn, 'si.removeConfirm') });
    expect(proof2.text).toContain("First, prove it's you");
    expect(await methodsOf(oid)).toHaveLength(2);
    await gapPassed(oid, 'sms', phone.replace(/\s/g, ''));
    const ch2 = await turn(oid, { value: action(proof2, 'si.proveWith', (d) => String(d.choice).endsWith('~sms')) });
    expect(ch2.text).toContain('•••••••••90');
    const code2 = outbox().lastCode(phone.replace(/\s/g, ''))!;
    secrets.push(code2);
    // R31 + R4: the user has two kinds, so the removal needs a second proof of another kind (the e-mail).
    const second = await turn(oid, { value: { ...action(ch2, 'si.proof'), code: code2 } });
    expect(second.text).toContain('To change your security info, confirm a second method');
    expect(await methodsOf(oid)).toHaveLength(2);
    await gapPassed(oid, 'email', emailB);
    const ch3 = await turn(oid, { value: action(second, 'si.proveWith') });
    expect(ch3.text).toContain('g•••@example.org');
    const code3 = outbox().lastCode(emailB)!;
    secrets.push(code3);
    const removed = await turn(oid, { value: { ...action(ch3, 'si.proof'), code: code3 } });
    expect(removed.text).toContain('The method was removed');
    expect((await methodsOf(oid)).map((m) => m.kind)).toEqual(['mobilePhone']);
    await eventually(() => outbox().list(emailB).filter((e) => e.kind === 'notification').length >= 2);
  });
});

describe('R31 R4: a stolen laptop that reads one method cannot change security info with that one proof', () => {
  /** A user who registered an e-mail address and a mobile phone a day ago (both confirmed). */
  async function seedTwoKinds(oid: string, mail: string, phone: string): Promise<void> {
    const long = Date.now() - 86_400_000;
    const store = running.app.services.security.methods;
    await store.save(userRef(oid), {
      method: { id: 'mail1', kind: 'email', maskedDestination: 'v•••@fabrikam.example', confirmedAt: long, lastUsedAt: null, createdAt: long, source: 'user', channels: ['email'] },
      secrets: { destination: mail },
    });
    await store.save(userRef(oid), {
      method: { id: 'mob1', kind: 'mobilePhone', maskedDestination: '•••••••••21', confirmedAt: long, lastUsedAt: null, createdAt: long, source: 'user', channels: ['sms', 'voice'] },
      secrets: { destination: phone },
    });
  }

  for (const { locale, second, first } of [
    { locale: 'en-US', second: 'To change your security info, confirm a second method', first: "First, prove it's you" },
    { locale: 'nl-NL', second: 'Om je beveiligingsgegevens te wijzigen, bevestig je nog een tweede methode', first: 'Laat eerst zien dat jij het bent' },
  ]) {
    test(`R31: chat — one proof (the e-mail) then adding a phone, new recovery codes or an authenticator asks for a second method of another kind (${locale})`, async () => {
      const oid = newUser();
      const mail = `victim.${locale}@fabrikam.example`;
      const phone = locale === 'en-US' ? '+31612340021' : '+31612350021';
      secrets.push(mail, phone);
      await seedTwoKinds(oid, mail, phone);
      let overview = await turn(oid, { value: { verb: 'menu', choice: 'securityInfo' } }, locale);
      const proofCard = await addKind(oid, overview, 'recoveryCodes', locale);
      expect(proofCard.text).toContain(first);
      // The thief reads the e-mail in the browser and proves it.
      const challenge = await turn(oid, { value: action(proofCard, 'si.proveWith', (d) => String(d.choice).endsWith('~email')) }, locale);
      const code = outbox().lastCode(mail)!;
      secrets.push(code);
      const asked = await turn(oid, { value: { ...action(challenge, 'si.proof'), code } }, locale);
      expect(asked.text).toContain(second);
      // Only the phone is offered as the second proof; no recovery codes were made, nothing opens.
      const offered = actions(asked.posts).filter((d) => d.verb === 'si.proveWith').map((d) => d.choice);
      expect(offered.length).toBeGreaterThan(0);
      expect(offered.every((c: string) => c.startsWith('mob1~'))).toBe(true);
      expect(actions(asked.posts).some((d) => d.verb === 'openRecoveryCodesDialog' || d.verb === 'openAuthenticatorDialog')).toBe(false);
      expect((await methodsOf(oid)).map((m) => m.kind).sort()).toEqual(['email', 'mobilePhone']);
      // Adding the thief's own phone (the mobile slot is taken: an office phone), or an authenticator: the same ask, no
      // destination card, no enrolment.
      for (const kind of ['officePhone', 'authenticatorApp']) {
        await turn(oid, { text: locale === 'en-US' ? 'cancel' : 'annuleren' }, locale);
        overview = await turn(oid, { value: { verb: 'menu', choice: 'securityInfo' } }, locale);
        const again = await addKind(oid, overview, kind, locale);
        expect(again.text).toContain(second);
        expect(actions(again.posts).some((d) => d.verb === 'si.destination' || d.verb === 'openAuthenticatorDialog')).toBe(false);
      }
      expect((await methodsOf(oid)).map((m) => m.kind).sort()).toEqual(['email', 'mobilePhone']);
    });
  }
});

describe('user seat: a registration left waiting for its code', () => {
  for (const { locale, saved } of LOCALES)
    test(`R4: the overview offers "Start again" (not a "Confirm" that answers "doesn't need to be confirmed"); it sends a new code and the method is added (${locale})`, async () => {
      const oid = newUser();
      const nl = locale.startsWith('nl');
      const address = `left.waiting.${oid.slice(-4)}.${nl ? 'nl' : 'en'}@example.org`;
      secrets.push(address);
      const overview = await openSecurityInfo(oid, locale);
      const entry = await addKind(oid, overview, 'email', locale);
      await turn(oid, { value: { ...action(entry, 'si.destination'), destination: address } }, locale);
      const first = outbox().lastCode(address)!;
      secrets.push(first);
      // The user walks away (cancels) and comes back to the overview later.
      await turn(oid, { text: nl ? 'stoppen' : 'cancel' }, locale);
      const back = await turn(oid, { text: nl ? 'mijn beveiligingsgegevens' : 'my security info' }, locale);
      const pending = (await methodsOf(oid))[0]!;
      expect(pending.confirmedAt).toBeNull();
      const forIt = actions(back.posts).filter((d) => d.methodId === pending.id);
      expect(forIt.map((d) => d.verb).sort()).toEqual(['si.change', 'si.remove']);
      const titles = findAll(back.posts, (x) => x.type === 'Action.Submit' && x.data?.methodId === pending.id).map((x) => x.title);
      expect(titles).toContain(nl ? 'Opnieuw beginnen' : 'Start again');
      // Starting again asks for the address again and sends a new code; confirming it adds the method (not "changed").
      const again = await turn(oid, { value: forIt.find((d) => d.verb === 'si.change') }, locale);
      expect(again.text).not.toContain(nl ? 'hoeft niet bevestigd te worden' : "doesn't need to be confirmed");
      await gapPassed(oid, 'email', address);
      const sent = await turn(oid, { value: { ...action(again, 'si.destination'), destination: address } }, locale);
      const code = outbox().lastCode(address)!;
      secrets.push(code);
      expect(code).not.toBe(first);
      const done = await turn(oid, { value: { ...action(sent, 'si.code'), code } }, locale);
      expect(done.text).toContain(saved);
      const methods = await methodsOf(oid);
      expect(methods).toHaveLength(1);
      expect(methods[0]!.confirmedAt).not.toBeNull();
    });
});

describe('Bad input: polite localized re-ask, nothing stored, the flow stays where it was', () => {
  const cases: { name: string; value: (flowId: string) => unknown; text?: string; en: string; nl: string }[] = [
    { name: 'wrong verb', value: (f) => ({ verb: 'si.nope', flowId: f }), en: "Sorry, I couldn't read that", nl: 'Sorry, dat kon ik niet lezen' },
    { name: 'stale flow id', value: () => ({ verb: 'si.destination', flowId: 'AAAAAAAAAAAAAAAAAAAA', destination: '+31612345678' }), en: 'That card is no longer active', nl: 'Die kaart is niet meer actief' },
    { name: 'a verb of another stage', value: (f) => ({ verb: 'si.code', flowId: f, code: '123456' }), en: 'That card is no longer active', nl: 'Die kaart is niet meer actief' },
    { name: 'missing field', value: (f) => ({ verb: 'si.destination', flowId: f }), en: "Sorry, I couldn't read that", nl: 'Sorry, dat kon ik niet lezen' },
    { name: '10 KB string', value: (f) => ({ verb: 'si.destination', flowId: f, destination: '6'.repeat(10_240) }), en: "Sorry, I couldn't read that", nl: 'Sorry, dat kon ik niet lezen' },
    { name: 'emoji', value: (f) => ({ verb: 'si.destination', flowId: f, destination: '📞📞📞📞📞📞' }), en: "That isn't a valid phone number", nl: 'Dat is geen geldig telefoonnummer' },
    { name: 'RTL text', value: (f) => ({ verb: 'si.destination', flowId: f, destination: '\u202Eمرحبا بالعالم' }), en: "That isn't a valid phone number", nl: 'Dat is geen geldig telefoonnummer' },
    { name: 'line break', value: (f) => ({ verb: 'si.destination', flowId: f, destination: '+31612345678\nBcc: x@y.z' }), en: "That isn't a valid phone number", nl: 'Dat is geen geldig telefoonnummer' },
    { name: 'R30 foreign number', value: (f) => ({ verb: 'si.destination', flowId: f, destination: '+7 912 345 67 89' }), en: "Numbers from that country can't be used", nl: 'Nummers uit dat land kun je hier niet gebruiken' },
    { name: 'R30 premium-rate number', value: (f) => ({ verb: 'si.destination', flowId: f, destination: '+31 900 1234567' }), en: 'Premium-rate and shared-cost numbers', nl: 'Betaalnummers en nummers met gedeelde kosten' },
    { name: 'typed text instead of the card', value: () => undefined, text: 'my number is 0612345678', en: 'Please use the buttons and fields', nl: 'Gebruik de knoppen en velden' },
  ];
  for (const { locale } of LOCALES) {
    test(`R30: every bad input is refused politely, nothing is stored, then a valid number works (${locale})`, async () => {
      const oid = newUser();
      const overview = await openSecurityInfo(oid, locale);
      const entry = await addKind(oid, overview, 'mobilePhone', locale);
      const flowId = action(entry, 'si.destination').flowId;
      for (const c of cases) {
        const r = await turn(oid, c.text ? { text: c.text } : { value: c.value(flowId) }, locale);
        expect([c.name, r.text]).toEqual([c.name, expect.stringContaining(locale.startsWith('nl') ? c.nl : c.en)]);
        expect(await methodsOf(oid)).toHaveLength(0);
      }
      expect(outbox().list().filter((e) => e.correlationId === flowId)).toHaveLength(0);
      const good = `+31 6 4567 ${locale.startsWith('nl') ? '1111' : '2222'}`;
      secrets.push(good.replace(/\s/g, ''));
      const sent = await turn(oid, { value: { verb: 'si.destination', flowId, destination: good } }, locale);
      const code = outbox().lastCode(good.replace(/\s/g, ''))!;
      secrets.push(code);
      // A malformed code is refused without using up a try; the right one still works.
      const bad = await turn(oid, { value: { ...action(sent, 'si.code'), code: '12ab!' } }, locale);
      expect(bad.text).toContain(locale.startsWith('nl') ? 'Dat lijkt geen code' : "That doesn't look like a code");
      const done = await turn(oid, { value: { ...action(sent, 'si.code'), code } }, locale);
      expect((await methodsOf(oid))[0]!.confirmedAt).not.toBeNull();
      expect(done.text).toContain(locale.startsWith('nl') ? 'Opgeslagen' : 'Saved');
    });
  }
});

describe('R20 / R15: after the registration tests, no secret in clear in Redis or the logs', () => {
  test('R20: a scan of every Redis key and value and of the captured logs finds no phone number, address, code, answer or TOTP secret', async () => {
    expect(secrets.length).toBeGreaterThan(40);
    const redis = new Redis(redisServer.url);
    try {
      const parts: string[] = [];
      const keys = await redis.keys('*');
      expect(keys.length).toBeGreaterThan(10);
      for (const k of keys) {
        parts.push(k);
        const type = await redis.type(k);
        if (type === 'string') parts.push((await redis.getBuffer(k))?.toString('latin1') ?? '');
        else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(k)));
        else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(k)));
        else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(k, '0', '-1', 'WITHSCORES')));
        else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(k, 0, -1)));
      }
      const dump = parts.join('\n');
      const logs = running.logs.text;
      expect(logs.length).toBeGreaterThan(0);
      const found: string[] = [];
      for (const s of new Set(secrets)) {
        const needles = /^\+?\d+$/.test(s) ? [s, s.replace(/^\+/, '')] : [s, s.toLowerCase()];
        for (const needle of needles) {
          // Digits-only secrets must stand alone, so timestamps that happen to contain the digits do not count.
          const re = /^\d+$/.test(needle) ? new RegExp(`(?<!\\d)${needle}(?!\\d)`) : new RegExp(needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
          if (re.test(dump)) found.push(`redis: ${s}`);
          if (re.test(logs)) found.push(`logs: ${s}`);
        }
      }
      expect(found).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});
