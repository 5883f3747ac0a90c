import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type RunningApp } from '../support/appHarness';
import { ConnectorStub } from '../support/connectorStub';
import { post, replyText, teamsActivity, DEMO_TENANT } from '../support/activities';
import { startRedis, type RedisServer } from '../support/redisServer';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from '../../adapters/helpdesk/webhookSender';
import { t } from '../../locales';

/** The demo directory's Helpdesk group, by object id (R32). */
const HELPDESK_GROUP = '5fc16da7-8e90-4cbf-8d34-60718293a4b5';

const MEGAN = '6e7b768e-07e2-4810-8459-485f84f8f204';
const LIDIA = 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21';
const SECRET = 'talk-webhook-secret';
const CHANNEL = '19:helpdesk@thread.tacv2';
const TEAM = '19:helpdesk-team@thread.tacv2';

let redisServer: RedisServer;
let stub: ConnectorStub;
let running: RunningApp;
let bare: RunningApp;
let receiver: Server;
const hooks: { body: Record<string, unknown>; valid: boolean }[] = [];

beforeAll(async () => {
  redisServer = await startRedis();
  stub = new ConnectorStub();
  await stub.start();
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const valid = verifyWebhook(
        SECRET,
        { signature: req.headers[SIGNATURE_HEADER] as string | undefined, timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined },
        raw,
        Math.floor(Date.now() / 1000),
      );
      hooks.push({ body: JSON.parse(raw) as Record<string, unknown>, valid });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const addr = receiver.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const dir = mkdtempSync(join(tmpdir(), 'talk-'));
  const policyFile = join(dir, 'policy.json');
  writeFileSync(
    policyFile,
    JSON.stringify({ helpdesk: { agentGroups: [HELPDESK_GROUP], contactText: { en: 'Call the IT helpdesk on 1234.', nl: 'Bel de IT-helpdesk op 1234.' } } }),
  );
  running = await startApp({
    REDIS_URL: redisServer.url,
    POLICY_FILE: policyFile,
    HELPDESK_WEBHOOK_URL: `http://127.0.0.1:${port}/hook`,
    HELPDESK_WEBHOOK_SECRET: SECRET,
    // R32: the helpdesk channel is configured (team id + channel id), never learned from traffic.
    HELPDESK_TEAM_ID: TEAM,
    HELPDESK_CHANNEL_ID: CHANNEL,
    TEAMS_SERVICE_URL: stub.url,
  });
  // A deployment without a helpdesk channel or webhook.
  bare = await startApp({ POLICY_FILE: policyFile });
});

afterAll(async () => {
  await running.close();
  await bare.close();
  await stub.stop();
  await new Promise<void>((r) => receiver.close(() => r()));
  await redisServer.stop();
});

const personal = (text: string, user: string, name: string, locale = 'en-US') =>
  teamsActivity({ text, userObjectId: user, userName: name, serviceUrl: stub.url, locale });

const channelPosts = () => stub.calls.filter((c) => c.method === 'POST' && c.path.includes(encodeURIComponent(CHANNEL)));

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('helpdesk: mid-journey "talk to the helpdesk" posts a secret-free summary to the channel and the webhook; the journey stays (en)', async () => {
  const now = Date.now();
  const { methods } = running.app.services.security;
  const megan = { tenantId: DEMO_TENANT, objectId: MEGAN };
  await methods.save(megan, {
    method: { id: 'mail-megan', kind: 'email', maskedDestination: 'm•••@fabrikam.example', confirmedAt: now - 1000, lastUsedAt: null, createdAt: now - 5000, source: 'user', channels: ['email'] },
    secrets: { destination: 'megan.private@fabrikam.example' },
  });
  await methods.save(megan, {
    method: { id: 'phone-megan', kind: 'mobilePhone', maskedDestination: '••••••••12', confirmedAt: now - 1000, lastUsedAt: null, createdAt: now - 4000, source: 'user', channels: ['sms', 'voice'] },
    secrets: { destination: '+31612345612' },
  });
  await post(running.baseUrl, personal('hi', MEGAN, 'Megan Bowen'));
  const reset = await post(running.baseUrl, personal('I forgot my password', MEGAN, 'Megan Bowen'));
  expect(reset.replies.length).toBeGreaterThan(0);
  stub.clear();
  hooks.length = 0;

  const talk = await post(running.baseUrl, personal('can I talk to the helpdesk?', MEGAN, 'Megan Bowen'));
  expect(replyText(talk.replies)).toContain(t('en', 'helpdesk.talk.sent', { contact: 'Call the IT helpdesk on 1234.' }).split('\n')[0]);

  const posts = channelPosts();
  expect(posts).toHaveLength(1);
  const text: string = posts[0]!.body.text;
  expect(text).toContain(t('en', 'helpdesk.talk.channel.title', { name: 'Megan Bowen' }));
  expect(text).toContain(`${t('en', 'helpdesk.talk.channel.tried')}: ${t('en', 'helpdesk.purpose.reset')}`);
  expect(text).toContain(`${t('en', 'helpdesk.talk.channel.blocked')}: ${t('en', 'helpdesk.talk.channel.notBlocked')}`);
  expect(text).toContain('handoff megan.bowen@contoso.example');
  expect(text).toContain(`${t('en', 'helpdesk.talk.channel.methods')}: ${t('en', 'helpdesk.kind.email')}, ${t('en', 'helpdesk.kind.mobilePhone')}`);
  // Method kinds only: no destination, no code, no method id.
  for (const m of await methods.list(megan)) expect(text).not.toContain(m.id);
  expect(text).not.toMatch(/\+\d{6,}|fabrikam\.example|•|\b\d{6}\b/);

  await running.app.helpdesk.bot.settled();
  await until(() => hooks.some((h) => h.body.type === 'user.talk_request'));
  const hook = hooks.find((h) => h.body.type === 'user.talk_request')!;
  expect(hook.valid).toBe(true);
  expect(hook.body).toMatchObject({ user: 'megan.bowen@contoso.example', tried: 'reset', resetsToday: 0 });
  expect(JSON.stringify(hook.body)).not.toMatch(/\+\d{6,}|fabrikam\.example/);

  // Asking again within the hour is not forwarded again (no flood in the channel); the user is told.
  stub.clear();
  const again = await post(running.baseUrl, personal('helpdesk', MEGAN, 'Megan Bowen'));
  expect(replyText(again.replies)).toContain(t('en', 'helpdesk.talk.already', { contact: 'Call the IT helpdesk on 1234.' }));
  expect(channelPosts()).toHaveLength(0);

  // The reset journey is still running: "cancel" cancels it (with nothing running the bot says there is nothing to cancel).
  const cancel = await post(running.baseUrl, personal('cancel', MEGAN, 'Megan Bowen'));
  expect(replyText(cancel.replies)).toContain(t('en', 'cancel.done'));
  await until(() => running.logs.text.includes('helpdesk.talk_request'));
});

test('helpdesk: asked in Dutch with no journey running; a verification block is reported with its end time (nl)', async () => {
  const user = { tenantId: DEMO_TENANT, objectId: LIDIA };
  await post(running.baseUrl, personal('hallo', LIDIA, 'Lidia Holloway', 'nl-NL'));
  for (let i = 0; i < running.app.config.policy.throttles.failedVerificationsBeforeBlock; i++) await running.app.services.recovery.deps.block.recordFailure(user);
  stub.clear();
  const talk = await post(running.baseUrl, personal('ik wil een medewerker spreken', LIDIA, 'Lidia Holloway', 'nl-NL'));
  expect(replyText(talk.replies)).toContain(t('nl', 'helpdesk.talk.sent', { contact: 'Bel de IT-helpdesk op 1234.' }).split('\n')[0]);
  const text: string = channelPosts()[0]!.body.text;
  // The channel gets the channel's language (en), whatever the user speaks.
  expect(text).toContain(`${t('en', 'helpdesk.talk.channel.tried')}: ${t('en', 'helpdesk.talk.channel.triedNone')}`);
  // The user's activity names no zone: UTC, said so, with the day in the channel's language.
  expect(text).toMatch(new RegExp(`${t('en', 'helpdesk.talk.channel.blocked')}: yes, until \\d{1,2} [A-Z][a-z]+ \\d{4} at \\d\\d:\\d\\d UTC`));
  await running.app.services.recovery.deps.block.clear(user);
});

test.each([
  ['en-US', 'en', 'talk to a human', 'Call the IT helpdesk on 1234.'],
  ['nl-NL', 'nl', 'helpdesk', 'Bel de IT-helpdesk op 1234.'],
] as const)('helpdesk: without a channel or webhook the user gets the contact text (%s)', async (locale, lang, text, contact) => {
  await post(bare.baseUrl, teamsActivity({ text: 'hi', userObjectId: MEGAN, userName: 'Megan Bowen', locale }));
  const r = await post(bare.baseUrl, teamsActivity({ text, userObjectId: MEGAN, userName: 'Megan Bowen', locale }));
  expect(replyText(r.replies)).toContain(t(lang, 'helpdesk.talk.unavailable', { contact }));
});
