import { DirectLine, type Activity } from 'botframework-directlinejs';
import { DEMO_USERS, fetchAjax, startDevChannelServer, type DevChannelHarness } from './devChannelHarness';

/** Collects activities from a Direct Line client and waits for one matching a predicate. */
class Transcript {
  readonly activities: Activity[] = [];
  private waiters: { match: (a: Activity) => boolean; resolve: (a: Activity) => void }[] = [];

  push(a: Activity): void {
    this.activities.push(a);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(a)) return true;
      w.resolve(a);
      return false;
    });
  }

  private error: unknown;

  fail(err: unknown): void {
    this.error = err;
  }

  waitFor(match: (a: Activity) => boolean, what: string, timeoutMs = 10_000): Promise<Activity> {
    const found = this.activities.find(match);
    if (found) return Promise.resolve(found);
    if (this.error !== undefined) return Promise.reject(new Error(`the Direct Line stream failed: ${JSON.stringify(this.error) ?? 'error'}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.activities.map(textOf))}`)), timeoutMs);
      this.waiters.push({ match, resolve: (a) => (clearTimeout(timer), resolve(a)) });
    });
  }
}

/** Node 20 has no global WebSocket; directlinejs reads the service even in polling mode. Never constructed here. */
class NoWebSocket {
  constructor() {
    throw new Error('polling only');
  }
}

function textOf(a: Activity): string {
  return (a as { text?: string }).text ?? `[${a.type}]`;
}

function cardState(a: Activity): string | undefined {
  const atts = (a as { attachments?: { content?: { body?: { text?: string }[] } }[] }).attachments;
  return atts?.[0]?.content?.body?.[0]?.text;
}

async function generateToken(baseUrl: string, body: unknown): Promise<{ conversationId: string; token: string; expires_in: number }> {
  const res = await fetch(`${baseUrl}/v3/directline/tokens/generate`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as { conversationId: string; token: string; expires_in: number };
}

function postActivity(dl: DirectLine, activity: Record<string, unknown>): Promise<string> {
  return new Promise((resolve, reject) => {
    dl.postActivity({ from: { id: 'dl_user', name: 'tester' }, ...activity } as unknown as Activity).subscribe({ next: resolve, error: reject });
  });
}

describe('development channel: Direct Line 3.0 with botframework-directlinejs (polling, no browser)', () => {
  let h: DevChannelHarness;
  let dl: DirectLine;
  const transcript = new Transcript();
  const ada = DEMO_USERS[0]!;

  beforeAll(async () => {
    h = await startDevChannelServer();
    const { token } = await generateToken(h.baseUrl, { user: { id: ada.objectId }, tenantId: ada.tenantId, locale: 'nl-NL' });
    dl = new DirectLine({ token, domain: `${h.baseUrl}/v3/directline`, webSocket: false, pollingInterval: 200, ajax: fetchAjax, WebSocket: NoWebSocket } as unknown as ConstructorParameters<typeof DirectLine>[0]);
    // After end() in afterAll the stream errors with "conversation ended"; before it, an error fails the waits.
    dl.activity$.subscribe({ next: (a) => transcript.push(a), error: (err: unknown) => transcript.fail(err) });
  });

  afterAll(async () => {
    dl?.end();
    await h?.close();
  });

  test('starts a conversation; the bot is told it was added (Teams conversationUpdate) and its welcome arrives', async () => {
    const welcome = await transcript.waitFor((a) => textOf(a) === `welcome ${ada.name}`, 'welcome');
    expect((welcome.from as { role?: string }).role).toBe('bot');
  });

  test('R1/R2: sends a message, receives the echo with clientActivityID echoed, and the bot saw a Teams personal-chat activity (aadObjectId, tenant)', async () => {
    const id = await postActivity(dl, { type: 'message', text: 'hello', channelData: { clientActivityID: 'client-1' } });
    expect(typeof id).toBe('string');
    const echo = await transcript.waitFor((a) => a.id === id, 'user echo');
    expect((echo.channelData as { clientActivityID?: string }).clientActivityID).toBe('client-1');
    expect((echo.from as { role?: string }).role).toBe('user');
    const reply = await transcript.waitFor((a) => textOf(a).startsWith('echo: hello'), 'bot reply');
    expect(textOf(reply)).toBe(`echo: hello (msteams, nl-NL, personal, ${ada.tenantId}, ${ada.objectId})`);
    expect((reply as { replyToId?: string }).replyToId).toBe(id);
  });

  test('TeamsInfo.getMember resolves the chosen demo user through the connector members endpoint', async () => {
    await postActivity(dl, { type: 'message', text: 'whoami' });
    await transcript.waitFor((a) => textOf(a) === `you are ${ada.upn} (${ada.upn}) in ${ada.tenantId}`, 'whoami reply');
  });

  test('a card update (PUT) reaches the stream again under the same id and original timestamp', async () => {
    await postActivity(dl, { type: 'message', text: 'update' });
    const done = await transcript.waitFor((a) => cardState(a) === 'Status: done', 'updated card');
    const versions = transcript.activities.filter((a) => a.id === done.id);
    expect(versions.map(cardState)).toEqual(['Status: pending', 'Status: done']);
    expect(versions[1]!.timestamp).toBe(versions[0]!.timestamp);
  });

  test('a card submit (message with value) reaches the bot', async () => {
    await postActivity(dl, { type: 'message', value: { verb: 'nickname', nickname: 'ada' } });
    await transcript.waitFor((a) => textOf(a) === 'got nickname ada', 'submit reply');
  });

  test('a deleted message is replaced by a notice in the conversation language', async () => {
    await postActivity(dl, { type: 'message', text: 'delete' });
    const original = await transcript.waitFor((a) => textOf(a) === 'short-lived', 'short-lived message');
    await transcript.waitFor((a) => a.id === original.id && textOf(a) === 'Dit bericht is verwijderd.', 'deletion notice');
  });
});

describe('development channel: Direct Line REST details', () => {
  let h: DevChannelHarness;
  beforeAll(async () => {
    h = await startDevChannelServer();
  });
  afterAll(async () => {
    await h?.close();
  });

  const auth = (token: string) => ({ Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' });

  test('tokens are bound to their conversation: another conversation, an unknown token or none get 403', async () => {
    const a = await generateToken(h.baseUrl, { user: { id: DEMO_USERS[0]!.objectId } });
    const b = await generateToken(h.baseUrl, { user: { id: DEMO_USERS[1]!.objectId } });
    expect(a.token).not.toBe(b.token);
    expect(a.token.length).toBeGreaterThanOrEqual(40);
    const cross = await fetch(`${h.baseUrl}/v3/directline/conversations/${a.conversationId}/activities`, { headers: auth(b.token) });
    expect(cross.status).toBe(403);
    const unknown = await fetch(`${h.baseUrl}/v3/directline/conversations/${a.conversationId}/activities`, { headers: auth('nope') });
    expect(unknown.status).toBe(403);
    const none = await fetch(`${h.baseUrl}/v3/directline/conversations`, { method: 'POST' });
    expect(none.status).toBe(403);
    const own = await fetch(`${h.baseUrl}/v3/directline/conversations/${a.conversationId}/activities`, { headers: auth(a.token) });
    expect(own.status).toBe(200);
  });

  test('start (201, then 200), reconnect with watermark, poll with watermark, refresh', async () => {
    const g = await generateToken(h.baseUrl, {});
    const start = await fetch(`${h.baseUrl}/v3/directline/conversations`, { method: 'POST', headers: auth(g.token) });
    expect(start.status).toBe(201);
    const started = (await start.json()) as { conversationId: string; token: string; expires_in: number; streamUrl: string };
    expect(started).toEqual({ conversationId: g.conversationId, token: g.token, expires_in: expect.any(Number), streamUrl: expect.stringMatching(/^ws:\/\//) });
    const again = await fetch(`${h.baseUrl}/v3/directline/conversations`, { method: 'POST', headers: auth(g.token) });
    expect(again.status).toBe(200);

    const post = await fetch(`${h.baseUrl}/v3/directline/conversations/${g.conversationId}/activities`, {
      method: 'POST',
      headers: auth(g.token),
      body: JSON.stringify({ type: 'message', text: 'one', from: { id: 'dl_x' } }),
    });
    expect(post.status).toBe(200);
    const { id } = (await post.json()) as { id: string };
    expect(id).toContain(g.conversationId);

    const all = (await (await fetch(`${h.baseUrl}/v3/directline/conversations/${g.conversationId}/activities`, { headers: auth(g.token) })).json()) as {
      activities: { id: string; text?: string }[];
      watermark: string;
    };
    const texts = all.activities.map((a) => a.text);
    expect(texts).toEqual(expect.arrayContaining(['one', 'echo: one (msteams, en-US, personal, tenant-contoso, 11111111-1111-4111-8111-111111111111)']));
    const rest = (await (await fetch(`${h.baseUrl}/v3/directline/conversations/${g.conversationId}/activities?watermark=${all.watermark}`, { headers: auth(g.token) })).json()) as {
      activities: unknown[];
      watermark: string;
    };
    expect(rest).toEqual({ activities: [], watermark: all.watermark });

    const reconnect = await fetch(`${h.baseUrl}/v3/directline/conversations/${g.conversationId}?watermark=${all.watermark}`, { headers: auth(g.token) });
    expect(reconnect.status).toBe(200);
    expect(((await reconnect.json()) as { streamUrl: string }).streamUrl).toContain(`watermark=${all.watermark}`);

    const refresh = await fetch(`${h.baseUrl}/v3/directline/tokens/refresh`, { method: 'POST', headers: auth(g.token) });
    const refreshed = (await refresh.json()) as { conversationId: string; token: string };
    expect(refreshed.conversationId).toBe(g.conversationId);
    expect(refreshed.token).not.toBe(g.token);
    const withNew = await fetch(`${h.baseUrl}/v3/directline/conversations/${g.conversationId}/activities`, { headers: auth(refreshed.token) });
    expect(withNew.status).toBe(200);
  });

  test('an invoke (task/fetch) is not echoed and the bot answer comes back in the HTTP response', async () => {
    const g = await generateToken(h.baseUrl, {});
    const res = await fetch(`${h.baseUrl}/v3/directline/conversations/${g.conversationId}/activities`, {
      method: 'POST',
      headers: auth(g.token),
      body: JSON.stringify({ type: 'invoke', name: 'task/fetch', value: { type: 'task/fetch', data: { verb: 'open' } } }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; status: number; body: { task: { type: string; value: { url: string } } } };
    expect(body.status).toBe(200);
    expect(body.body.task).toMatchObject({ type: 'continue', value: { url: '/devchat/devchat.css' } });
    const stream = (await (await fetch(`${h.baseUrl}/v3/directline/conversations/${g.conversationId}/activities`, { headers: auth(g.token) })).json()) as {
      activities: { type: string }[];
    };
    expect(stream.activities.filter((a) => a.type === 'invoke')).toEqual([]);
  });

  test('unknown demo user → 400; activity without a known type → 400', async () => {
    const bad = await fetch(`${h.baseUrl}/v3/directline/tokens/generate`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: { id: 'nobody' } }) });
    expect(bad.status).toBe(400);
    const g = await generateToken(h.baseUrl, {});
    const res = await fetch(`${h.baseUrl}/v3/directline/conversations/${g.conversationId}/activities`, { method: 'POST', headers: auth(g.token), body: JSON.stringify({ type: 'conversationUpdate' }) });
    expect(res.status).toBe(400);
  });

  test('proactive: POST /v3/conversations finds the user\'s 1:1 conversation and the message reaches its stream', async () => {
    const piet = DEMO_USERS[1]!;
    const g = await generateToken(h.baseUrl, { user: { id: piet.objectId } });
    const res = await fetch(`${h.baseUrl}/devchannel/connector/v3/conversations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ isGroup: false, tenantId: piet.tenantId, members: [{ id: `29:${piet.objectId}` }], bot: { id: '28:sspr-dev-bot' } }),
    });
    expect(res.status).toBe(200);
    const created = (await res.json()) as { id: string };
    expect(created.id).toBe(g.conversationId);
    const send = await fetch(`${h.baseUrl}/devchannel/connector/v3/conversations/${created.id}/activities`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'message', text: 'your reset is done', from: { id: '28:sspr-dev-bot' } }),
    });
    expect(send.status).toBe(200);
    const stream = (await (await fetch(`${h.baseUrl}/v3/directline/conversations/${g.conversationId}/activities`, { headers: auth(g.token) })).json()) as {
      activities: { text?: string }[];
    };
    expect(stream.activities.map((a) => a.text)).toContain('your reset is done');
  });

  test('issue 11 item 1: the helpdesk pane\'s conversation is the helpdesk team\'s channel — no install, a channel activity, never a proactive target', async () => {
    const agent = DEMO_USERS[1]!;
    const g = await generateToken(h.baseUrl, { user: { id: agent.objectId }, tenantId: agent.tenantId, locale: 'en-US', kind: 'helpdesk' });
    const start = await fetch(`${h.baseUrl}/v3/directline/conversations`, { method: 'POST', headers: auth(g.token) });
    expect(start.status).toBe(201);
    const post = await fetch(`${h.baseUrl}/v3/directline/conversations/${g.conversationId}/activities`, {
      method: 'POST',
      headers: { ...auth(g.token), 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'message', text: 'handoff someone' }),
    });
    expect(post.status).toBe(200);
    const deadline = Date.now() + 10_000;
    let texts: (string | undefined)[] = [];
    while (Date.now() < deadline) {
      const stream = (await (await fetch(`${h.baseUrl}/v3/directline/conversations/${g.conversationId}/activities`, { headers: auth(g.token) })).json()) as { activities: { text?: string }[] };
      texts = stream.activities.map((a) => a.text);
      if (texts.some((t) => t?.startsWith('echo: handoff someone'))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // The bot saw a Teams channel message (conversationType channel) from the agent, and was not "added" (no welcome).
    expect(texts).toContain(`echo: handoff someone (msteams, en-US, channel, ${agent.tenantId}, ${agent.objectId})`);
    expect(texts.some((t) => t?.startsWith('welcome'))).toBe(false);
    // A proactive message to the agent goes to a 1:1 chat (a new one), never into the helpdesk channel.
    const res = await fetch(`${h.baseUrl}/devchannel/connector/v3/conversations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ isGroup: false, tenantId: agent.tenantId, members: [{ id: `29:${agent.objectId}` }], bot: { id: '28:sspr-dev-bot' } }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { id: string }).id).not.toBe(g.conversationId);
  });

  test('the outbox and config endpoints serve the page', async () => {
    h.outbox.push({ at: 1, channel: 'email', to: 'a…@contoso.example', subject: 'Code', text: 'Your code is 654321' });
    const outbox = (await (await fetch(`${h.baseUrl}/devchannel/outbox`)).json()) as { items: unknown[] };
    expect(outbox.items).toHaveLength(1);
    const config = (await (await fetch(`${h.baseUrl}/devchannel/config?locale=nl`)).json()) as { users: unknown[]; strings: Record<string, string> };
    expect(config.users).toHaveLength(2);
    expect(config.strings['devchat.user.label']).toBe('Demogebruiker');
  });
});
