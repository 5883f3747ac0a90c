import restify, { type Server } from 'restify';
import { SsprError } from '../../domain/errors';
import { assertDevelopment, registerDevChannelIfDevelopment } from '../../bot/devChannel/registerDevChannel';
import { freePort } from '../support/redisServer';
import { DEMO_USERS } from './devChannelHarness';

async function serverIn(mode: 'development' | 'production'): Promise<{ baseUrl: string; server: Server; close: () => Promise<void> }> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = restify.createServer({ name: `devchannel-${mode}`, handleUncaughtExceptions: false });
  server.use(restify.plugins.queryParser({ mapParams: false }));
  server.use(restify.plugins.bodyParser({ mapParams: false, rejectUnknown: false }));
  server.get('/healthz', async (_req, res) => {
    res.send(200, { status: 'alive' });
  });
  const channel = registerDevChannelIfDevelopment(mode, server, {
    botEndpoint: `${baseUrl}/api/messages`,
    selfBaseUrl: baseUrl,
    listOutbox: () => [],
    demoUsers: () => DEMO_USERS,
    logger: { info: () => undefined, warn: () => undefined },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return {
    baseUrl,
    server,
    close: async () => {
      channel?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const PROBES: [string, string][] = [
  ['GET', '/'],
  ['GET', '/devchat/main.js'],
  ['GET', '/devchat/vendor/webchat.js'],
  ['POST', '/v3/directline/tokens/generate'],
  ['POST', '/v3/directline/conversations'],
  ['GET', '/devchannel/outbox'],
  ['GET', '/devchannel/config'],
  ['POST', '/devchannel/connector/v3/conversations'],
];

describe('development channel is refused in production mode', () => {
  let prod: Awaited<ReturnType<typeof serverIn>>;
  let dev: Awaited<ReturnType<typeof serverIn>>;
  beforeAll(async () => {
    prod = await serverIn('production');
    dev = await serverIn('development');
  });
  afterAll(async () => {
    await prod?.close();
    await dev?.close();
  });

  test.each(PROBES)('production: %s %s answers 404', async (method, path) => {
    const res = await fetch(`${prod.baseUrl}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
    expect(res.status).toBe(404);
  });

  test('production: the rest of the server still answers (the 404s are not a dead server)', async () => {
    expect((await fetch(`${prod.baseUrl}/healthz`)).status).toBe(200);
  });

  test('development: the same routes exist', async () => {
    expect((await fetch(`${dev.baseUrl}/devchannel/outbox`)).status).toBe(200);
    expect((await fetch(`${dev.baseUrl}/devchat/vendor/webchat.js`)).status).toBe(200);
    const gen = await fetch(`${dev.baseUrl}/v3/directline/tokens/generate`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(gen.status).toBe(200);
  });

  test('assertDevelopment refuses production with a stable error code', () => {
    expect(() => assertDevelopment('production')).toThrow(SsprError);
    expect(() => assertDevelopment('production')).toThrow(expect.objectContaining({ code: 'forbidden' }));
    expect(() => assertDevelopment('development')).not.toThrow();
  });
});
