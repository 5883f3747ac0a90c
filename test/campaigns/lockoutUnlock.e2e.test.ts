/**
 * E4 → R4/R28 end to end on real Redis over HTTP activities: a locked user gets the lockout alert card (queued by the
 * E4 use-case, delivered by the app's BullMQ campaign engine to the user's 1:1 chat at the connector stub), taps
 * *Unlock* (the card's own submit data, posted back as Teams would), and the verified unlock journey runs to an
 * unlocked account. The tap alone changes nothing (R39): the account stays locked until the code is proved.
 */
import { journeySuite } from '../support/journeySuite';
import { Chat, INITIAL_PASSWORD, oid, register, userRef, waitFor } from '../dialogs/resetJourneyKit';
import { t } from '../../locales';

const N = 7;
const kit = journeySuite({ locked: [N], timeoutMs: 120_000 });

const submitsTo = (conversationId: string): Record<string, unknown>[] => kit.stub.submitsTo(conversationId);

test('E4 R4 R28 R39: the lockout alert\'s Unlock button runs the verified unlock journey to an unlocked account; the tap alone unlocks nothing', async () => {
  await register(kit, N, ['email']);
  expect((await kit.directory.findUser(userRef(N)))?.locked).toBe(true);
  const chat = new Chat(kit, N, 'en-US');
  const conversationId = `a:${oid(N)}:en-US`;
  await chat.send({ text: 'hi' }); // the bot now has this chat's conversation reference

  // E4: the lock is reported (the SIEM webhook's use-case) and delivered by the campaign engine.
  const campaigns = kit.run.app.campaigns;
  expect(await campaigns.reportLockout.report(userRef(N), Date.now() - 60_000)).toMatchObject({ ok: true });
  await campaigns.start();
  await waitFor(() => submitsTo(conversationId).some((d) => d.verb === 'menu' && d.choice === 'unlock'), 30_000);
  const card = kit.stub.activities.filter((a) => a?.conversation?.id === conversationId).map((a) => JSON.stringify(a.attachments ?? [])).find((s) => s.includes('"choice":"unlock"'));
  expect(card).toContain(t('en', 'campaign.lockout.body'));
  const unlock = submitsTo(conversationId).find((d) => d.verb === 'menu' && d.choice === 'unlock')!;

  // The tap: the card's submit data comes back as a message activity with `value`.
  const reply = await chat.send({ value: unlock });
  expect(reply).toContain(t('en', 'unlock.intro'));
  expect((await kit.directory.findUser(userRef(N)))?.locked).toBe(true);

  // Verification per policy (one e-mail code here), then the unlock.
  const answer = await chat.proveBy('email');
  const done = t('en', 'recovery.unlockDone', { contact: 'Call the IT helpdesk on extension 1234 or open a ticket in the service portal.' });
  if (!answer.includes(done)) {
    // R26: slower than 2 s on this machine → "working on it" now, the confirmation proactively.
    expect(answer).toContain(t('en', 'unlock.working'));
    await waitFor(() => kit.stub.activities.some((a: { text?: string }) => a.text === done), 15_000);
  }
  expect((await kit.directory.findUser(userRef(N)))?.locked).toBe(false);
  expect(kit.directory.passwordWrites(oid(N))).toBe(0);
  expect(await kit.directory.verifyPassword(oid(N), INITIAL_PASSWORD)).toBe(true);
});
