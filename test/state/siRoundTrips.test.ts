import Redis from 'ioredis';
import { authenticator } from 'otplib';
import { startApp, type RunningApp } from '../support/appHarness';
import { DEMO_TENANT, post, teamsActivity, type Reply } from '../support/activities';
import { action } from '../support/chatDriver';
import { startRedis, type RedisServer } from '../support/redisServer';

/**
 * Issue 15 item 2: the security-info turn kinds of the journey bench (scripts/bench/journey.ts), counted exactly as
 * the bench counts them — socket writes of the app's Redis client during the turn and the background work it leaves
 * (the R18 notice, insights), one user at a time on a private Redis — after a warm-up user has loaded every script
 * (the first EVALSHA of a script costs NOSCRIPT + EVAL, F19). The chat turns go through /api/messages, the
 * authenticator's dialog page through the pages API, as the bench does.
 */
let server: RedisServer;
let running: RunningApp;
beforeAll(async () => {
  server = await startRedis();
  running = await startApp({ REDIS_URL: server.url });
});
afterAll(async () => {
  await running.close();
  await server.destroy();
});

function countWrites(redis: Redis): () => number {
  let writes = 0;
  const stream = (redis as unknown as { stream: NodeJS.WritableStream }).stream;
  const original = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  stream.write = (...a: unknown[]) => {
    writes++;
    return original(...a);
  };
  return () => writes;
}

interface Measured<T> {
  readonly out: T;
  readonly roundTrips: number;
  readonly commands: string[];
}

/** Runs one turn (or page request) and counts the app client's socket writes until its background work is done. */
async function measure<T>(work: () => Promise<T>): Promise<Measured<T>> {
  const redis = running.app.redis!;
  if (redis.status !== 'ready') await new Promise<void>((r) => redis.once('ready', () => r()));
  const writes = countWrites(redis);
  const commands: string[] = [];
  const monitor = await new Redis(server.port, '127.0.0.1', { lazyConnect: true }).monitor();
  // Commands the client sent (a script's own commands are MONITORed with source 'lua'): name and first key.
  monitor.on('monitor', (_t: string, args: string[], source: string) => {
    if (source !== 'lua') commands.push((/^eval/i.test(args[0] ?? '') ? [args[0], args[3]] : args.slice(0, 2)).join(' ').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>'));
  });
  await new Promise((r) => setTimeout(r, 50));
  const before = writes();
  const out = await work();
  // The bench waits 60 ms after each answer (background work of the turn counts); a little more here.
  await new Promise((r) => setTimeout(r, 150));
  const roundTrips = writes() - before;
  monitor.disconnect();
  return { out, roundTrips, commands };
}

const dataOf = (replies: Reply[], verb: string, pred: (d: any) => boolean = () => true): any => action({ posts: replies, puts: [], text: '' }, verb, pred);

/** One demo-directory user's security-info journey (the bench's first half): round trips per turn kind. */
async function journey(objectId: string, mobile: string, mail: string): Promise<{ counts: Record<string, number>; listings: Record<string, string[]> }> {
  const counts: Record<string, number> = {};
  const listings: Record<string, string[]> = {};
  let last: Reply[] = [];
  const chat = async (kind: string, input: { text: string } | { value: unknown }): Promise<void> => {
    const m = await measure(async () => {
      const res = await post(running.baseUrl, teamsActivity({ conversationId: `a:rt-si-${objectId}`, userObjectId: objectId, ...input }));
      expect(res.status).toBe(200);
      return res.replies;
    });
    last = m.out;
    counts[kind] = m.roundTrips;
    listings[kind] = m.commands;
  };
  const submit = (kind: string, verb: string, fields: Record<string, unknown> = {}, pred?: (d: any) => boolean): Promise<void> => {
    const data = { ...dataOf(last, verb, pred), ...fields };
    delete data.msteams;
    return chat(kind, { value: data });
  };
  const headers = { 'content-type': 'application/json', 'x-dev-user': `${DEMO_TENANT}:${objectId}` };
  const page = async (kind: string, path: string, body?: unknown): Promise<any> => {
    const m = await measure(async () => {
      const res = await fetch(`${running.baseUrl}${path}`, body === undefined ? { headers } : { method: 'POST', headers, body: JSON.stringify(body) });
      expect(res.status).toBe(200);
      return res.json();
    });
    counts[kind] = m.roundTrips;
    listings[kind] = m.commands;
    return m.out;
  };
  const outbox = running.app.services.security.outbox!;

  await chat('greeting', { text: 'hi' });
  await chat('si: start', { value: { verb: 'menu', choice: 'securityInfo' } });
  await submit('si: add', 'si.add');
  await submit('si: choose authenticator (bootstrap asked)', 'si.kind', {}, (d) => d.kind === 'authenticatorApp');
  let first = 0;
  await submit('si: bootstrap, directory mobile (code sent)', 'si.bootstrapWith', {}, () => first++ === 0);
  await submit('si: bootstrap code check', 'si.code', { code: outbox.lastCode(mobile) });
  const ticket = String(dataOf(last, 'openAuthenticatorDialog').ticket);
  const shown = await page('si: authenticator page', `/api/enrolments/${ticket}`);
  const key = String(shown.key).replace(/\s+/g, '');
  await page('si: TOTP check', `/api/enrolments/${ticket}/confirm`, { code: authenticator.generate(key) });
  await submit('si: back', 'si.back');
  await submit('si: add (2)', 'si.add');
  await submit('si: choose e-mail', 'si.kind', {}, (d) => d.kind === 'email');
  await submit('si: e-mail address (code sent)', 'si.destination', { destination: mail });
  await submit('si: code check', 'si.code', { code: outbox.lastCode(mail) });
  expect(JSON.stringify(last)).toContain(mail.slice(-12));
  await submit('si: done', 'si.done');
  return { counts, listings };
}

test('issue 15 R31 R35 R18: the security-info turn kinds, exact round trips each (lock + state + the user’s record; one domain script; state write + release)', async () => {
  // Warm-up: every script loaded once (F19), the demo directory's lazy parts built.
  await journey('c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21', '+31623456789', 'lidia.private@outlook.example');
  const { counts, listings } = await journey('8b4e6f2a-1c3d-4e5f-9a0b-7c8d9e0f1a55', '+31656789012', 'pradeep.private@outlook.example');
  // On a mismatch the commands of each turn are in the message.
  if (process.env.RT_SHOW) console.log(Object.entries(listings).map(([k, v]) => `${k} [${counts[k]}]: ${v.join(' | ')}`).join('\n'));
  const shown = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, `${v}: ${(listings[k] ?? []).join(' | ')}`]));
  expect({ counts, shown }).toMatchObject({
    counts: {
      greeting: 3,
      'si: start': 3,
      'si: add': 2,
      'si: choose authenticator (bootstrap asked)': 2,
      'si: bootstrap, directory mobile (code sent)': 4,
      'si: bootstrap code check': 4,
      'si: authenticator page': 3,
      'si: TOTP check': 4,
      'si: back': 2,
      'si: add (2)': 2,
      'si: choose e-mail': 2,
      'si: e-mail address (code sent)': 4,
      'si: code check': 3,
      'si: done': 2,
    },
  });
}, 120_000);

test('issue 15 R30: the SMS send that crosses the telephony alert line is still 4 round trips (the alert’s insights counter rides with the send’s own)', async () => {
  // Warm-up (scripts loaded, F19) when this test runs alone; a second bootstrap send in the hour otherwise.
  await journey('6e7b768e-07e2-4810-8459-485f84f8f204', '+31612345678', 'megan.private@outlook.example');
  // R30: the line is 3 × the 7-day hourly baseline, at least 1 an hour; with no sends in the past week it is 3, so
  // the hour's fourth SMS crosses it. Three sends this hour (and the next, should the hour turn during the journey).
  const redis = running.app.redis!;
  const insights = running.app.state.insights;
  const hour = Math.floor(Date.now() / 3_600_000);
  const telKey = (h: number): string => `${running.app.config.redis.prefix}{tel}:hour:${h}`;
  await redis.mset(telKey(hour), 3, telKey(hour + 1), 3);
  await running.app.insights.settled();
  const day = Math.floor(Date.now() / 86_400_000);
  const [before] = await insights.days(day, day);
  const { counts, listings } = await journey('f5a3c1e9-7b2d-4c6e-8f0a-1b3d5e7f9c66', '+31667890123', 'diego.private@outlook.example');
  await running.app.insights.settled();
  const [after] = await insights.days(day, day);
  const grew = (field: string): number => (after?.[field] ?? 0) - (before?.[field] ?? 0);
  const kind = 'si: bootstrap, directory mobile (code sent)';
  // The alert was raised by this journey's SMS (once), and every insights event of the journey counted once.
  expect({ alerts: grew('telephony.alerts'), sms: grew('sends:sms'), email: grew('sends:email') }).toEqual({ alerts: 1, sms: 1, email: 1 });
  if (process.env.RT_SHOW) console.log(`${kind} [${counts[kind]}]: ${(listings[kind] ?? []).join(' | ')}`);
  // On a mismatch the turn's commands are in the message.
  expect({ counts: { [kind]: counts[kind] }, shown: `${counts[kind]}: ${(listings[kind] ?? []).join(' | ')}` }).toMatchObject({ counts: { [kind]: 4 } });
}, 120_000);
