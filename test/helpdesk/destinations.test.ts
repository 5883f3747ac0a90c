import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { startApp, type RunningApp } from '../support/appHarness';
import { ConnectorStub } from '../support/connectorStub';
import { post, replyText, teamsActivity } from '../support/activities';
import { startRedis, type RedisServer } from '../support/redisServer';
import { t } from '../../locales';

/**
 * R32 attack tests: the helpdesk and security-alert channels come from configuration or an admin's one-time bind in
 * that channel; a message from any other chat never changes them. Real Redis, HTTP activities, a connector stub.
 */

const MEGAN = '6e7b768e-07e2-4810-8459-485f84f8f204';
const LIDIA = 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21'; // not an admin
const ADELE = 'a1f0e0c4-5d2b-4a8e-b0f3-9c6d2e7f1b33'; // in Bot Admins
const BOT_ADMINS = '71e38fc9-a0b2-4ed1-8f56-8293a4b5c6d7';
const HELPDESK_GROUP = '5fc16da7-8e90-4cbf-8d34-60718293a4b5';
const TEAM = '19:it-team@thread.tacv2';
const HELPDESK = '19:helpdesk@thread.tacv2';
const SECURITY = '19:security@thread.tacv2';
const EVIL_GROUP_CHAT = '19:lidias-group-chat@thread.v2';
const EVIL_CHANNEL = '19:lidias-channel@thread.tacv2';
const EVIL_TEAM = '19:lidias-team@thread.tacv2';

let redisServer: RedisServer;
let stub: ConnectorStub;
let configured: RunningApp;
let unconfigured: RunningApp;
let policyFile: string;

beforeAll(async () => {
  redisServer = await startRedis();
  stub = new ConnectorStub();
  await stub.start();
  const dir = mkdtempSync(join(tmpdir(), 'dest-'));
  policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ helpdesk: { agentGroups: [HELPDESK_GROUP], contactText: { en: 'Call 1234.', nl: 'Bel 1234.' } } }));
  configured = await startApp({
    REDIS_URL: redisServer.url,
    REDIS_KEY_PREFIX: 'cfg:',
    POLICY_FILE: policyFile,
    ADMIN_GROUP_IDS: BOT_ADMINS,
    HELPDESK_TEAM_ID: TEAM,
    HELPDESK_CHANNEL_ID: HELPDESK,
    SECURITY_ALERT_TEAM_ID: TEAM,
    SECURITY_ALERT_CHANNEL_ID: SECURITY,
    TEAMS_SERVICE_URL: stub.url,
  });
  unconfigured = await startApp({ REDIS_URL: redisServer.url, REDIS_KEY_PREFIX: 'bind:', POLICY_FILE: policyFile, ADMIN_GROUP_IDS: BOT_ADMINS });
});

afterAll(async () => {
  await configured?.close();
  await unconfigured?.close();
  await stub?.stop();
  await redisServer?.stop();
});

const postsTo = (conversation: string) =>
  stub.calls.filter((c) => c.method === 'POST' && c.path.startsWith(`/v3/conversations/${encodeURIComponent(conversation)}/activities`));

function inChannel(app: RunningApp, text: string, user: string, channel: string, team: string | undefined, name = 'Someone') {
  return post(
    app.baseUrl,
    teamsActivity({
      text: `<at>Password Reset Assistant</at> ${text}`,
      userObjectId: user,
      userName: name,
      conversationType: team ? 'channel' : 'groupChat',
      conversationId: channel,
      ...(team ? { teamId: team } : {}),
      serviceUrl: stub.url,
    }),
  );
}

async function talk(app: RunningApp): Promise<string> {
  await post(app.baseUrl, teamsActivity({ text: 'hi', userObjectId: MEGAN, userName: 'Megan Bowen', serviceUrl: stub.url }));
  // One forwarded request per user per hour: start from a fresh limiter window for each check.
  const redis = new Redis(redisServer.url);
  for (const k of await redis.keys('*helpdesk-talk*')) await redis.del(k);
  redis.disconnect();
  const r = await post(app.baseUrl, teamsActivity({ text: 'talk to the helpdesk', userObjectId: MEGAN, userName: 'Megan Bowen', serviceUrl: stub.url }));
  await app.app.helpdesk.bot.settled();
  return replyText(r.replies);
}

test('R32: a "hello" from a group chat or another team channel does not steer the helpdesk summary; the configured channel still gets it', async () => {
  // The attack: Lidia greets the bot in her own group chat and in her own team's channel.
  await inChannel(configured, 'hello', LIDIA, EVIL_GROUP_CHAT, undefined, 'Lidia Holloway');
  await inChannel(configured, 'hello', LIDIA, EVIL_CHANNEL, EVIL_TEAM, 'Lidia Holloway');
  await inChannel(configured, 'help', LIDIA, EVIL_CHANNEL, EVIL_TEAM, 'Lidia Holloway');
  stub.clear();
  const said = await talk(configured);
  expect(said).toContain(t('en', 'helpdesk.talk.sent', { contact: 'Call 1234.' }).split('\n')[0]);
  expect(postsTo(EVIL_GROUP_CHAT)).toHaveLength(0);
  expect(postsTo(EVIL_CHANNEL)).toHaveLength(0);
  // The legitimate path: the summary reaches the configured helpdesk channel, once.
  const posts = postsTo(HELPDESK);
  expect(posts).toHaveLength(1);
  expect(posts[0]!.body.text).toContain(t('en', 'helpdesk.talk.channel.title', { name: 'Megan Bowen' }));
  expect(posts[0]!.body.conversation?.id ?? HELPDESK).toBe(HELPDESK);
});

test('R32: with the channels configured, bind is refused — for a non-admin, and for an admin too (change it in configuration)', async () => {
  const notAdmin = await inChannel(configured, 'bind helpdesk', LIDIA, EVIL_CHANNEL, EVIL_TEAM, 'Lidia Holloway');
  expect(replyText(notAdmin.replies)).toContain(t('en', 'helpdesk.bind.notAdmin'));
  const admin = await inChannel(configured, 'bind security', ADELE, EVIL_CHANNEL, EVIL_TEAM, 'Adele Vance');
  expect(replyText(admin.replies)).toContain(t('en', 'helpdesk.bind.configured', { what: t('en', 'helpdesk.bind.what.security') }));
  stub.clear();
  await talk(configured);
  expect(postsTo(EVIL_CHANNEL)).toHaveLength(0);
  expect(postsTo(HELPDESK)).toHaveLength(1);
});

test('R32: a security alert (domain event) goes to the configured security-alert channel only', async () => {
  stub.clear();
  configured.app.services.events.publish({
    type: 'shared_bucket_exceeded',
    at: Date.now(),
    correlationId: 'alert-1',
    bucket: 'phone_prefix',
    prefix: '+3161',
    limit: 30,
  });
  await configured.app.helpdesk.bot.settled();
  const alerts = postsTo(SECURITY);
  expect(alerts).toHaveLength(1);
  expect(JSON.stringify(alerts[0]!.body)).toContain(t('en', 'campaign.alert.title'));
  expect(JSON.stringify(alerts[0]!.body)).toContain('+3161');
  expect(postsTo(HELPDESK)).toHaveLength(0);
  expect(postsTo(EVIL_CHANNEL)).toHaveLength(0);
});

test('R32: unconfigured — only an admin binds, once, in the channel itself; other chats change nothing; unbind only from the bound channel', async () => {
  // No destination yet: the user is given the contact text, nothing is posted anywhere.
  stub.clear();
  expect(await talk(unconfigured)).toContain(t('en', 'helpdesk.talk.unavailable', { contact: 'Call 1234.' }));
  expect(stub.calls.filter((c) => c.method === 'POST' && c.path.includes('19%3A'))).toHaveLength(0);

  // A non-admin cannot bind, not even in a real team channel; a group chat is no channel.
  expect(replyText((await inChannel(unconfigured, 'bind helpdesk', LIDIA, EVIL_CHANNEL, EVIL_TEAM)).replies)).toContain(t('en', 'helpdesk.bind.notAdmin'));
  expect(replyText((await inChannel(unconfigured, 'bind helpdesk', ADELE, EVIL_GROUP_CHAT, undefined)).replies)).toContain(t('en', 'helpdesk.bind.notChannel'));

  // The admin binds the helpdesk channel in it.
  const what = t('en', 'helpdesk.bind.what.helpdesk');
  expect(replyText((await inChannel(unconfigured, 'bind helpdesk', ADELE, HELPDESK, TEAM)).replies)).toContain(t('en', 'helpdesk.bind.bound', { what, kind: 'helpdesk' }));
  // Bound once: a second bind elsewhere (even by the admin) and any message from another chat leave it as it is.
  expect(replyText((await inChannel(unconfigured, 'bind helpdesk', ADELE, EVIL_CHANNEL, EVIL_TEAM)).replies)).toContain(t('en', 'helpdesk.bind.already', { what, kind: 'helpdesk' }));
  await inChannel(unconfigured, 'hello', LIDIA, EVIL_GROUP_CHAT, undefined);
  await inChannel(unconfigured, 'hello', LIDIA, EVIL_CHANNEL, EVIL_TEAM);
  stub.clear();
  expect(await talk(unconfigured)).toContain(t('en', 'helpdesk.talk.sent', { contact: 'Call 1234.' }).split('\n')[0]);
  expect(postsTo(HELPDESK)).toHaveLength(1);
  expect(postsTo(EVIL_CHANNEL)).toHaveLength(0);
  expect(postsTo(EVIL_GROUP_CHAT)).toHaveLength(0);

  // Unbind: not from another channel, not by a non-admin; the admin in the bound channel can.
  expect(replyText((await inChannel(unconfigured, 'unbind helpdesk', ADELE, EVIL_CHANNEL, EVIL_TEAM)).replies)).toContain(t('en', 'helpdesk.bind.notBoundHere', { what }));
  expect(replyText((await inChannel(unconfigured, 'unbind helpdesk', LIDIA, HELPDESK, TEAM)).replies)).toContain(t('en', 'helpdesk.bind.notAdmin'));
  expect(replyText((await inChannel(unconfigured, 'unbind helpdesk', ADELE, HELPDESK, TEAM)).replies)).toContain(t('en', 'helpdesk.bind.unbound', { what }));
  expect(await unconfigured.app.helpdesk.destinations.address('helpdesk')).toBeNull();
  // The binding lives in Redis (shared by every instance), under the app's prefix.
  const redis = new Redis(redisServer.url);
  expect(await redis.exists('bind:destination:helpdesk')).toBe(0);
  redis.disconnect();
});
