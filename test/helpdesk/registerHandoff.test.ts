import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type RunningApp } from '../support/appHarness';
import { ConnectorStub } from '../support/connectorStub';
import { post, teamsActivity, DEMO_TENANT } from '../support/activities';
import { action, ChatDriver, eventually } from '../support/chatDriver';
import { startRedis, type RedisServer } from '../support/redisServer';
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

let redis: RedisServer;
let connector: ConnectorStub;
let running: RunningApp;
let chat: ChatDriver;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  connector = new ConnectorStub();
  await connector.start();
  dir = mkdtempSync(join(tmpdir(), 'sspr-reghd-'));
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ methods: { bootstrap: 'helpdesk' }, helpdesk: { agentGroups: [HELPDESK_GROUP], contactText: { en: CONTACT, nl: 'Bel de helpdesk.' } } }));
  running = await startApp({ REDIS_URL: redis.url, POLICY_FILE: policyFile, LOG_LEVEL: 'info' });
  chat = new ChatDriver(() => running.baseUrl, connector);
  await eventually(async () => (await fetch(`${running.baseUrl}/readyz`)).status === 200);
});
afterAll(async () => {
  await running?.close();
  await connector?.stop();
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
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
  connector.clear();
  await post(
    running.baseUrl,
    teamsActivity({
      text: '<at>Password Reset Assistant</at> handoff lidia.holloway@contoso.example register INC-4712',
      userObjectId: DIEGO,
      userName: 'Diego Siciliani',
      conversationType: 'channel',
      conversationId: '19:helpdesk@thread.tacv2',
      serviceUrl: connector.url,
      expectReplies: false,
    }),
  );
  await running.app.helpdesk.bot.settled();
  const offer = connector.calls.find((c) => c.method === 'POST' && c.path.includes(encodeURIComponent(`a:${LIDIA}`)));
  expect(offer).toBeTruthy();
  const start = (offer!.body.attachments[0].content.actions as { data: { verb: string } }[]).find((a) => a.data.verb === 'handoffStart')!.data;

  // She starts it: her first method can now be registered (a code to the new address), no 24 h hold.
  await chat.turn(LIDIA, { value: start });
  const entry = await addEmail();
  const sent = await chat.turn(LIDIA, { value: { ...action(entry, 'si.destination'), destination: ADDRESS } });
  const saved = await chat.turn(LIDIA, { value: { ...action(sent, 'si.code'), code: running.app.services.security.outbox!.lastCode(ADDRESS) } });
  expect(saved.text).toContain('Saved');
  const methods = await running.app.services.security.methods.list({ tenantId: DEMO_TENANT, objectId: LIDIA });
  expect(methods.filter((m) => m.confirmedAt !== null).map((m) => m.kind)).toEqual(['email']);
  expect(await running.app.services.security.stepUps.holdUntil({ tenantId: DEMO_TENANT, objectId: LIDIA })).toBeNull();
  // The token was used up: pressing Start again gives nothing more.
  const again = await chat.turn(LIDIA, { value: start });
  expect(again.text).toContain("can't be used any more");
});
