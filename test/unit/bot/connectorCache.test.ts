import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type Activity, type TurnContext } from 'botbuilder';
import { ClaimsIdentity, ConnectorFactory, type ConnectorClient } from 'botframework-connector';
import { CachingBotFrameworkAuthentication, CONNECTOR_CACHE_MAX } from '../../../bot/connectorCache';

/** Auth disabled (no app id), as in development and the bench: every request is accepted anonymously. */
const devAuth = (): ConfigurationBotFrameworkAuthentication =>
  new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '', MicrosoftAppPassword: '', MicrosoftAppTenantId: '', MicrosoftAppType: 'MultiTenant' });

const activity = (serviceUrl: string): Activity =>
  ({
    type: 'message',
    id: `a-${Math.random()}`,
    channelId: 'msteams',
    serviceUrl,
    from: { id: '29:u', aadObjectId: 'u' },
    recipient: { id: '28:bot' },
    conversation: { id: 'a:c', conversationType: 'personal', tenantId: 't' },
    text: 'hi',
    deliveryMode: 'expectReplies',
  }) as unknown as Activity;

/** CloudAdapter with its (protected) per-activity entry point callable without an HTTP request. */
class TurnAdapter extends CloudAdapter {
  turn(a: Activity, logic: (ctx: TurnContext) => Promise<void>): Promise<unknown> {
    return this.processActivity('', a, logic);
  }
}

/** The ConnectorClient each turn got from CloudAdapter (its turn state), for `serviceUrls` in order. */
async function clientsOfTurns(adapter: TurnAdapter, serviceUrls: readonly string[]): Promise<unknown[]> {
  const seen: unknown[] = [];
  for (const url of serviceUrls) {
    await adapter.turn(activity(url), async (ctx: TurnContext) => {
      seen.push(ctx.turnState.get(adapter.ConnectorClientKey));
      await ctx.sendActivity('ok');
    });
  }
  return seen;
}

describe('Bot Connector client reuse (issue 15 item 3, bot/connectorCache.ts)', () => {
  test('R26 perf: CloudAdapter turns on one service URL share one ConnectorClient; another URL gets its own', async () => {
    const adapter = new TurnAdapter(new CachingBotFrameworkAuthentication(devAuth()));
    const [a, b, c, d] = await clientsOfTurns(adapter, ['https://smba.example/emea/', 'https://smba.example/emea/', 'https://smba.example/amer/', 'https://smba.example/emea/']);
    expect(a).toBeDefined();
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(d).toBe(a);
  });

  test('R26 perf: without the cache botbuilder builds a new client for every turn (what the cache removes)', async () => {
    const adapter = new TurnAdapter(devAuth());
    const [a, b] = await clientsOfTurns(adapter, ['https://smba.example/emea/', 'https://smba.example/emea/']);
    expect(b).not.toBe(a);
  });

  test('R26 perf: a failed client creation is not cached, and the cache is bounded', async () => {
    let calls = 0;
    let fail = true;
    const inner = devAuth();
    const factory = new (class extends ConnectorFactory {
      create(serviceUrl: string): Promise<ConnectorClient> {
        calls++;
        return fail ? Promise.reject(new Error('token endpoint down')) : Promise.resolve({ serviceUrl } as unknown as ConnectorClient);
      }
    })();
    jest.spyOn(inner, 'createConnectorFactory').mockReturnValue(factory);
    const caching = new CachingBotFrameworkAuthentication(inner);
    const f = caching.createConnectorFactory(new ClaimsIdentity([], true));
    await expect(f.create('https://s/1/')).rejects.toThrow('token endpoint down');
    fail = false;
    const ok = await f.create('https://s/1/');
    expect(await f.create('https://s/1/')).toBe(ok);
    expect(calls).toBe(2);
    for (let i = 0; i < CONNECTOR_CACHE_MAX + 10; i++) await f.create(`https://s/x${i}/`);
    expect(caching.cachedConnectorClients).toBe(CONNECTOR_CACHE_MAX);
  });
});
