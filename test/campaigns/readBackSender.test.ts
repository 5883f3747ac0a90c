import { createServer, type Server } from 'node:http';
import { GraphDeliveryReadBack } from '../../adapters/campaigns/graphDeliveryReadBack';
import { IDEMPOTENCY_CARD_PROPERTY } from '../../domain/campaigns/inDoubt';

/**
 * Attacker's finding (session 6): the read-back of an in-doubt campaign message took any app's card carrying the
 * idempotency key as "delivered". The key is predictable (`alert.<kind>.<subject>.<window>`, `lockout.<tenant>.<user>.<minute>`)
 * and visible in every card sent; an incoming webhook or workflow in the security channel that posts a card with it
 * while an alert is in doubt makes the worker mark the alert sent and never re-send it.
 */
const BOT = '0d5f4a1e-7b2c-4c3d-9e8f-112233445566';
const OTHER_APP = '9a8b7c6d-1111-4222-8333-444455556666';
const KEY = 'alert.not_me_reported.abc_def.12345';

describe('R39 F21: an in-doubt message is "found" only when the bot itself posted it', () => {
  let server: Server;
  let base = '';
  let messages: unknown[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url?.includes('/oauth2/v2.0/token')) return void res.end(JSON.stringify({ access_token: 't', expires_in: 3600 }));
      if (req.url?.startsWith('/v1.0/teams/')) return void res.end(JSON.stringify({ value: messages }));
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const a = server.address();
    base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  const readBack = (): GraphDeliveryReadBack =>
    new GraphDeliveryReadBack({
      tenantId: 'tenant',
      clientId: 'client',
      clientSecret: 'secret',
      baseUrl: `${base}/v1.0`,
      authorityHost: base,
      catalogAppId: 'catalog-app',
      botAppId: BOT,
      securityChannel: async () => ({ teamId: 'group-1', channelId: '19:security@thread.tacv2' }),
      clock: { now: () => Date.now() },
    });
  const message = (appId: string) => ({
    createdDateTime: new Date().toISOString(),
    from: { user: null, application: { id: appId, displayName: 'Password Reset Assistant' } },
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: JSON.stringify({ type: 'AdaptiveCard', [IDEMPOTENCY_CARD_PROPERTY]: KEY }) }],
  });
  const find = () => readBack().find({ messageId: KEY, recipient: { kind: 'securityChannel' }, since: Date.now() - 1000 });

  test('R39: a card with the key posted by another app (same display name) does not count as delivered', async () => {
    messages = [message(OTHER_APP)];
    expect(await find()).toBe('absent');
  });

  test('R39: the same card posted by the bot counts as delivered (the check itself)', async () => {
    messages = [message(BOT.toUpperCase())];
    expect(await find()).toBe('found');
  });
});
