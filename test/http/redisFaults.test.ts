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
  test('F5: Redis restarted empty mid-journey → the stale card gets a kind explanation and the menu; nothing else happens', async () => {
    const conversationId = 'a:f5';
    await post(running.baseUrl, act({ text: 'hi', conversationId }));
    const opened = await post(running.baseUrl, act({ value: { verb: 'menu', choice: 'securityInfo' }, conversationId }));
    const add = submits(opened.replies).find((d) => d.verb === 'si.add');
    expect(add).toBeDefined();
    const probe = new Redis(redisServer.url);
    await probe.flushall();
    probe.disconnect();
    const after = await post(running.baseUrl, act({ value: add, conversationId }));
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
