/**
 * R3 from the admin's seat (last session's open item): "Check my account" told Adele (privileged in the demo
 * directory) to register 2 methods, or that she could reset, without saying that an admin account always needs the
 * stronger proof. Now the check says so plainly, in English and Dutch, before the count it explains; a normal user is
 * not told. Red before the fix: the card had no such line for either language.
 */
import { t, type Locale } from '../../locales';
import { startApp, type RunningApp } from '../support/appHarness';
import { post, replyText, teamsActivity } from '../support/activities';
import { startRedis, type RedisServer } from '../support/redisServer';

jest.setTimeout(60_000);

const ADELE = 'a1f0e0c4-5d2b-4a8e-b0f3-9c6d2e7f1b33';
const MEGAN = '6e7b768e-07e2-4810-8459-485f84f8f204';

let redis: RedisServer;
let running: RunningApp;
beforeAll(async () => {
  redis = await startRedis();
  running = await startApp({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'admincheck:' });
});
afterAll(async () => {
  await running?.close();
  await redis?.destroy();
});

async function check(objectId: string, locale: string): Promise<string> {
  const res = await post(running.baseUrl, teamsActivity({ userObjectId: objectId, locale, value: { verb: 'menu', choice: 'check' } }));
  return replyText(res.replies);
}

test.each<[Locale, string]>([
  ['en', 'en-US'],
  ['nl', 'nl-NL'],
])('R3 (%s): an admin\'s "Check my account" says she always needs 2 methods of different kinds, before the registration advice', async (lang, tag) => {
  const text = await check(ADELE, tag);
  const line = t(lang, 'check.privileged', { required: 2 });
  expect(text).toContain(line);
  expect(text).toContain(t(lang, 'check.title'));
  // Before the line about registering: the reason first, then what to do.
  const advice = t(lang, 'precheck.not_registered.body', { required: 2 }).slice(0, 30);
  expect(text.indexOf(line)).toBeLessThan(text.indexOf(advice));
  // Security questions are off in the default policy: nothing is said about them.
  expect(text).not.toContain(t(lang, 'check.privileged.noQuestions'));
});

test('R3: a normal user\'s check does not mention admin rights', async () => {
  const text = await check(MEGAN, 'en-US');
  expect(text).toContain(t('en', 'check.title'));
  expect(text).not.toContain(t('en', 'check.privileged', { required: 2 }).slice(0, 40));
});
