/**
 * Session 6, from the user's seat: a disabled account is not invited to register (it is pointed to the helpdesk);
 * the Teams "security info changed" notice says what changed, when and what to do if it wasn't them, with the
 * destination masked; one clock per user — the chat and the e-mail of the same turn write the time alike (en-US
 * 12-hour, Dutch 24-hour); replaced cards keep their heading and only the first of a run says "replaced by a newer
 * step below". Run before the fix (at 51f58d3) every test here failed: the disabled user got "Register them now",
 * the notice said only "A verification method was added, changed or removed", the chat said "08:41 PM" where the
 * mail said "20:41 CET", and every replaced card said "This card is no longer active."
 */
import { readFileSync } from 'node:fs';
import { isInactiveCardUpdate, post, replyText, teamsActivity } from '../support/activities';
import { journeySuite } from '../support/journeySuite';
import { en } from '../support/locale';
import { t } from '../../locales';
import { Chat, mailOf, oid, phoneOf, register, waitFor } from './resetJourneyKit';

const kit = journeySuite({ disabled: [23, 24] });
const outbox = () => kit.run.app.services.security.outbox!;
const policy = JSON.parse(readFileSync('config/policy.default.json', 'utf8')) as { codes: { lifetimeSeconds: number }; helpdesk: { contactText: { en: string; nl: string } } };

describe('welcome: what a user can do', () => {
  test('R2/R17: a disabled account is told plainly to contact the helpdesk, not invited to register (en)', async () => {
    const text = await new Chat(kit, 23, 'en-US').send({ text: 'hi' });
    expect(text).toContain(en('precheck.account_disabled.title'));
    expect(text).toContain(en('welcome.helpdeskOnly', { contact: policy.helpdesk.contactText.en }));
    expect(text).not.toContain(en('welcome.noMethods'));
  });

  test('R2/R17: the same in Dutch', async () => {
    const text = await new Chat(kit, 24, 'nl-NL').send({ text: 'hoi' });
    expect(text).toContain(t('nl', 'precheck.account_disabled.title'));
    expect(text).toContain(t('nl', 'welcome.helpdeskOnly', { contact: policy.helpdesk.contactText.nl }));
    expect(text).not.toContain(t('nl', 'welcome.noMethods'));
  });

  test('an enabled account without methods is still invited to register', async () => {
    const text = await new Chat(kit, 25, 'en-US').send({ text: 'hi' });
    expect(text).toContain(en('welcome.noMethods'));
    expect(text).not.toContain(en('welcome.helpdeskOnly', { contact: policy.helpdesk.contactText.en }));
  });
});

/** Adds a mobile phone through My security info and confirms it with the code from the outbox. */
async function addPhone(chat: Chat, n: number): Promise<void> {
  await chat.send({ text: 'menu' });
  await chat.send({ value: chat.lastCardActions().find((a) => a.verb === 'menu' && a.choice === 'securityInfo') });
  await chat.send({ value: chat.action('si.add') });
  await chat.send({ value: { ...chat.lastCardActions().find((a) => a.verb === 'si.kind' && a.kind === 'mobilePhone') } });
  await chat.send({ value: { ...chat.action('si.destination'), destination: phoneOf(n) } });
  await chat.send({ value: { ...chat.action('si.code'), code: outbox().lastCode(phoneOf(n)) } });
}

test.each([
  ['en-US', 'en', 26],
  ['nl-NL', 'nl', 27],
] as const)('R18 R20: the Teams "security info changed" notice says what changed, when, and what to do if not you — masked (%s)', async (tag, lang, n) => {
  const zone = 'Europe/Amsterdam';
  const chat = new Chat(kit, n, tag);
  chat.extra = { localTimezone: zone };
  const before = kit.stub.calls.length;
  await addPhone(chat, n);
  const title = t(lang, 'notify.methods_changed.title');
  await waitFor(() => kit.stub.calls.slice(before).some((c) => JSON.stringify(c.body ?? '').includes(title)));
  const notice = String((kit.stub.calls.slice(before).find((c) => JSON.stringify(c.body ?? '').includes(title))?.body as { text?: string }).text);
  const what = t(lang, 'notice.change.added', { method: `${t(lang, 'securityInfo.kindInline.mobilePhone')} •••••••••${phoneOf(n).slice(-2)}` });
  expect(notice.toLowerCase()).toContain(what.toLowerCase());
  const day = new Intl.DateTimeFormat(lang === 'nl' ? 'nl-NL' : 'en-US', { year: 'numeric', month: 'long', day: 'numeric', timeZone: zone }).format(kit.clock.now());
  expect(notice).toContain(day);
  expect(notice).toMatch(/CET|GMT\+1|CEST|GMT\+2/);
  expect(notice).toContain(t(lang, 'notify.methods_changed.notYou'));
  expect(notice).not.toContain(t(lang, 'notify.methods_changed.body'));
  // Never the value: not the number, not even its last six digits.
  expect(notice).not.toContain(phoneOf(n).slice(-6));
});

describe('one clock per user: the chat and the e-mail of a turn write the time alike', () => {
  /** The clock reading of `at` ± a minute (the code service rounds) as a locale writes it natively. */
  const readings = (at: number, zone: string, tag: string, o: Intl.DateTimeFormatOptions): string[] =>
    [-60_000, 0, 60_000, 120_000].map((d) => new Intl.DateTimeFormat(tag, { ...o, minute: '2-digit', timeZone: zone }).format(at + d));

  test.each([
    ['en-US', 28, { hour: 'numeric' }, /\b0\d:\d\d [AP]M/],
    ['nl-NL', 29, { hour: '2-digit', hourCycle: 'h23' }, /[AP]M/],
  ] as const)('R6: %s — the code card and the code e-mail show the same clock, the e-mail names the zone', async (tag, n, hour, never) => {
    const zone = 'Europe/Amsterdam';
    await register(kit, n, ['email']);
    const chat = new Chat(kit, n, tag);
    chat.extra = { localTimezone: zone };
    await chat.send({ text: tag.startsWith('nl') ? 'ik ben mijn wachtwoord vergeten' : 'I forgot my password' });
    const card = await chat.send({ value: chat.action('verify.choose', '~email') });
    const mail = outbox().list(mailOf(n)).filter((e) => e.kind === 'code').at(-1)!.text;
    const options = readings(kit.clock.now() + policy.codes.lifetimeSeconds * 1000, zone, tag, hour);
    const shown = options.find((o) => card.includes(o));
    expect(shown).toBeDefined();
    expect(mail).toMatch(new RegExp(`${shown!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (CET|GMT\\+1|CEST|GMT\\+2)`));
    expect(card).not.toMatch(never);
    expect(mail).not.toMatch(never);
  });
});

test('issue 11 item 4: replaced cards keep their heading, and only the first of the run says "replaced by a newer step below"', async () => {
  const n = 30;
  await register(kit, n, ['email', 'mobilePhone']);
  const turn = async (input: { text?: string; value?: unknown }): Promise<{ posted: unknown[]; inactive: string[] }> => {
    const before = kit.stub.calls.length;
    const res = await post(kit.run.baseUrl, teamsActivity({ ...input, userObjectId: oid(n), conversationId: `a:${oid(n)}:replaced`, serviceUrl: kit.stub.url, expectReplies: false }));
    expect(res.status).toBeLessThan(300);
    const calls = kit.stub.calls.slice(before);
    return { posted: calls.filter((c) => c.method === 'POST').map((c) => c.body), inactive: calls.filter((c) => c.method === 'PUT' && isInactiveCardUpdate(c.body)).map((c) => JSON.stringify(c.body)) };
  };
  const first = await turn({ text: 'I forgot my password' });
  const choose = JSON.stringify(first.posted).match(/\{[^{}]*"verb":"verify\.choose"[^{}]*~email"[^{}]*\}/)?.[0];
  expect(choose).toBeDefined();
  const second = await turn({ value: JSON.parse(choose!) as unknown });
  expect(replyText(second.posted as never)).toContain(en('verify.code.title'));
  expect(second.inactive.length).toBeGreaterThanOrEqual(2);
  const below = en('card.replaced.below');
  expect(second.inactive.filter((b) => b.includes(below))).toHaveLength(1);
  expect(second.inactive[0]).toContain(below);
  // Each keeps what it was: the welcome's heading, the method list's heading.
  expect(second.inactive.some((b) => b.includes(en('welcome.title', { name: 'Ada' })))).toBe(true);
  expect(second.inactive.some((b) => b.includes(en('verify.choose.title')))).toBe(true);
  expect(second.inactive.join('\n')).not.toContain('This card is no longer active.');
});
