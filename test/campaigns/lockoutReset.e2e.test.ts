/**
 * E4 where the directory cannot unlock (Entra: Graph has no unlock, canUnlock false), end to end on real Redis over
 * HTTP activities: the lockout alert offers *Reset password* (never *Unlock*, which would only say "not supported"),
 * and that button runs the verified reset journey to a changed password. The tap alone changes nothing (R39).
 */
import { journeySuite } from '../support/journeySuite';
import { Chat, INITIAL_PASSWORD, oid, register, userRef, waitFor } from '../dialogs/resetJourneyKit';
import { t } from '../../locales';

const N = 5;
const kit = journeySuite({ locked: [N], capabilities: { canUnlock: false }, timeoutMs: 120_000 });

const submitsTo = (conversationId: string): Record<string, unknown>[] => kit.stub.submitsTo(conversationId);

test('E4 R4 R39 (Entra, canUnlock false): the lockout alert offers Reset password, and the button runs the verified reset journey to a changed password', async () => {
  await register(kit, N, ['email']);
  const chat = new Chat(kit, N, 'nl-NL');
  const conversationId = `a:${oid(N)}:nl-NL`;
  await chat.send({ text: 'hallo' });

  const campaigns = kit.run.app.campaigns;
  expect(await campaigns.reportLockout.report(userRef(N), Date.now() - 60_000)).toMatchObject({ ok: true, queued: true });
  await campaigns.start();
  await waitFor(() => submitsTo(conversationId).some((d) => d.verb === 'campaign.notMe'), 30_000);
  const card = kit.stub.activities.filter((a) => a?.conversation?.id === conversationId).map((a) => JSON.stringify(a.attachments ?? [])).find((s) => s.includes('campaign.notMe'))!;
  expect(card).toContain(t('nl', 'campaign.lockout.bodyReset'));
  expect(card).toContain(t('nl', 'campaign.lockout.reset'));
  expect(card).not.toContain(t('nl', 'campaign.lockout.unlock'));
  const buttons = submitsTo(conversationId).filter((d) => d.verb === 'menu');
  expect(buttons).toEqual([{ verb: 'menu', choice: 'reset' }]);

  // The tap: the verified reset journey starts; nothing is written yet.
  expect(await chat.send({ value: buttons[0] })).toContain(t('nl', 'verify.choose.title'));
  expect(kit.directory.passwordWrites(oid(N))).toBe(0);
  await chat.proveBy('email');
  expect(chat.hasPasswordCard()).toBe(true);
  const password = 'Harbour-5-violet-Canyon-mint';
  await chat.submitPassword(password);
  await waitFor(() => kit.directory.passwordWrites(oid(N)) === 1, 15_000);
  // Entra ends the lock on its own (smart lockout's lock period); the demo directory needs it done by hand.
  await kit.directory.unlock((await kit.directory.findUser(userRef(N)))!);
  expect(await kit.directory.verifyPassword(oid(N), password)).toBe(true);
  expect(await kit.directory.verifyPassword(oid(N), INITIAL_PASSWORD)).toBe(false);
});
