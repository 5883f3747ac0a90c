import { startRedis, type RedisServer } from '../support/redisServer';
import { startApp } from '../support/appHarness';

const METRICS_TOKEN = 'metrics-bearer-token-for-tests-0123';
const key = (id: string) => `${id}:${Buffer.alloc(32, 9).toString('base64')}`;
const prodEnv = (redisUrl: string): NodeJS.ProcessEnv => ({
  SSPR_MODE: 'production',
  MicrosoftAppId: '2f1e5c4a-0000-4000-8000-000000000001',
  MicrosoftAppPassword: 'not-used-in-this-test',
  MicrosoftAppTenantId: '2f1e5c4a-0000-4000-8000-000000000002',
  ALLOWED_TENANTS: '2f1e5c4a-0000-4000-8000-000000000002',
  REDIS_URL: redisUrl,
  // A private test Redis without TLS: the documented override (R36).
  REDIS_ALLOW_PLAINTEXT: 'true',
  METRICS_TOKEN: METRICS_TOKEN,
  CODE_HMAC_KEYS: key('k1'),
  FIELD_ENCRYPTION_KEYS: key('f1'),
  AUDIT_PSEUDONYM_KEY: 'audit-pseudonym-key-for-tests',
  PUBLIC_BASE_URL: 'https://sspr.contoso.example',
  SSO_APP_ID: '2f1e5c4a-0000-4000-8000-000000000001',
  DIRECTORY: 'graph',
  GRAPH_TENANT_ID: '2f1e5c4a-0000-4000-8000-000000000002',
  GRAPH_CLIENT_ID: '2f1e5c4a-0000-4000-8000-000000000003',
  GRAPH_CLIENT_SECRET: 'not-used',
  SENDERS: 'real',
  SMTP_URL: 'smtp://127.0.0.1:9',
  SMTP_REQUIRE_TLS: 'true',
  MAIL_FROM: 'sspr@contoso.example',
  SMS_API_BASE_URL: 'https://127.0.0.1:9',
  SMS_ACCOUNT_SID: 'AC1',
  SMS_AUTH_TOKEN: 'not-used',
  SMS_FROM: '+3197000000000',
});

let plain: RedisServer;
let durable: RedisServer;
beforeAll(async () => {
  plain = await startRedis({ maxmemoryPolicy: 'allkeys-lru' });
  durable = await startRedis({ appendonly: true, maxmemoryPolicy: 'noeviction' });
});
afterAll(async () => {
  await plain.destroy();
  await durable.destroy();
});

describe('production mode', () => {
  test('R23: refuses to start on a Redis without appendonly and noeviction, naming the settings', async () => {
    await expect(startApp(prodEnv(plain.url))).rejects.toThrow(/appendonly[\s\S]*maxmemory-policy|maxmemory-policy[\s\S]*appendonly/);
  });

  test('R23: the explicit override lets it start', async () => {
    const app = await startApp({ ...prodEnv(plain.url), REDIS_SKIP_DURABILITY_CHECK: 'true' });
    await app.close();
  });

  test('R23: starts on a durable Redis; unauthenticated activities are refused; dev chat and Direct Line do not exist', async () => {
    const app = await startApp(prodEnv(durable.url));
    try {
      const res = await fetch(`${app.baseUrl}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'message', text: 'hi', channelId: 'msteams', serviceUrl: 'https://smba.trafficmanager.net/emea/', conversation: { id: 'x' }, from: { id: 'y' }, recipient: { id: 'z' }, channelData: { tenant: { id: 't' } } }),
      });
      expect(res.status).toBe(401);
      for (const path of ['/', '/v3/directline/conversations', '/devchannel/outbox'])
        expect((await fetch(`${app.baseUrl}${path}`, { method: path.includes('directline') ? 'POST' : 'GET' })).status).toBe(404);
      expect((await fetch(`${app.baseUrl}/readyz`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  test('R36: /metrics answers 401 without the bearer token (or with a wrong one) and 200 with it', async () => {
    const app = await startApp(prodEnv(durable.url));
    try {
      expect((await fetch(`${app.baseUrl}/metrics`)).status).toBe(401);
      expect((await fetch(`${app.baseUrl}/metrics`, { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(401);
      const ok = await fetch(`${app.baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('# HELP');
    } finally {
      await app.close();
    }
  });

  test('R36: with METRICS_PORT, /metrics is not on the public port at all, only on the internal listener', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const app = await startApp({ ...prodEnv(durable.url), METRICS_TOKEN: '', METRICS_PORT: String(port) });
    try {
      expect((await fetch(`${app.baseUrl}/metrics`)).status).toBe(404);
      const internal = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(internal.status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/api/messages`)).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  test.each([
    ['SMTP_URL', { SMTP_URL: 'smtp://127.0.0.1:9', SMTP_REQUIRE_TLS: '' }],
    ['GRAPH_BASE_URL', { GRAPH_BASE_URL: 'http://127.0.0.1:9/v1.0' }],
    ['SMS_API_BASE_URL', { SMS_API_BASE_URL: 'http://127.0.0.1:9' }],
    ['HELPDESK_WEBHOOK_SECRET', { HELPDESK_WEBHOOK_URL: 'https://127.0.0.1:9/hook' }],
    ['METRICS_TOKEN', { METRICS_TOKEN: '' }],
  ] as const)('R36: production refuses to start with %s plaintext or open, naming it', async (name, bad) => {
    await expect(startApp({ ...prodEnv(durable.url), ...bad })).rejects.toThrow(name);
  });
});
