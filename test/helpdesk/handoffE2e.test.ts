import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type RunningApp } from '../support/appHarness';
import { ConnectorStub } from '../support/connectorStub';
import { post, replyText, teamsActivity, DEMO_TENANT } from '../support/activities';
import { startRedis, type RedisServer } from '../support/redisServer';

const DIEGO = 'f5a3c1e9-7b2d-4c6e-8f0a-1b3d5e7f9c66'; // in group Helpdesk
const MEGAN = '6e7b768e-07e2-4810-8459-485f84f8f204';
const LIDIA = 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21';

let redisServer: RedisServer;
let stub: ConnectorStub;
let running: RunningApp;

beforeAll(async () => {
  redisServer = await startRedis();
  stub = new ConnectorStub();
  await stub.start();
  const dir = mkdtempSync(join(tmpdir(), 'hd-'));
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ helpdesk: { agentGroups: ['Helpdesk'] } }));
  running = await startApp({ REDIS_URL: redisServer.url, POLICY_FILE: policyFile, LOG_LEVEL: 'info' });
});
afterAll(async () => {
  await running.close();
  await stub.stop();
  await redisServer.stop();
});

const channelMsg = (text: string, from = DIEGO, locale = 'en-US') =>
  teamsActivity({
    text: `<at>Password Reset Assistant</at> ${text}`,
    userObjectId: from,
    userName: 'Diego Siciliani',
    conversationType: 'channel',
    conversationId: '19:helpdesk@thread.tacv2',
    serviceUrl: stub.url,
    expectReplies: false,
    locale,
  });

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
  stub.clear();
  await post(running.baseUrl, channelMsg('handoff lidia.holloway@contoso.example', MEGAN, locale));
  await until(() => stub.activities.length > 0);
  expect(stub.activities[0].text).toContain(text);
});

test('R21 R18 R20: agent → user offer → Start (only by the user) → verified → done; the channel never sees a secret', async () => {
  stub.clear();
  // Megan has a 1:1 chat with the bot (her conversation reference is stored on her first turn).
  await post(running.baseUrl, teamsActivity({ text: 'hi', userObjectId: MEGAN, userName: 'Megan Bowen', serviceUrl: stub.url }));
  stub.clear();

  await post(running.baseUrl, channelMsg('handoff megan.bowen@contoso.example reset INC-4711'));
  await running.app.helpdesk.bot.settled();
  const toUser = stub.calls.filter((c) => c.method === 'POST' && c.path.includes(encodeURIComponent(`a:${MEGAN}`)));
  expect(toUser).toHaveLength(1);
  const offer = toUser[0]!.body.attachments[0].content;
  expect(JSON.stringify(offer)).toContain('Diego Siciliani, ticket INC-4711');
  const start = offer.actions.find((a: { data: { verb: string } }) => a.data.verb === 'handoffStart').data;
  const token: string = start.token;
  expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);

  // Another user pressing Megan's Start is refused (binding); Megan's start then works once.
  await post(running.baseUrl, teamsActivity({ text: 'hi', userObjectId: LIDIA, userName: 'Lidia Holloway' }));
  const foreign = await post(running.baseUrl, teamsActivity({ value: start, userObjectId: LIDIA, userName: 'Lidia Holloway' }));
  expect(replyText(foreign.replies)).toContain('meant for someone else');
  const mine = await post(running.baseUrl, teamsActivity({ value: start, userObjectId: MEGAN, userName: 'Megan Bowen' }));
  expect(replyText(mine.replies)).not.toContain('meant for someone else');
  const again = await post(running.baseUrl, teamsActivity({ value: start, userObjectId: MEGAN, userName: 'Megan Bowen' }));
  expect(replyText(again.replies)).toContain("can't be used any more");

  // The journey's outcome, as the recovery use-cases audit it (verify + reset), reaches the agent's card.
  const audit = running.app.services.audit;
  const user = { tenantId: DEMO_TENANT, objectId: MEGAN };
  await audit.record({ type: 'verification.proof', correlationId: 'e2e', user, methodKind: 'email', outcome: 'success' });
  await audit.record({ type: 'verification.verified', correlationId: 'e2e', user, outcome: 'success' });
  await audit.record({ type: 'recovery.password_reset', correlationId: 'e2e', user, outcome: 'success' });
  await running.app.helpdesk.bot.settled();

  const channel = stub.calls.filter((c) => c.path.includes(encodeURIComponent('19:helpdesk@thread.tacv2')));
  const updates = channel.filter((c) => c.method === 'PUT');
  const states = updates.map((u) => JSON.stringify(u.body).match(/"Status","value":"(\w+)"/)?.[1]);
  expect(states).toEqual(['Sent', 'Started', 'Verified', 'Done']);
  const all = JSON.stringify(channel);
  expect(all).not.toContain(token);
  expect(all).not.toMatch(/\+31\d{6,}|fabrikam\.example|\b\d{6}\b/);
  expect(all).toContain('e-mail');
  expect(running.logs.text).not.toContain(token);
  expect(running.logs.text).toMatch(/helpdesk\.handoff_create/);
});
