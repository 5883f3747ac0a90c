/**
 * Last session's open item: the chat already showed times in the user's zone, but the e-mail and text the same turn
 * sends (a code e-mail, the R18 notices) still said UTC. Now they are in the zone the user's Teams client names (the
 * activity's localTimezone, else the clientInfo entity's timezone), in the user's language, with the zone named (a
 * mail is read later and elsewhere). Before the fix every test here failed: the texts said "… UTC" and the code mail
 * gave no time at all.
 */
import { journeySuite } from '../support/journeySuite';
import { Chat, mailOf, phoneOf, register, waitFor } from './resetJourneyKit';

const kit = journeySuite();

const outbox = () => kit.run.app.services.security.outbox!;

/**
 * The clock time `at` (give or take two minutes: the services round) in `zone` as the locale writes it — en-US
 * "8:41 PM", en-GB and nl-NL "20:41" — followed by the zone's short name (one clock per user: locales/times.ts).
 */
function namedReadings(at: number, zone: string, tag: string): string[] {
  const clock: Intl.DateTimeFormatOptions = tag === 'en-US' ? { hour: 'numeric', minute: '2-digit' } : { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  return [-120_000, -60_000, 0, 60_000, 120_000].map((d) => new Intl.DateTimeFormat(tag, { ...clock, timeZone: zone, timeZoneName: 'short' }).format(at + d));
}
const showsOneOf = (text: string, options: string[]): boolean => options.some((o) => text.includes(o));

test('R18 (issue 11 open item): the code e-mail says until when, and the password-reset notice when, both in the user\'s zone (Kathmandu, +05:45) and named', async () => {
  const n = 21;
  const zone = 'Asia/Kathmandu';
  await register(kit, n, ['email']);
  const chat = new Chat(kit, n, 'en-US');
  chat.extra = { localTimezone: zone };
  await chat.send({ text: 'I forgot my password' });
  await chat.proveBy('email');
  const codeMail = outbox().list(mailOf(n)).find((e) => e.kind === 'code');
  const lifetime = kit.run.app.config.policy.codes.lifetimeSeconds * 1000;
  // The chat is en-US, so the mail's clock is too ("until 8:41 PM GMT+5:45").
  expect(showsOneOf(codeMail!.text, namedReadings(kit.clock.now() + lifetime, zone, 'en-US').map((r) => `until ${r}`))).toBe(true);
  expect(codeMail!.text).not.toContain('UTC');

  // On a loaded machine the directory write may finish after the turn ("working on it"): wait for the notice itself.
  await chat.submitPassword(`Lantern-${n}-harbour-Velvet`);
  await waitFor(() => outbox().list(mailOf(n)).some((e) => e.template === 'passwordReset'), 30_000);
  const notice = outbox().list(mailOf(n)).find((e) => e.template === 'passwordReset')!.text;
  // Sent inside the turn: the en-US clock; finished in the background (the directory was slow): en-GB.
  const days = ['en-US', 'en-GB'].map((tag) => new Intl.DateTimeFormat(tag, { year: 'numeric', month: 'long', day: 'numeric', timeZone: zone }).format(kit.clock.now()));
  expect(days.some((day) => notice.includes(`on ${day} at `))).toBe(true);
  expect(showsOneOf(notice, [...namedReadings(kit.clock.now(), zone, 'en-US'), ...namedReadings(kit.clock.now(), zone, 'en-GB')])).toBe(true);
  expect(notice).not.toContain('UTC');
});

test('R18 R19 (issue 11 open item): a phone as the first method — the SMS and the mailbox notice are in the zone of the clientInfo entity (St. John\'s, −03:30), in Dutch', async () => {
  const n = 22;
  const zone = 'America/St_Johns';
  const chat = new Chat(kit, n, 'nl-NL');
  chat.extra = { entities: [{ type: 'clientInfo', locale: 'nl-NL', platform: 'Web', timezone: zone }] };
  await chat.send({ text: 'menu' });
  await chat.send({ value: chat.lastCardActions().find((a) => a.verb === 'menu' && a.choice === 'securityInfo') });
  await chat.send({ value: chat.action('si.add') });
  await chat.send({ value: { ...chat.lastCardActions().find((a) => a.verb === 'si.kind' && a.kind === 'mobilePhone') } });
  await chat.send({ value: { ...chat.action('si.destination'), destination: phoneOf(n) } });
  await chat.send({ value: { ...chat.action('si.code'), code: outbox().lastCode(phoneOf(n)) } });
  await waitFor(() => outbox().list(phoneOf(n)).some((e) => e.kind === 'notification'));
  const sms = outbox().list(phoneOf(n)).find((e) => e.kind === 'notification')!.text;
  expect(showsOneOf(sms, namedReadings(kit.clock.now(), zone, 'nl-NL'))).toBe(true);
  expect(sms).not.toContain('UTC');
  // The directory mailbox (the UPN) is told too (R31: the session-only bootstrap), by mail, in the same zone, with the
  // Dutch date ("Op 1 december 2026 om 12:25 GMT-3:30", and the same for "vanaf …").
  await waitFor(() => outbox().list(`tester${n}@contoso.example`).some((e) => e.kind === 'notification'));
  const mail = outbox().list(`tester${n}@contoso.example`).find((e) => e.kind === 'notification')!.text;
  const day = new Intl.DateTimeFormat('nl-NL', { year: 'numeric', month: 'long', day: 'numeric', timeZone: zone }).format(kit.clock.now());
  expect(mail).toContain(`Op ${day} om `);
  expect(showsOneOf(mail, namedReadings(kit.clock.now(), zone, 'nl-NL'))).toBe(true);
  expect(mail).not.toContain('UTC');
});

test('R18: a turn that names no zone (or one the runtime does not know) still gets UTC, and the mail says so', async () => {
  const n = 23;
  await register(kit, n, ['email']);
  const chat = new Chat(kit, n, 'en-US');
  chat.extra = { localTimezone: 'Mars/Olympus_Mons' };
  await chat.send({ text: 'I forgot my password' });
  await chat.send({ value: chat.action('verify.choose', '~email') });
  const codeMail = outbox().list(mailOf(n)).find((e) => e.kind === 'code')!.text;
  const lifetime = kit.run.app.config.policy.codes.lifetimeSeconds * 1000;
  expect(showsOneOf(codeMail, namedReadings(kit.clock.now() + lifetime, 'UTC', 'en-US').map((r) => `until ${r}`))).toBe(true);
});
