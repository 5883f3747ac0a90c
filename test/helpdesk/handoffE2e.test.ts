import { appSuite } from '../support/appSuite';
import { submitData } from '../support/chatDriver';
import { post, replyText, teamsActivity, DEMO_TENANT } from '../support/activities';
import { t } from '../../locales';
import { MemoryDirectory } from '../../adapters/directory/memoryDirectory';

/** The demo directory's Helpdesk group, by object id (R32). */
const HELPDESK_GROUP = '5fc16da7-8e90-4cbf-8d34-60718293a4b5';

const DIEGO = 'f5a3c1e9-7b2d-4c6e-8f0a-1b3d5e7f9c66'; // in group Helpdesk
const MEGAN = '6e7b768e-07e2-4810-8459-485f84f8f204';
const LIDIA = 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21';
const MEGAN_MAIL = 'megan.bowen@fabrikam.example';
const MEGAN_PHONE = '+31612345678';
const CONTACT_EN = 'Call the IT helpdesk on extension 1234.';
const NEW_PASSWORD = 'Harbour-quill-Zephyr-lattice-94';

const app = appSuite({
  policy: { helpdesk: { agentGroups: [HELPDESK_GROUP], contactText: { en: CONTACT_EN, nl: 'Bel de helpdesk.' } } },
  env: () => ({ LOG_LEVEL: 'info' }),
});

const channelMsg = (text: string, from = DIEGO, locale = 'en-US') =>
  teamsActivity({
    text: `<at>Password Reset Assistant</at> ${text}`,
    userObjectId: from,
    userName: 'Diego Siciliani',
    conversationType: 'channel',
    conversationId: '19:helpdesk@thread.tacv2',
    serviceUrl: app.stub.url,
    expectReplies: false,
    locale,
  });

/** Megan in her 1:1 chat (replies come back with expectReplies; card replacements go to the connector stub). */
const megan = (input: { text?: string; value?: unknown; replyToId?: string }) => {
  const activity = teamsActivity({ ...input, userObjectId: MEGAN, userName: 'Megan Bowen', serviceUrl: app.stub.url });
  if (input.replyToId) activity.replyToId = input.replyToId;
  return post(app.running.baseUrl, activity);
};

/** Data of the first card Action.Submit with this verb (and, for method choices, this methodId suffix). */
function action(replies: unknown, verb: string, methodSuffix?: string): Record<string, unknown> {
  const found = submitData(replies, verb);
  const hit = found.find((d) => methodSuffix === undefined || String(d.methodId).endsWith(methodSuffix));
  if (!hit) throw new Error(`no ${verb} action in: ${JSON.stringify(replies)}`);
  return hit;
}

/** Megan's confirmed security info (e-mail + mobile phone), as registration would have stored it. */
async function registerMegan(): Promise<void> {
  const now = Date.now();
  for (const kind of ['email', 'mobilePhone'] as const) {
    const email = kind === 'email';
    await app.running.app.services.security.methods.save(
      { tenantId: DEMO_TENANT, objectId: MEGAN },
      {
        method: {
          id: email ? 'mail' : 'mobile',
          kind,
          maskedDestination: email ? 'm•••@fabrikam.example' : '•••••••••78',
          confirmedAt: now,
          lastUsedAt: null,
          createdAt: now,
          source: 'user',
          channels: email ? ['email'] : ['sms', 'voice'],
        },
        secrets: { destination: email ? MEGAN_MAIL : MEGAN_PHONE },
      },
    );
  }
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test.each([
  ['en-US', 'Only members of the helpdesk group'],
  ['nl-NL', 'Alleen leden van de helpdeskgroep'],
])('R21: a non-agent is refused in the channel (%s)', async (locale, text) => {
  app.stub.clear();
  await post(app.running.baseUrl, channelMsg('handoff lidia.holloway@contoso.example', MEGAN, locale));
  await until(() => app.stub.activities.length > 0);
  expect(app.stub.activities[0].text).toContain(text);
});

test('R21 R18 R20: agent → user offer → Start (only by the user) → verified → done (real verify + reset); the channel never sees a secret', async () => {
  app.stub.clear();
  // Megan has a 1:1 chat with the bot (her conversation reference is stored on her first turn).
  await post(app.running.baseUrl, teamsActivity({ text: 'hi', userObjectId: MEGAN, userName: 'Megan Bowen', serviceUrl: app.stub.url }));
  await registerMegan();
  app.stub.clear();

  await post(app.running.baseUrl, channelMsg('handoff megan.bowen@contoso.example reset INC-4711'));
  await app.running.app.helpdesk.bot.settled();
  const toUser = app.stub.calls.filter((c) => c.method === 'POST' && c.path.includes(encodeURIComponent(`a:${MEGAN}`)));
  expect(toUser).toHaveLength(1);
  const offer = toUser[0]!.body.attachments[0].content;
  expect(JSON.stringify(offer)).toContain('Diego Siciliani, ticket INC-4711');
  const start = offer.actions.find((a: { data: { verb: string } }) => a.data.verb === 'handoffStart').data;
  const token: string = start.token;
  expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);

  // Another user pressing Megan's Start is refused (binding); Megan's start then works once.
  await post(app.running.baseUrl, teamsActivity({ text: 'hi', userObjectId: LIDIA, userName: 'Lidia Holloway' }));
  const foreign = await post(app.running.baseUrl, teamsActivity({ value: start, userObjectId: LIDIA, userName: 'Lidia Holloway' }));
  expect(replyText(foreign.replies)).toContain('meant for someone else');
  const mine = await megan({ value: start });
  expect(replyText(mine.replies)).not.toContain('meant for someone else');

  // The real journey: Megan chooses a method, types the code that arrived, then sets a new password (HTTP activities).
  const verifyCard = replyText(mine.replies);
  expect(verifyCard).toContain(t('en', 'verify.method.email', { dest: 'm•••@fabrikam.example' }));
  expect(verifyCard).toContain(t('en', 'verify.method.sms', { dest: '•••••••••78' }));
  let last = mine.replies;
  const codes: string[] = [];
  for (const kind of ['email', 'sms'] as const) {
    const choose = action(last, 'verify.choose', `~${kind}`);
    last = (await megan({ value: choose })).replies;
    const code = app.running.app.services.security.outbox?.lastCode(kind === 'email' ? MEGAN_MAIL : MEGAN_PHONE);
    if (!code) throw new Error(`no ${kind} code sent`);
    codes.push(code);
    last = (await megan({ value: { verb: 'verify.code', flowId: choose.flowId, code }, replyToId: `code-card-${kind}` })).replies;
  }
  expect(replyText(last)).toContain(t('en', 'verify.done'));
  // Each card a code was typed on was replaced right after the submit.
  for (const kind of ['email', 'sms']) {
    const cleared = app.stub.calls.filter((c) => c.method === 'PUT' && c.path.endsWith(`/activities/code-card-${kind}`));
    expect(cleared).toHaveLength(1);
  }
  expect(JSON.stringify(last)).toContain('"style":"password"');
  const password = action(last, 'reset.password');
  const submitted = await megan({ value: { ...password, newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD }, replyToId: 'password-card' });
  expect(submitted.status).toBe(200);
  const done = t('en', 'recovery.resetDone', { contact: CONTACT_EN });
  if (!replyText(submitted.replies).includes(done)) {
    // A slow directory write: "working on it" now, the result as a proactive message (R26).
    expect(replyText(submitted.replies)).toContain(t('en', 'reset.working'));
    await until(() => app.stub.activities.some((a: { text?: string }) => a.text === done), 10_000);
  }
  expect(app.stub.calls.some((c) => c.method === 'PUT' && c.path.endsWith('/activities/password-card'))).toBe(true);
  await until(() => {
    const puts = app.stub.calls.filter((c) => c.method === 'PUT' && c.path.includes(encodeURIComponent('19:helpdesk@thread.tacv2')));
    return puts.some((u) => JSON.stringify(u.body).includes('"Status","value":"Done"'));
  }, 10_000);
  await app.running.app.helpdesk.bot.settled();
  const directory = app.running.app.services.directory;
  if (!(directory instanceof MemoryDirectory)) throw new Error('expected the demo directory');
  expect(await directory.verifyPassword(MEGAN, NEW_PASSWORD)).toBe(true);
  expect(await directory.verifyPassword(MEGAN, 'Demo-Megan-Start-2026')).toBe(false);
  // R18: Megan is told of the reset at her registered e-mail address.
  expect(app.running.app.services.security.outbox?.list(MEGAN_MAIL).some((e) => e.kind === 'notification')).toBe(true);
  // The token was used up by the first Start: pressing it again is refused.
  const again = await megan({ value: start });
  expect(replyText(again.replies)).toContain("can't be used any more");

  const channel = app.stub.calls.filter((c) => c.path.includes(encodeURIComponent('19:helpdesk@thread.tacv2')));
  const updates = channel.filter((c) => c.method === 'PUT');
  const states = updates.map((u) => JSON.stringify(u.body).match(/"Status","value":"(\w+)"/)?.[1]);
  expect(states).toEqual(['Sent', 'Started', 'Verified', 'Done']);
  const all = JSON.stringify(channel);
  expect(all).not.toContain(token);
  for (const code of codes) expect(all).not.toContain(code);
  expect(all).not.toContain(NEW_PASSWORD);
  expect(all).not.toContain(MEGAN_MAIL);
  expect(all).not.toContain(MEGAN_PHONE.slice(3)); // also no +31 6… written without the country code
  expect(all).not.toMatch(/\+31\d{6,}|fabrikam\.example|\b\d{6}\b/);
  expect(all).toContain('e-mail');
  expect(app.running.logs.text).not.toContain(token);
  expect(app.running.logs.text).toMatch(/helpdesk\.handoff_create/);
});
