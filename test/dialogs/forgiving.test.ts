/**
 * Issue 11 item 3, a forgiving conversation. Each test failed on main at 80ea7da: a code typed as a chat message was
 * refused ("I couldn't read that answer"); "Send a new code" within 60 s bounced to the method list and the valid code
 * could no longer be entered; "use another method" was offered with no other method; Back validated the card's fields;
 * the install welcome said "Hi , I'm…" without the invitation to register; "unlock my account" typed while a card
 * was open got "Please use the buttons"; an agent's "handoff …" typed in the 1:1 chat was read as a reset.
 */
import { t } from '../../locales';
import { buildCodeEntryCard as buildSiCodeEntryCard } from '../../cards/securityInfo/codeEntryCard';
import { post, replyText, teamsActivity } from '../support/activities';
import { journeySuite } from '../support/journeySuite';
import { en } from '../support/locale';
import { Chat, mailOf, oid, register } from './resetJourneyKit';

const kit = journeySuite();

test('issue 11: a code typed as a chat message is taken; resend within a minute keeps the code card and says when; no "another method" when there is none', async () => {
  const n = 21;
  await register(kit, n, ['email']);
  const chat = new Chat(kit, n, 'en-US');
  await chat.send({ text: 'I forgot my password' });
  await chat.send({ value: chat.action('verify.choose', '~email') });
  // One method only: the code card offers no "use another method".
  expect(chat.lastCardActions().map((a) => a.verb)).not.toContain('verify.other');
  const code = kit.run.app.services.security.outbox?.lastCode(mailOf(n));
  expect(code).toMatch(/^\d{6}$/);
  // "Send a new code" at once: the same card again, with the time a new code can go out; no method list.
  const flowId = chat.lastCardActions().find((a) => a.verb === 'verify.code')?.flowId;
  const resent = await chat.send({ value: { verb: 'verify.resend', flowId } });
  expect(resent).toContain(en('verify.resendLater', { time: '§' }).split('§')[0] as string);
  expect(resent).not.toContain(en('verify.choose.title'));
  expect(chat.lastCardActions().map((a) => a.verb)).toContain('verify.code');
  // The code typed as a message works; the bot does not repeat it.
  const answer = await chat.send({ text: `${code!.slice(0, 3)} ${code!.slice(3)}` });
  expect(answer).toContain(en('verify.done'));
  expect(answer).not.toContain(code!);
  expect(chat.hasPasswordCard()).toBe(true);
});

test('issue 11: typing another journey ("unlock my account") while a card is open switches to it', async () => {
  const n = 22;
  await register(kit, n, ['email']);
  const chat = new Chat(kit, n, 'en-US');
  await chat.send({ text: 'I forgot my password' });
  const text = await chat.send({ text: 'unlock my account' });
  expect(text).toContain(en('precheck.not_locked.title'));
});

test('issue 11: "handoff …" typed in the 1:1 chat gets a pointer to the helpdesk channel, not a reset of the own account', async () => {
  const chat = new Chat(kit, 23, 'en-US');
  const text = await chat.send({ text: 'handoff megan.bowen@contoso.example reset' });
  expect(text).toContain(en('helpdeskCommand.pointer'));
  expect(text).not.toContain(en('precheck.not_registered.title'));
});

test('issue 11: "thanks" and "menu" are understood', async () => {
  const chat = new Chat(kit, 24, 'nl-NL');
  expect(await chat.send({ text: 'bedankt!' })).toContain(t('nl', 'thanks.reply'));
  expect(await chat.send({ text: 'menu' })).toContain(t('nl', 'menu.title'));
});

test('issue 11: Back and Cancel never validate — secondary buttons carry associatedInputs "none" (security-info code card)', () => {
  const card = buildSiCodeEntryCard({ t: (k: string) => k, flowId: 'abcdefgh12', verb: 'si.code', title: 'x', prompt: 'y', label: 'Code' } as never);
  const back = (card.actions ?? []).find((a) => (a as { data?: { verb?: string } }).data?.verb === 'si.back') as Record<string, unknown> | undefined;
  expect(back?.associatedInputs).toBe('none');
});

test('issue 11: the install welcome without from.name greets without a name and shows the invitation to register', async () => {
  const objectId = oid(25);
  const activity = teamsActivity({ type: 'conversationUpdate', userObjectId: objectId, conversationId: `a:${objectId}:install`, serviceUrl: kit.stub.url });
  activity.from = { id: `29:${objectId}`, aadObjectId: objectId };
  activity.membersAdded = [{ id: '28:bot-id' }];
  const res = await post(kit.run.baseUrl, activity);
  const text = replyText(res.replies) + kit.stub.activities.map((a: unknown) => JSON.stringify(a)).join('\n');
  expect(text).toContain(en('welcome.titleNoName'));
  expect(text).not.toContain('Hi ,');
  expect(text).toContain(en('welcome.noMethods'));
});
