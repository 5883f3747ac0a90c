import Redis from 'ioredis';
import { startRedis, type RedisServer } from '../support/redisServer';
import { ConnectorStub } from '../support/connectorStub';
import { startApp, type RunningApp } from '../support/appHarness';
import { post, replyText, teamsActivity } from '../support/activities';

let redisServer: RedisServer;
let connector: ConnectorStub;
let running: RunningApp;

beforeAll(async () => {
  redisServer = await startRedis({ maxmemoryPolicy: 'noeviction' });
  connector = new ConnectorStub();
  await connector.start();
  running = await startApp({ REDIS_URL: redisServer.url });
  // F5 writes to Redis through the app's stores first: wait until its client is connected (no offline queue).
  for (let i = 0; i < 100 && (await fetch(`${running.baseUrl}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
});
afterAll(async () => {
  await running.close();
  await connector.stop();
  await redisServer.destroy();
});

const act = (o: Parameters<typeof teamsActivity>[0] = {}) => teamsActivity({ serviceUrl: connector.url, ...o });

/** Every Action.Submit data object in the replies. */
function submits(replies: { attachments?: { content: unknown }[] }[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (n: unknown): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(walk);
    const o = n as Record<string, unknown>;
    if (o.type === 'Action.Submit' && o.data) out.push(o.data as Record<string, unknown>);
    Object.values(o).forEach(walk);
  };
  walk(replies);
  return out;
}

describe('Redis faults at the HTTP edge', () => {
  test('F5: Redis restarted empty mid-journey → the stale card gets a kind explanation and the menu; no code is sent', async () => {
    // Megan Bowen of the demo directory, with two confirmed methods: her reset's method choice is on screen.
    const user = { tenantId: '00000000-0000-0000-0000-000000000001', objectId: '6e7b768e-07e2-4810-8459-485f84f8f204' };
    const megan = { userObjectId: user.objectId, userName: 'Megan Bowen', conversationId: 'a:f5' };
    const seed = async (): Promise<void> => {
      const now = Date.now();
      const m = running.app.services.security.methods;
      await m.save(user, { method: { id: 'f5-mail', kind: 'email', maskedDestination: 'm•••@example.org', confirmedAt: now, lastUsedAt: null, createdAt: now, source: 'user', channels: ['email'] }, secrets: { destination: 'megan.f5@example.org' } });
      await m.save(user, { method: { id: 'f5-phone', kind: 'mobilePhone', maskedDestination: '•••••••••78', confirmedAt: now, lastUsedAt: null, createdAt: now, source: 'user', channels: ['sms', 'voice'] }, secrets: { destination: '+31612345678' } });
    };
    await seed();
    await post(running.baseUrl, act({ text: 'hi', ...megan }));
    const opened = await post(running.baseUrl, act({ value: { verb: 'menu', choice: 'reset' }, ...megan }));
    const choose = submits(opened.replies).find((d) => d.verb === 'verify.choose' && String(d.methodId).endsWith('~email'));
    expect(choose).toMatchObject({ verb: 'verify.choose', flowId: expect.any(String) });
    const probe = new Redis(redisServer.url);
    await probe.flushall();
    probe.disconnect();
    // Her methods are back (restored or re-registered); the flow and the conversation state are not.
    await seed();
    const after = await post(running.baseUrl, act({ value: choose, ...megan }));
    const text = replyText(after.replies);
    expect(text).toContain('That conversation timed out, so I started over. Nothing was changed.');
    expect(text).toContain('What would you like to do?');
    expect(running.app.services.security.outbox?.list() ?? []).toEqual([]);
  });

  test('F18: Redis out of memory (noeviction) → fail closed with "temporarily unavailable (ref …)"; works again once memory is freed', async () => {
    const probe = new Redis(redisServer.url);
    const used = Number(/used_memory:(\d+)/.exec(await probe.info('memory'))![1]);
    await probe.config('SET', 'maxmemory', String(used + 1024));
    // Fill up to the limit so every further write is refused with OOM.
    for (let i = 0; i < 200; i++) {
      try {
        await probe.set(`filler:${i}`, 'x'.repeat(1024));
      } catch {
        break;
      }
    }
    const { replies } = await post(running.baseUrl, act({ text: 'I forgot my password', conversationId: 'a:f18' }));
    expect(replyText(replies)).toMatch(/temporarily unavailable.*\(ref [0-9a-f]{8}\)/);
    expect(running.app.services.security.outbox?.list() ?? []).toEqual([]);
    await probe.config('SET', 'maxmemory', '0');
    const again = await post(running.baseUrl, act({ text: 'hi', conversationId: 'a:f18' }));
    expect(replyText(again.replies)).toContain('What would you like to do?');
    probe.disconnect();
  });
});
