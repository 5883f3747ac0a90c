import { appSuite } from '../support/appSuite';
import { submitData } from '../support/chatDriver';
import { post, replyText, teamsActivity, DEMO_TENANT, type Reply } from '../support/activities';
import { t } from '../../locales';

/** The demo directory's Helpdesk group, by object id (R32). */
const HELPDESK_GROUP = '5fc16da7-8e90-4cbf-8d34-60718293a4b5';

const DIEGO = 'f5a3c1e9-7b2d-4c6e-8f0a-1b3d5e7f9c66'; // group Helpdesk
const MEGAN = '6e7b768e-07e2-4810-8459-485f84f8f204';
const LIDIA = 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21';
const MEGAN_MAIL = 'megan.private@fabrikam.example';
const CHANNEL = '19:helpdesk@thread.tacv2';

const app = appSuite({ policy: { helpdesk: { agentGroups: [HELPDESK_GROUP] }, methods: { requiredForReset: 1 } } });

const agentSays = (text: string, locale = 'en-US', extra: Record<string, unknown> = {}) =>
  post(app.running.baseUrl, {
    ...teamsActivity({
      text: `<at>Password Reset Assistant</at> ${text}`,
      userObjectId: DIEGO,
      userName: 'Diego Siciliani',
      conversationType: 'channel',
      conversationId: CHANNEL,
      serviceUrl: app.stub.url,
      expectReplies: false,
      locale,
    }),
    ...extra,
  });

const userSends = (user: string, o: { text?: string; value?: unknown }) =>
  post(app.running.baseUrl, teamsActivity({ ...o, userObjectId: user, userName: user === MEGAN ? 'Megan Bowen' : 'Lidia Holloway', serviceUrl: app.stub.url }));

function action(replies: Reply[] | Record<string, unknown>, verb: string): Record<string, unknown> {
  const found = submitData(replies, verb);
  if (!found[0]) throw new Error(`no ${verb} action`);
  return found[0];
}

/** The agent's status card updates in the channel, as [state, whole card JSON]. */
function cardUpdates(): { state: string | undefined; json: string }[] {
  return app.stub.calls
    .filter((c) => c.method === 'PUT' && c.path.includes(encodeURIComponent(CHANNEL)))
    .map((c) => {
      const json = JSON.stringify(c.body);
      return { state: /"Status","value":"([^"]+)"/.exec(json)?.[1], json };
    });
}

async function offerTo(user: string): Promise<Record<string, unknown>> {
  await app.running.app.helpdesk.bot.settled();
  const toUser = app.stub.calls.filter((c) => c.method === 'POST' && c.path.includes(encodeURIComponent(`a:${user}`)));
  return action(toUser.at(-1)!.body, 'handoffStart');
}

test('R21 R20: verify <user> → the user proves a method in Teams → the agent sees pass, the method kind and the times — never the code', async () => {
  const now = Date.now();
  await app.running.app.services.security.methods.save(
    { tenantId: DEMO_TENANT, objectId: MEGAN },
    {
      method: { id: 'mail-megan', kind: 'email', maskedDestination: 'm•••@fabrikam.example', confirmedAt: now - 1000, lastUsedAt: null, createdAt: now - 5000, source: 'user', channels: ['email'] },
      secrets: { destination: MEGAN_MAIL },
    },
  );
  await userSends(MEGAN, { text: 'hi' });
  app.stub.clear();

  await agentSays('verify megan.bowen@contoso.example INC-5');
  const start = await offerTo(MEGAN);
  const started = await userSends(MEGAN, { value: start });
  expect(replyText(started.replies)).toContain(t('en', 'helpdesk.verify.intro'));
  const choose = action(started.replies, 'verify.choose');
  await userSends(MEGAN, { value: choose });
  const code = app.running.app.services.security.outbox?.lastCode(MEGAN_MAIL);
  expect(code).toMatch(/^\d{6,8}$/);
  const done = await userSends(MEGAN, { value: { verb: 'verify.code', flowId: choose.flowId, code } });
  expect(replyText(done.replies)).toContain(t('en', 'helpdesk.verify.passed'));
  await app.running.app.helpdesk.bot.settled();

  const updates = cardUpdates();
  expect(updates.map((u) => u.state)).toEqual(['Sent', 'Started', 'Done']);
  const last = updates.at(-1)!.json;
  expect(last).toContain(t('en', 'helpdesk.reason.verified'));
  expect(last).toContain(`"title":"${t('en', 'helpdesk.status.methods')}","value":"${t('en', 'helpdesk.kind.email')}"`);
  // The agent's activity names no zone: UTC, and the card says so (once, after the times).
  expect(last).toMatch(/Done \d\d:\d\d \(UTC\)/);
  expect(last).toContain(t('en', 'helpdesk.purpose.verify'));
  // The channel never sees the code, the token, the address or the masked address.
  const channel = JSON.stringify(app.stub.calls.filter((c) => c.path.includes(encodeURIComponent(CHANNEL))));
  expect(channel).not.toContain(code!);
  expect(channel).not.toContain(String(start.token));
  expect(channel).not.toMatch(/fabrikam\.example|•/);
  expect(app.running.logs.text).not.toContain(code!);
  // Nothing on the account changed: no reset was recorded.
  expect(await app.running.app.services.recovery.deps.counter.recent({ tenantId: DEMO_TENANT, objectId: MEGAN }, 86_400_000)).toEqual([]);
});

test.each([
  ['en-US', 'en'],
  ['nl-NL', 'nl'],
] as const)('R21: a user who cannot verify (no methods) → the agent sees Failed and why (%s)', async (locale, lang) => {
  await userSends(LIDIA, { text: 'hi' });
  app.stub.clear();
  await agentSays('verify lidia.holloway@contoso.example', locale);
  const start = await offerTo(LIDIA);
  const r = await userSends(LIDIA, { value: start });
  expect(replyText(r.replies)).not.toContain(t('en', 'helpdesk.verify.passed'));
  await app.running.app.helpdesk.bot.settled();
  const updates = cardUpdates();
  expect(updates.at(-1)!.state).toBe(t(lang, 'helpdesk.state.failed'));
  expect(updates.at(-1)!.json).toContain(t(lang, 'helpdesk.reason.cannot_verify'));
});

test('issue 11 open item: the status card shows its times in the agent\'s zone (Kathmandu, +05:45), named once, in the agent\'s language', async () => {
  const zone = 'Asia/Kathmandu';
  app.stub.clear();
  await agentSays('handoff lidia.holloway@contoso.example reset INC-7', 'nl-NL', { localTimezone: zone });
  await app.running.app.helpdesk.bot.settled();
  const card = app.stub.calls.filter((c) => c.method === 'POST' && c.path.includes(encodeURIComponent(CHANNEL))).map((c) => JSON.stringify(c.body)).find((j) => j.includes('INC-7'));
  expect(card).toBeDefined();
  const parts = new Intl.DateTimeFormat('nl-NL', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone, timeZoneName: 'short' }).formatToParts(Date.now());
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  expect(card).toContain(`${t('nl', 'helpdesk.state.created')} `);
  expect(card).toMatch(new RegExp(`\\d\\d:\\d\\d \\(${part('timeZoneName').replace('+', '\\+')}\\)`));
  expect(card).toContain(`${part('hour')}:`);
  expect(card).not.toContain('UTC');
});
