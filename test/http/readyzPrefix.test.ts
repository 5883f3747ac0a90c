import { startApp } from '../support/appHarness';
import { startRedis, type RedisServer } from '../support/redisServer';

jest.setTimeout(60_000);

describe('/readyz honours REDIS_KEY_PREFIX (issue 14): a Redis ACL user limited to the prefix', () => {
  let redis: RedisServer;
  let url: string;

  beforeAll(async () => {
    redis = await startRedis();
    const admin = redis.client();
    await new Promise((r) => admin.once('ready', r));
    // The bot's user may touch keys under "acl:" only (and use every command on them).
    await admin.call('ACL', 'SETUSER', 'sspr-bot', 'on', '>bot-password-for-tests', '~acl:*', '&*', '+@all');
    admin.disconnect();
    url = `redis://sspr-bot:bot-password-for-tests@127.0.0.1:${redis.port}`;
  });
  afterAll(async () => redis?.destroy());

  test('R22: ready with the prefix the ACL allows; not ready with a prefix it does not (the ACL is enforced)', async () => {
    const good = await startApp({ REDIS_URL: url, REDIS_KEY_PREFIX: 'acl:' });
    try {
      const r = await fetch(`${good.baseUrl}/readyz`);
      expect([r.status, await r.json()]).toEqual([200, { status: 'ready' }]);
    } finally {
      await good.close();
    }
    const other = await startApp({ REDIS_URL: url, REDIS_KEY_PREFIX: 'elsewhere:' });
    try {
      const r = await fetch(`${other.baseUrl}/readyz`);
      expect(r.status).toBe(503);
    } finally {
      await other.close();
    }
  });
});
