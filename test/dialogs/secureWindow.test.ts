import { t } from '../../locales';
import { journeySuite } from '../support/journeySuite';
import { teamsActivity } from '../support/activities';
import { Chat, oid, register } from './resetJourneyKit';

const kit = journeySuite();

/** An invoke activity as Teams posts it; the answer is the HTTP response body. */
async function invoke(n: number, name: string, data: unknown): Promise<any> {
  const activity = teamsActivity({ userObjectId: oid(n), conversationId: `a:${oid(n)}:en-US`, serviceUrl: kit.stub.url, type: 'invoke', expectReplies: false });
  Object.assign(activity, { name, value: { data } });
  const res = await fetch(`${kit.run.baseUrl}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
  expect(res.status).toBe(200);
  return res.json();
}

test('R15: the password card offers the secure window (Teams dialog page); task/fetch opens it for this flow; task/submit ends the waiting journey', async () => {
  const n = 21;
  await register(kit, n, ['email']);
  const chat = new Chat(kit, n, 'en-US');
  await chat.send({ text: 'I forgot my password' });
  await chat.proveBy('email');
  expect(chat.hasPasswordCard()).toBe(true);
  const open = chat.action('openPasswordDialog');
  expect(open).toMatchObject({ msteams: { type: 'task/fetch' } });
  expect(String(open.flowId)).toMatch(/^[0-9a-f]{32}$/);

  const fetched = await invoke(n, 'task/fetch', open);
  expect(fetched.task.type).toBe('continue');
  expect(fetched.task.value.url).toContain(`/app/password/?flowId=${String(open.flowId)}`);

  const done = await invoke(n, 'task/submit', { verb: 'passwordDialogDone', flowId: open.flowId, status: 'done' });
  expect(done).toBeDefined();
  // The journey no longer waits for the in-chat card: typed text is an ordinary message again, not a refused password.
  const next = await chat.send({ text: 'just some words' });
  expect(next).toContain("Sorry, I didn't get that");
  expect(next).not.toContain(t('en', 'reset.plainText'));
});
