/**
 * F22 / R39 for the bot's own proactive sends (notifications, helpdesk posts: TeamsSender over the app's CloudAdapter,
 * outside the workers). The Bot Connector client's HTTP pipeline retries 429 by itself, outside the pacer; the
 * app's connector clients (bot/connectorCache.ts) now come without that policy. Counted, not timed: every request
 * the local connector saw was a slot the pacer granted.
 */
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { CachingBotFrameworkAuthentication } from '../../bot/connectorCache';
import { InProcessPacer, TeamsSender } from '../../bot/teamsSender';
import type { PaceKey, SendPacer } from '../../domain/campaigns/ports';
import { FlakyConnector } from '../../scripts/campaigns/flakyConnector';

jest.setTimeout(60_000);

class CountingPacer implements SendPacer {
  slots = 0;
  private readonly inner = new InProcessPacer({ perSecond: 1000, perThirtySeconds: 100_000, now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) });
  async acquire(key: PaceKey): Promise<{ readonly ok: true }> {
    const r = await this.inner.acquire(key);
    this.slots++;
    return r;
  }
  pause(key: PaceKey, ms: number): Promise<void> {
    return this.inner.pause(key, ms);
  }
}

test('F22 R39: the bot’s own sends through CloudAdapter (not the workers) → connector requests == pacer slots with 40 % answered 429, every message delivered once', async () => {
  const connector = new FlakyConnector({ share429: 0.4, retryAfterSeconds: 0, seed: 7 });
  await connector.start();
  try {
    // The app's adapter as bot/app.ts builds it (no app id: the local connector needs no token).
    const adapter = new CloudAdapter(new CachingBotFrameworkAuthentication(new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '', MicrosoftAppPassword: '', MicrosoftAppType: 'MultiTenant' })));
    const pacer = new CountingPacer();
    const sender = new TeamsSender(adapter, '', { pacer, maxRetries: 20, baseDelayMs: 5 });
    const results = [];
    for (let i = 0; i < 30; i++) {
      const ref = { serviceUrl: connector.url, channelId: 'msteams', conversation: { id: `a:t0:u${i}`, conversationType: 'personal', tenantId: 't0', isGroup: false, name: '' }, bot: { id: '28:bot', name: 'bot' }, user: { id: `29:u${i}`, name: `u${i}` } };
      results.push(await sender.send(ref, { type: 'message', text: `campaign n-${i} ${Date.now()}` }));
    }
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const throttled = connector.arrivals.filter((a) => a.status === 429).length;
    expect(throttled).toBeGreaterThan(5);
    // A hidden client retry would be a request without a slot.
    expect({ requests: connector.arrivals.length, slots: pacer.slots }).toEqual({ requests: pacer.slots, slots: pacer.slots });
    expect([...connector.deliveries().values()].filter((n) => n !== 1)).toEqual([]);
    expect(connector.deliveries().size).toBe(30);
  } finally {
    await connector.stop();
  }
});
