import { createServer, type Server } from 'node:http';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { TeamsSender } from '../../bot/teamsSender';

/** A Connector stand-in that records arrival times and answers with a scripted status sequence. */
class ScriptedConnector {
  readonly arrivals: { at: number; conversation: string }[] = [];
  script: { status: number; headers?: Record<string, string>; body?: unknown }[] = [];
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const m = /\/v3\/conversations\/([^/]+)\/activities/.exec(req.url ?? '');
        if (req.method === 'POST' && m) this.arrivals.push({ at: Date.now(), conversation: decodeURIComponent(m[1]!) });
        const next = this.script.shift() ?? { status: 200, body: { id: `act-${this.arrivals.length}` } };
        res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
        res.end(JSON.stringify(next.body ?? {}));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

describe('TeamsSender: Teams rate limits, retries and blocked users', () => {
  let connector: ScriptedConnector;
  let adapter: CloudAdapter;

  beforeAll(async () => {
    connector = new ScriptedConnector();
    await connector.start();
    adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '', MicrosoftAppPassword: '', MicrosoftAppType: 'MultiTenant' }));
  });
  afterAll(() => connector.stop());

  const ref = (conversation: string) => ({
    serviceUrl: connector.url,
    channelId: 'msteams',
    conversation: { id: conversation, isGroup: false, conversationType: 'personal', name: '' },
    bot: { id: '28:bot', name: 'bot' },
    user: { id: '29:user', name: 'user' },
  });

  test('429 with Retry-After is retried after at least that long, then succeeds', async () => {
    const waits: number[] = [];
    const sender = new TeamsSender(adapter, '', { sleep: async (ms) => void waits.push(ms), baseDelayMs: 10 });
    connector.arrivals.length = 0;
    connector.script = [{ status: 429, headers: { 'retry-after': '2' }, body: { error: { code: 'TooManyRequests' } } }];
    const r = await sender.send(ref('a:c1'), 'hello');
    expect(r.ok).toBe(true);
    // The Connector client's own throttling policy or ours retried: either way Retry-After (2 s) was honoured.
    expect(connector.arrivals).toHaveLength(2);
    const gap = connector.arrivals[1]!.at - connector.arrivals[0]!.at + waits.reduce((a, b) => a + b, 0);
    expect(gap).toBeGreaterThanOrEqual(1900);
  });

  test('412, 502 and 504 are retried with exponential backoff; a 400 is not', async () => {
    const waits: number[] = [];
    const sender = new TeamsSender(adapter, '', { sleep: async (ms) => void waits.push(ms), baseDelayMs: 100, random: () => 0.999 });
    connector.arrivals.length = 0;
    connector.script = [{ status: 412 }, { status: 502 }, { status: 504 }];
    const r = await sender.send(ref('a:c2'), 'hello');
    expect(r.ok).toBe(true);
    expect(connector.arrivals).toHaveLength(4);
    // 412 is ours to retry (the Connector client passes it through): full jitter under base·2^0.
    expect(waits[0]).toBe(99);
    connector.script = [{ status: 400, body: { error: { code: 'BadArgument' } } }];
    expect(await sender.send(ref('a:c2'), 'x')).toMatchObject({ ok: false, reason: 'failed', status: 400, attempts: 1 });
  });

  test('403 MessageWritesBlocked is a typed result, not an exception, and is not retried', async () => {
    const sender = new TeamsSender(adapter, '', { sleep: async () => undefined });
    connector.arrivals.length = 0;
    connector.script = [{ status: 403, body: { error: { code: 'MessageWritesBlocked', message: 'Thread is blocked' } } }];
    const r = await sender.send(ref('a:c3'), 'hello');
    expect(r).toEqual({ ok: false, reason: 'blocked', status: 403, attempts: 1 });
    expect(connector.arrivals).toHaveLength(1);
  });

  test('no stored reference → no_reference, nothing sent', async () => {
    const sender = new TeamsSender(adapter, '');
    expect(await sender.send(null, 'x')).toEqual({ ok: false, reason: 'no_reference', attempts: 0 });
  });

  test('sends are spaced to 7 per second and 60 per 30 s per conversation (observed at the connector)', async () => {
    // A virtual clock: sleeping advances it, so the spacing is checked without waiting or timing real speed.
    let now = 1_000_000;
    const sentAt: number[] = [];
    const sender = new TeamsSender(adapter, '', {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    connector.script = [];
    connector.arrivals.length = 0;
    for (let i = 0; i < 70; i++) {
      const r = await sender.send(ref('a:busy'), `m${i}`);
      expect(r.ok).toBe(true);
      sentAt.push(now);
    }
    expect(connector.arrivals.filter((a) => a.conversation === 'a:busy')).toHaveLength(70);
    for (let i = 7; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 7]!).toBeGreaterThanOrEqual(1000);
    for (let i = 60; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 60]!).toBeGreaterThanOrEqual(30_000);
    // Another conversation is not held up by the busy one.
    const before = now;
    await sender.send(ref('a:quiet'), 'hi');
    expect(now).toBe(before);
  });
});
