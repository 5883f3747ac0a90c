import { CloudAdapter } from 'botbuilder';
import { ConnectorStub } from '../support/connectorStub';
import { startApp, type RunningApp } from '../support/appHarness';
import { DEMO_TENANT, post, replyText, teamsActivity } from '../support/activities';

let connector: ConnectorStub;
let running: RunningApp;

beforeAll(async () => {
  connector = new ConnectorStub();
  await connector.start();
  running = await startApp({ ALLOWED_TENANTS: `${DEMO_TENANT},22222222-2222-4222-8222-222222222222` });
});
afterAll(async () => {
  await running.close();
  await connector.stop();
});

const act = (o: Parameters<typeof teamsActivity>[0] = {}) => teamsActivity({ serviceUrl: connector.url, ...o });

describe('HTTP: the bot endpoint in-process', () => {
  test('first contact answers with the welcome card and menu in English', async () => {
    const { status, replies } = await post(running.baseUrl, act({ text: 'hi', userObjectId: 'aaaaaaaa-0000-4000-8000-000000000001' }));
    expect(status).toBe(200);
    const text = replyText(replies);
    expect(text).toContain("I'm the Password Reset Assistant");
    expect(text).toContain('What would you like to do?');
    expect(replies[0]!.attachments![0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
  });

  test('issue 15: a turn runs through CloudAdapter.processActivity, not CloudAdapter.process (zod v3 schemas built per request); timestamps reach botbuilder as Dates', async () => {
    const processSpy = jest.spyOn(CloudAdapter.prototype, 'process');
    const seen: unknown[] = [];
    const inner = (CloudAdapter.prototype as unknown as { processActivity: (...a: unknown[]) => Promise<unknown> }).processActivity;
    const activitySpy = jest
      .spyOn(CloudAdapter.prototype as unknown as { processActivity: (...a: unknown[]) => Promise<unknown> }, 'processActivity')
      .mockImplementation(function (this: unknown, ...args: unknown[]) {
        seen.push(args[1]);
        return inner.apply(this, args);
      });
    try {
      const { status, replies } = await post(running.baseUrl, act({ text: 'help', userObjectId: 'aaaaaaaa-0000-4000-8000-000000000010' }));
      expect(status).toBe(200);
      expect(replies.length).toBeGreaterThan(0);
      expect(processSpy).not.toHaveBeenCalled();
      const activity = seen[0] as { timestamp?: unknown; rawTimestamp?: unknown } | undefined;
      expect(activity?.timestamp).toBeInstanceOf(Date);
      expect(typeof activity?.rawTimestamp).toBe('string');
    } finally {
      processSpy.mockRestore();
      activitySpy.mockRestore();
    }
  });

  test('and in Dutch with locale nl-NL', async () => {
    const { replies } = await post(running.baseUrl, act({ text: 'hallo', locale: 'nl-NL', userObjectId: 'aaaaaaaa-0000-4000-8000-000000000002' }));
    const text = replyText(replies);
    expect(text).toContain('ik ben de Wachtwoordassistent');
    expect(text).toContain('Wat wil je doen?');
  });

  test('help and unknown text show the menu; cancel with nothing running says so (en + nl)', async () => {
    const user = 'aaaaaaaa-0000-4000-8000-000000000003';
    await post(running.baseUrl, act({ text: 'hi', userObjectId: user }));
    expect(replyText((await post(running.baseUrl, act({ text: 'help', userObjectId: user }))).replies)).toContain('How I can help');
    expect(replyText((await post(running.baseUrl, act({ text: 'blah blah', userObjectId: user }))).replies)).toContain("Sorry, I didn't get that");
    expect(replyText((await post(running.baseUrl, act({ text: 'annuleren', locale: 'nl-NL', userObjectId: user }))).replies)).toContain('Er is niets om te annuleren');
    expect(replyText((await post(running.baseUrl, act({ text: 'hulp', locale: 'nl-NL', userObjectId: user }))).replies)).toContain('Waarmee ik je kan helpen');
  });

  test('a menu card submit is routed by its verb; an invalid submit is re-asked politely', async () => {
    const user = 'aaaaaaaa-0000-4000-8000-000000000004';
    await post(running.baseUrl, act({ text: 'hi', userObjectId: user }));
    const help = await post(running.baseUrl, act({ value: { verb: 'menu', choice: 'help' }, userObjectId: user }));
    expect(replyText(help.replies)).toContain('How I can help');
    const bad = await post(running.baseUrl, act({ value: { verb: 'menu', choice: 'x'.repeat(10_000) }, userObjectId: user }));
    expect(replyText(bad.replies)).toContain('That card is no longer active');
    const weird = await post(running.baseUrl, act({ value: { verb: 'dropTables' }, userObjectId: user }));
    expect(replyText(weird.replies)).toContain('That card is no longer active');
  });

  test('R1: in a group chat or channel the bot points to the 1:1 chat and keeps no state', async () => {
    for (const conversationType of ['groupChat', 'channel'] as const) {
      const { replies } = await post(running.baseUrl, act({ text: 'I forgot my password', conversationType, conversationId: `19:${conversationType}@thread.v2` }));
      expect(replyText(replies)).toContain('private chat');
      expect(replies).toHaveLength(1);
    }
  });

  test('R2: a guest (per the Teams roster) is refused', async () => {
    const guest = 'aaaaaaaa-0000-4000-8000-0000000000ff';
    connector.members.set(`29:${guest}`, { id: `29:${guest}`, name: 'Guest User', aadObjectId: guest, userRole: 'guest' });
    const { replies } = await post(running.baseUrl, act({ text: 'I forgot my password', userObjectId: guest }));
    expect(replyText(replies)).toContain("I can't help with this account here");
  });

  test('R2: an activity without an Entra identity, or from a tenant not allowed, is refused', async () => {
    const anon = act({ text: 'hi' });
    delete (anon.from as Record<string, unknown>).aadObjectId;
    expect(replyText((await post(running.baseUrl, anon)).replies)).toContain("I can't help with this account here");
    const foreign = act({ text: 'hi', tenantId: '99999999-9999-4999-8999-999999999999', userObjectId: 'aaaaaaaa-0000-4000-8000-000000000005' });
    expect(replyText((await post(running.baseUrl, foreign)).replies)).toContain("I can't help with this account here");
  });

  test('health, readiness and metrics', async () => {
    expect((await fetch(`${running.baseUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${running.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${running.baseUrl}/metrics`)).text();
    expect(metrics).toContain('sspr_turns_total');
    expect(metrics).toContain('sspr_turn_duration_seconds_bucket');
  });

  test('an oversized body is refused without reaching the bot', async () => {
    const res = await fetch(`${running.baseUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...act({ text: 'x' }), pad: 'y'.repeat(400 * 1024) }),
    });
    expect(res.status).toBe(413);
  });

  test('unknown paths answer 404 and the server keeps running (API paths with a stable JSON code)', async () => {
    for (const path of ['/favicon.ico', '/nope', '/api/nope', '/api/helpdesk/nope', '/app/nope']) {
      const res = await fetch(`${running.baseUrl}${path}`);
      expect(res.status).toBe(404);
      if (path.startsWith('/api/')) expect(await res.json()).toEqual({ error: 'not_found' });
    }
    expect((await fetch(`${running.baseUrl}/healthz`)).status).toBe(200);
  });

  test('message text never reaches the logs', async () => {
    await post(running.baseUrl, act({ text: 'my secret is Hunter2-Unique-Marker', userObjectId: 'aaaaaaaa-0000-4000-8000-000000000006' }));
    expect(running.logs.text).not.toContain('Hunter2-Unique-Marker');
  });
});
