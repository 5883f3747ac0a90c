import { appSuite } from '../support/appSuite';
import { post, teamsActivity, DEMO_TENANT } from '../support/activities';
import { action, ChatDriver, eventually } from '../support/chatDriver';
import { t } from '../../locales';

/**
 * R31 with `methods.bootstrap = helpdesk` (the strict option): an account without methods registers its first one
 * only after a helpdesk `register` hand-off that the user started — real Redis, HTTP activities, the real agent path.
 */
const HELPDESK_GROUP = '5fc16da7-8e90-4cbf-8d34-60718293a4b5';
const DIEGO = 'f5a3c1e9-7b2d-4c6e-8f0a-1b3d5e7f9c66'; // in group Helpdesk
const LIDIA = 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21'; // no methods yet
const CONTACT = 'Call the IT helpdesk on extension 1234.';
const ADDRESS = 'lidia.private@example.org';

const app = appSuite({
  policy: { methods: { bootstrap: 'helpdesk' }, helpdesk: { agentGroups: [HELPDESK_GROUP], contactText: { en: CONTACT, nl: 'Bel de helpdesk.' } } },
  env: () => ({ LOG_LEVEL: 'info' }),
});
let chat: ChatDriver;

beforeAll(async () => {
  chat = new ChatDriver(() => app.running.baseUrl, app.stub);
  await eventually(async () => (await fetch(`${app.running.baseUrl}/readyz`)).status === 200);
});

async function addEmail() {
  const overview = await chat.turn(LIDIA, { value: { verb: 'menu', choice: 'securityInfo' } });
  const chooser = await chat.turn(LIDIA, { value: action(overview, 'si.add') });
  return chat.turn(LIDIA, { value: action(chooser, 'si.kind', (d) => d.kind === 'email') });
}

test('R31 bootstrap = helpdesk: no first method on the session alone; a register hand-off the user starts lets her register it, once, without a hold', async () => {
  await chat.turn(LIDIA, { text: 'hi' });
  // Alone: the policy sends her to the helpdesk, and no registration starts.
  const alone = await addEmail();
  expect(alone.text).toContain(t('en', 'securityInfo.bootstrap.helpdesk', { contact: CONTACT }));
  expect(() => action(alone, 'si.destination')).toThrow();

  // The agent starts a registration for her from the helpdesk channel; the offer reaches her 1:1 chat.
  app.stub.clear();
  await post(
    app.running.baseUrl,
    teamsActivity({
      text: '<at>Password Reset Assistant</at> handoff lidia.holloway@contoso.example register INC-4712',
      userObjectId: DIEGO,
      userName: 'Diego Siciliani',
      conversationType: 'channel',
      conversationId: '19:helpdesk@thread.tacv2',
      serviceUrl: app.stub.url,
      expectReplies: false,
    }),
  );
  await app.running.app.helpdesk.bot.settled();
  const offer = app.stub.calls.find((c) => c.method === 'POST' && c.path.includes(encodeURIComponent(`a:${LIDIA}`)));
  expect(offer).toBeTruthy();
  const start = (offer!.body.attachments[0].content.actions as { data: { verb: string } }[]).find((a) => a.data.verb === 'handoffStart')!.data;

  // She starts it: her first method can now be registered (a code to the new address), no 24 h hold.
  await chat.turn(LIDIA, { value: start });
  const entry = await addEmail();
  const sent = await chat.turn(LIDIA, { value: { ...action(entry, 'si.destination'), destination: ADDRESS } });
  const saved = await chat.turn(LIDIA, { value: { ...action(sent, 'si.code'), code: app.running.app.services.security.outbox!.lastCode(ADDRESS) } });
  expect(saved.text).toContain('Saved');
  const methods = await app.running.app.services.security.methods.list({ tenantId: DEMO_TENANT, objectId: LIDIA });
  expect(methods.filter((m) => m.confirmedAt !== null).map((m) => m.kind)).toEqual(['email']);
  expect(await app.running.app.services.security.stepUps.holdUntil({ tenantId: DEMO_TENANT, objectId: LIDIA })).toBeNull();
  // The token was used up: pressing Start again gives nothing more.
  const again = await chat.turn(LIDIA, { value: start });
  expect(again.text).toContain("can't be used any more");
});
