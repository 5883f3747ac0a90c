import { startApp, type RunningApp } from '../support/appHarness';
import { rawRequest } from '../support/rawHttp';
import { DevConversations, MAX_STREAM_ENTRIES, MAX_TOKENS_PER_CONVERSATION } from '../../bot/devChannel/devConversations';

/**
 * Issue 16, the development Direct Line routes against the real app: a deep value or channelData got a misleading
 * 502 "BotUnreachable"; a deep clientActivityID was echoed into the stream and every later GET of that conversation
 * answered 500. Client activities are now parsed like /api/messages, and the conversation keeps working.
 */
let running: RunningApp;
beforeAll(async () => {
  running = await startApp();
});
afterAll(async () => {
  await running.close();
});

const nest = (depth: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

async function open(): Promise<{ id: string; auth: Record<string, string> }> {
  const gen = (await (await fetch(`${running.baseUrl}/v3/directline/tokens/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { token: string };
  const auth = { authorization: `Bearer ${gen.token}`, 'content-type': 'application/json' };
  const conv = (await (await fetch(`${running.baseUrl}/v3/directline/conversations`, { method: 'POST', headers: auth })).json()) as { conversationId: string };
  return { id: conv.conversationId, auth };
}

const send = (c: { id: string; auth: Record<string, string> }, body: unknown) =>
  rawRequest(running.baseUrl, { path: `/v3/directline/conversations/${encodeURIComponent(c.id)}/activities`, headers: c.auth, body: typeof body === 'string' ? body : JSON.stringify(body) });
const read = (c: { id: string; auth: Record<string, string> }) =>
  rawRequest(running.baseUrl, { method: 'GET', path: `/v3/directline/conversations/${encodeURIComponent(c.id)}/activities`, headers: c.auth });

const rows: [string, unknown][] = [
  ['R22: a deep value (30 levels) — was 502 BotUnreachable', { type: 'message', value: nest(30) }],
  ['R22: a deep channelData (30 levels) — was 502 BotUnreachable', { type: 'message', text: 'hi', channelData: nest(30) }],
  ['R22: a deep clientActivityID (30 levels) — was echoed, then every GET answered 500', { type: 'message', text: 'hi', channelData: { clientActivityID: nest(30) } }],
  ['R22: a clientActivityID of 4,000 levels — refused by the body decoder', `{"type":"message","text":"hi","channelData":{"clientActivityID":${'['.repeat(4000)}${']'.repeat(4000)}}}`],
  ['R22: a non-string text', { type: 'message', text: { t: 1 } }],
  ['R22: an unknown type', { type: 'conversationUpdate' }],
  ['R22: a numeric locale', { type: 'message', text: 'hi', locale: 31 }],
];

describe('issue 16: Direct Line (development) never breaks a conversation', () => {
  test.each(rows)('%s', async (_t, body) => {
    const c = await open();
    const res = await send(c, body);
    expect(res.status).toBe(400);
    expect(res.body).not.toContain('BotUnreachable');
    // The conversation still works: its stream reads, and a real message gets the bot's answer.
    expect((await read(c)).status).toBe(200);
    const ok = await send(c, { type: 'message', text: 'help', channelData: { clientActivityID: 'c1' } });
    expect(ok.status).toBe(200);
    const deadline = Date.now() + 10_000;
    let stream: { activities: { from?: { role?: string } }[] } = { activities: [] };
    while (Date.now() < deadline) {
      const r = await read(c);
      expect(r.status).toBe(200);
      stream = JSON.parse(r.body);
      if (stream.activities.filter((a) => a.from?.role === 'bot').length >= 2) break;
      await new Promise((r2) => setTimeout(r2, 50));
    }
    expect(stream.activities.filter((a) => a.from?.role === 'bot').length).toBeGreaterThanOrEqual(2);
  });

  test('R22: the echo carries only the shown fields (an extra 200 KB field is not kept in memory)', async () => {
    const c = await open();
    expect((await send(c, { type: 'message', text: 'hi', extra: 'x'.repeat(200 * 1024), channelData: { clientActivityID: 'e1', other: 'y' } })).status).toBe(200);
    const echoed = (JSON.parse((await read(c)).body) as { activities: Record<string, any>[] }).activities.find((a) => a.channelData?.clientActivityID === 'e1');
    expect(echoed).toBeDefined();
    expect(echoed!.extra).toBeUndefined();
    expect(echoed!.channelData).toEqual({ clientActivityID: 'e1' });
  });
});

describe('issue 16: development conversations are bounded', () => {
  test('R22: the stream keeps its newest entries with absolute watermarks; tokens per conversation are capped', () => {
    let now = 0;
    const conversations = new DevConversations(() => now);
    const c = conversations.create({ tenantId: 't', objectId: 'o', name: 'N', upn: 'n@x' }, 'en-US');
    for (let i = 0; i < MAX_STREAM_ENTRIES + 100; i++) conversations.append(c, { type: 'message', text: String(i) });
    expect(c.stream.length).toBe(MAX_STREAM_ENTRIES);
    const all = conversations.since(c, undefined);
    expect(all.watermark).toBe(String(MAX_STREAM_ENTRIES + 100));
    expect(all.activities[0]!.text).toBe('100');
    expect(conversations.since(c, String(MAX_STREAM_ENTRIES + 98)).activities.map((a) => a.text)).toEqual([String(MAX_STREAM_ENTRIES + 98), String(MAX_STREAM_ENTRIES + 99)]);
    const tokens = Array.from({ length: MAX_TOKENS_PER_CONVERSATION + 5 }, () => conversations.issueToken(c.id).token);
    now += 1;
    expect(conversations.conversationOfToken(`Bearer ${tokens[0]!}`)).toBeUndefined();
    expect(conversations.conversationOfToken(`Bearer ${tokens.at(-1)!}`)).toBe(c.id);
    expect(tokens.filter((t) => conversations.conversationOfToken(`Bearer ${t}`) === c.id)).toHaveLength(MAX_TOKENS_PER_CONVERSATION);
  });
});
