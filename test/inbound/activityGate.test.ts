import { appSuite } from '../support/appSuite';
import { post, replyText, teamsActivity } from '../support/activities';
import { rawRequest } from '../support/rawHttp';
import { createActivityGate } from '../../bot/inbound/activityGate';

/**
 * Issue 16: every defect the external fuzzing found on /api/messages, one row each, through HTTP against the real
 * app. Each malformed activity gets a clean 4xx (400, or the Universal Action Model's error body for invokes) and
 * never a turn: no "turn failed" line, no generic error reply, no 5xx — and the bot keeps serving (checked after
 * every row with a valid turn).
 */
const app = appSuite({ redis: false });

type Activity = Record<string, any>;
let n = 0;
const base = (o: Parameters<typeof teamsActivity>[0] = {}): Activity =>
  teamsActivity({ text: 'hi', serviceUrl: app.stub.url, userObjectId: `cccccccc-0000-4000-8000-${String(++n).padStart(12, '0')}`, ...o });
const invoke = (name: string | undefined, value?: unknown): Activity => {
  const a = base({ type: 'invoke', expectReplies: false });
  delete a.text;
  if (name !== undefined) a.name = name;
  if (value !== undefined) a.value = value;
  return a;
};
const nest = (depth: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};
const with_ = (mutate: (a: Activity) => void, o: Parameters<typeof teamsActivity>[0] = {}): Activity => {
  const a = base(o);
  mutate(a);
  return a;
};

interface Row {
  readonly title: string;
  readonly activity: () => Activity | string;
  /** 'activity' = 400 { error: 'invalid_activity' }; 'invokeBad' / 'notSupported' = 400 with the UAM error body. */
  readonly expect: 'activity' | 'invokeBad' | 'notSupported';
}

const rows: Row[] = [
  { title: 'R22: an activity without type ({}) — was 500', activity: () => ({}), expect: 'activity' },
  { title: 'R22: serviceUrl not a string — was 500 leaking "endpoint.toLowerCase is not a function"', activity: () => with_((a) => (a.serviceUrl = 42)), expect: 'activity' },
  { title: 'R22: an activity without serviceUrl — the connector fell back to the public Bot Framework endpoint', activity: () => with_((a) => delete a.serviceUrl), expect: 'activity' },
  { title: 'R22: serviceUrl plain http to a non-loopback host (development allows loopback only)', activity: () => with_((a) => (a.serviceUrl = 'http://smba.example.com/')), expect: 'activity' },
  { title: 'R22: serviceUrl with credentials', activity: () => with_((a) => (a.serviceUrl = 'https://user:pw@smba.example.com/')), expect: 'activity' },
  { title: 'R22: 40 levels of nesting in conversation (RangeError in refreshReference at 4,100)', activity: () => with_((a) => (a.conversation.extra = nest(40))), expect: 'activity' },
  { title: 'R22: deep nesting in conversation within the body limit (10 levels)', activity: () => with_((a) => (a.conversation.extra = nest(10))), expect: 'activity' },
  { title: 'R22: deep nesting in value (30 levels)', activity: () => with_((a) => (a.value = nest(30))), expect: 'activity' },
  { title: 'R22: deep nesting in channelData (30 levels)', activity: () => with_((a) => (a.channelData.extra = nest(30))), expect: 'activity' },
  { title: 'R22: non-string text (number) — TypeError in recognizeIntent', activity: () => with_((a) => (a.text = 12345)), expect: 'activity' },
  { title: 'R22: non-string text (object) — TypeError in recognizeIntent', activity: () => with_((a) => (a.text = { a: 1 })), expect: 'activity' },
  { title: 'R22: non-string text in a group chat — TypeError in cleanText', activity: () => with_((a) => (a.text = ['x']), { conversationType: 'groupChat', conversationId: '19:g@thread.v2' }), expect: 'activity' },
  { title: 'R22: non-string conversation.id — TurnGuard.keysFor', activity: () => with_((a) => (a.conversation.id = { x: 1 })), expect: 'activity' },
  { title: 'R22: missing channelId', activity: () => with_((a) => delete a.channelId), expect: 'activity' },
  { title: 'R22: non-string channelId', activity: () => with_((a) => (a.channelId = 7)), expect: 'activity' },
  { title: 'R22: membersAdded "x" — welcomeOnInstall', activity: () => with_((a) => ((a.type = 'conversationUpdate'), (a.membersAdded = 'x'))), expect: 'activity' },
  { title: 'R22: membersAdded [null] — welcomeOnInstall', activity: () => with_((a) => ((a.type = 'conversationUpdate'), (a.membersAdded = [null]))), expect: 'activity' },
  { title: 'R22: non-string from.name — identity.ts', activity: () => with_((a) => (a.from.name = 7)), expect: 'activity' },
  { title: 'R22: non-string from.role — identity.ts', activity: () => with_((a) => (a.from.role = { r: 1 })), expect: 'activity' },
  { title: 'R22: a numeric locale', activity: () => with_((a) => (a.locale = 1043)), expect: 'activity' },
  { title: 'R22: a lone-surrogate activity id broke the outgoing reply', activity: () => with_((a) => (a.id = 'abc\ud800')), expect: 'activity' },
  { title: 'R22: a 44 KB activity id broke the outgoing reply', activity: () => with_((a) => (a.id = 'i'.repeat(44 * 1024))), expect: 'activity' },
  { title: 'R22: messageDelete without channelData', activity: () => with_((a) => ((a.type = 'messageDelete'), delete a.channelData, delete a.text)), expect: 'activity' },
  { title: 'R22: messageUpdate with channelData a string', activity: () => with_((a) => ((a.type = 'messageUpdate'), (a.channelData = 'x'))), expect: 'activity' },
  { title: 'R22: from missing', activity: () => with_((a) => delete a.from), expect: 'activity' },
  { title: 'R22: the body is JSON but not an object ("x")', activity: () => '"x"', expect: 'activity' },
  { title: 'R22: adaptiveCard/action with value "a"', activity: () => invoke('adaptiveCard/action', 'a'), expect: 'notSupported' },
  { title: 'R22: adaptiveCard/action with value {}', activity: () => invoke('adaptiveCard/action', {}), expect: 'notSupported' },
  { title: 'R22: adaptiveCard/action with a well-formed Action.Execute (the cards use Action.Submit)', activity: () => invoke('adaptiveCard/action', { action: { type: 'Action.Execute', verb: 'menu', data: {} } }), expect: 'notSupported' },
  { title: 'R22: fileConsent/invoke without value (supportsFiles is false)', activity: () => invoke('fileConsent/invoke'), expect: 'notSupported' },
  { title: 'R22: an unknown invoke — was botbuilder\'s 501', activity: () => invoke('foo/bar', { a: 1 }), expect: 'notSupported' },
  { title: 'R22: an invoke without a name (Teams card action)', activity: () => invoke(undefined, { a: 1 }), expect: 'notSupported' },
  { title: 'R22: composeExtension/query (the app has no message extension)', activity: () => invoke('composeExtension/query', { commandId: 'x' }), expect: 'notSupported' },
  { title: 'R22: task/fetch in a group chat', activity: () => ({ ...invoke('task/fetch', { data: { verb: 'openSecurityInfo' } }), conversation: { id: '19:g@thread.v2', conversationType: 'groupChat' } }), expect: 'notSupported' },
  { title: 'R22: an invoke whose name is an object', activity: () => invoke({ x: 1 } as unknown as string), expect: 'invokeBad' },
];

const turnFailures = (): number => app.running.logs.lines.filter((l) => l.includes('"turn failed"') || l.includes('activity processing failed')).length;

describe('issue 16: the inbound gate of /api/messages', () => {
  test.each(rows.map((r) => [r.title, r] as const))('%s', async (_t, row) => {
    const before = turnFailures();
    const a = row.activity();
    const res = await rawRequest(app.running.baseUrl, { path: '/api/messages', headers: { 'content-type': 'application/json' }, body: typeof a === 'string' ? a : JSON.stringify(a) });
    expect(res.status).toBe(400);
    expect(res.body).not.toMatch(/toLowerCase|TypeError|RangeError|stack|is not a function/);
    const body = JSON.parse(res.body);
    if (row.expect === 'activity') expect(body).toEqual({ error: 'invalid_activity' });
    else expect(body).toMatchObject({ statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: row.expect === 'notSupported' ? 'NotSupported' : 'BadRequest' } });
    // Never a turn that failed.
    expect(turnFailures()).toBe(before);
    // R26: the bot keeps answering a valid turn.
    const ok = await post(app.running.baseUrl, base());
    expect(ok.status).toBe(200);
    expect(replyText(ok.replies)).toContain("I'm the Password Reset Assistant");
  });

  test('R20: a refusal writes a debug line with the refused field paths, never their values', async () => {
    const marker = 'Gate-Secret-Marker-9911';
    await rawRequest(app.running.baseUrl, { path: '/api/messages', headers: { 'content-type': 'application/json' }, body: JSON.stringify(with_((a) => ((a.from.name = { marker }), (a.text = 5)))) });
    const line = [...app.running.logs.lines].reverse().find((l) => l.includes('inbound: activity refused'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!).fields).toEqual(expect.arrayContaining(['from.name', 'text']));
    expect(app.running.logs.text).not.toContain(marker);
  });

  test('R22: genuine activities still pass: message, install, task/fetch in the 1:1 chat, https serviceUrl', async () => {
    expect((await post(app.running.baseUrl, base({ serviceUrl: 'https://127.0.0.1:1/emea/' }))).status).toBe(200);
    const install = with_((a) => ((a.type = 'conversationUpdate'), (a.membersAdded = [{ id: a.recipient.id }]), delete a.text));
    const welcomed = await post(app.running.baseUrl, install);
    expect(welcomed.status).toBe(200);
    expect(replyText(welcomed.replies)).toContain("I'm the Password Reset Assistant");
    const fetchTask = invoke('task/fetch', { data: { verb: 'openSecurityInfo' } });
    const res = await rawRequest(app.running.baseUrl, { path: '/api/messages', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fetchTask) });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ task: { type: 'continue' } });
  });
});

describe('issue 16: the serviceUrl rule by mode', () => {
  test('R22: production accepts https only; development also http on loopback', () => {
    const prod = createActivityGate({ allowLoopbackHttp: false });
    const dev = createActivityGate({ allowLoopbackHttp: true });
    const at = (serviceUrl: string) => ({ ...teamsActivity({ text: 'hi' }), serviceUrl });
    expect(prod(at('https://smba.trafficmanager.net/emea/')).ok).toBe(true);
    expect(prod(at('http://127.0.0.1:3978/')).ok).toBe(false);
    expect(dev(at('http://127.0.0.1:3978/')).ok).toBe(true);
    expect(dev(at('http://localhost:3978/')).ok).toBe(true);
    expect(dev(at('http://10.0.0.1/')).ok).toBe(false);
    expect(dev(at('ftp://127.0.0.1/')).ok).toBe(false);
    expect(dev(at('not a url')).ok).toBe(false);
  });
});
