import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphAppInstaller } from '../../adapters/helpdesk/graphAppInstaller';
import { startApp, type RunningApp } from '../support/appHarness';
import { ConnectorStub } from '../support/connectorStub';
import { post, teamsActivity, DEMO_TENANT } from '../support/activities';
import { t } from '../../locales';

/** The demo directory's Helpdesk group, by object id (R32). */
const HELPDESK_GROUP = '5fc16da7-8e90-4cbf-8d34-60718293a4b5';

const DIEGO = 'f5a3c1e9-7b2d-4c6e-8f0a-1b3d5e7f9c66'; // group Helpdesk
const JONI = '3d9c2b71-8e4f-4f0a-a6b2-5e1c7d9f0a44';
const LIDIA = 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21';
const MEGAN = '6e7b768e-07e2-4810-8459-485f84f8f204';
const CATALOG_APP = 'e3b0c442-98fc-4c14-9afb-4c8996fb9242';
const GRAPH_TENANT = '00000000-0000-0000-0000-000000000001';

interface Event {
  readonly what: string;
  readonly at: number;
  readonly detail?: unknown;
}

/** A local server speaking Graph's token endpoint and POST /users/{id}/teamwork/installedApps. */
class GraphInstallStub {
  private server: Server | null = null;
  port = 0;
  readonly events: Event[] = [];
  /** Answer per user object id (default 201). */
  readonly answers = new Map<string, number>();
  tokenStatus = 200;
  /** Called after a 201 (Teams then sends the install conversationUpdate to the bot). */
  onInstalled: ((userId: string) => void) | null = null;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
  }
  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = req.url ?? '';
    const json = (status: number, body?: unknown): void => {
      res.statusCode = status;
      if (body === undefined) {
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && url === `/${GRAPH_TENANT}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(raw);
      this.events.push({ what: 'token', at: Date.now(), detail: Object.fromEntries(form) });
      if (this.tokenStatus !== 200 || form.get('client_secret') !== 'graph-secret' || form.get('grant_type') !== 'client_credentials') {
        json(this.tokenStatus === 200 ? 401 : this.tokenStatus, { error: 'invalid_client' });
        return;
      }
      json(200, { token_type: 'Bearer', expires_in: 3599, access_token: 'graph-access-token' });
      return;
    }
    const m = /^\/v1\.0\/users\/([^/]+)\/teamwork\/installedApps$/.exec(url);
    if (req.method === 'POST' && m?.[1]) {
      const user = decodeURIComponent(m[1]);
      this.events.push({ what: 'install', at: Date.now(), detail: { user, auth: req.headers.authorization, body: JSON.parse(raw) as unknown } });
      if (req.headers.authorization !== 'Bearer graph-access-token') {
        json(401, { error: { code: 'InvalidAuthenticationToken' } });
        return;
      }
      const status = this.answers.get(user) ?? 201;
      if (status === 201) {
        json(201);
        this.onInstalled?.(user);
      } else if (status === 409) json(409, { error: { code: 'Conflict', message: 'App is already installed.' } });
      else if (status === 403) json(403, { error: { code: 'Forbidden', message: 'Missing role permissions on the request.' } });
      else json(status, { error: { code: 'InternalServerError' } });
      return;
    }
    json(404, { error: { code: 'NotFound' } });
  }
}

const clock = { now: () => Date.now() };

describe('GraphAppInstaller against a local Graph', () => {
  let graph: GraphInstallStub;
  beforeAll(async () => {
    graph = new GraphInstallStub();
    await graph.start();
  });
  afterAll(async () => graph.stop());

  const installer = (secret = 'graph-secret') =>
    new GraphAppInstaller({
      tenantId: GRAPH_TENANT,
      clientId: 'graph-client',
      clientSecret: secret,
      baseUrl: `${graph.url}/v1.0`,
      authorityHost: graph.url,
      catalogAppId: CATALOG_APP,
      clock,
    });

  test('201 installed, 409 already, 403 denied, 500 failed; one token for several installs; the catalog app is bound', async () => {
    graph.events.length = 0;
    graph.answers.set('u-409', 409).set('u-403', 403).set('u-500', 500);
    const i = installer();
    expect(await i.install('u-201')).toBe('installed');
    expect(await i.install('u-409')).toBe('already');
    expect(await i.install('u-403')).toBe('denied');
    expect(await i.install('u-500')).toBe('failed');
    expect(graph.events.filter((e) => e.what === 'token')).toHaveLength(1);
    const token = graph.events.find((e) => e.what === 'token')!.detail as Record<string, string>;
    expect(token).toMatchObject({ grant_type: 'client_credentials', client_id: 'graph-client', scope: 'https://graph.microsoft.com/.default' });
    const first = graph.events.find((e) => e.what === 'install')!.detail as { auth: string; body: Record<string, string> };
    expect(first.auth).toBe('Bearer graph-access-token');
    expect(first.body).toEqual({ 'teamsApp@odata.bind': `${graph.url}/v1.0/appCatalogs/teamsApps/${CATALOG_APP}` });
  });

  test('a refused token request is "denied" (the app has no consent)', async () => {
    expect(await installer('wrong-secret').install('u-201')).toBe('denied');
  });

  test('Graph unreachable is "failed"', async () => {
    const gone = new GraphAppInstaller({
      tenantId: GRAPH_TENANT,
      clientId: 'c',
      clientSecret: 's',
      baseUrl: 'http://127.0.0.1:9/v1.0',
      authorityHost: 'http://127.0.0.1:9',
      catalogAppId: CATALOG_APP,
      clock,
    });
    expect(await gone.install('u')).toBe('failed');
  });
});

describe('R18 R21: hand-off to a user who never opened the bot', () => {
  let graph: GraphInstallStub;
  let stub: ConnectorStub;
  let running: RunningApp;

  beforeAll(async () => {
    graph = new GraphInstallStub();
    await graph.start();
    stub = new ConnectorStub();
    await stub.start();
    const dir = mkdtempSync(join(tmpdir(), 'gi-'));
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ helpdesk: { agentGroups: [HELPDESK_GROUP] } }));
    running = await startApp(
      {
        POLICY_FILE: policyFile,
        GRAPH_TENANT_ID: GRAPH_TENANT,
        GRAPH_CLIENT_ID: 'graph-client',
        GRAPH_CLIENT_SECRET: 'graph-secret',
        GRAPH_BASE_URL: `${graph.url}/v1.0`,
        GRAPH_AUTHORITY_HOST: graph.url,
        TEAMS_APP_ID: CATALOG_APP,
      },
      { helpdesk: { installWaitMs: 3000 } },
    );
    // What Teams does after a successful install: the install conversationUpdate of the new 1:1 chat.
    graph.onInstalled = (userId) => {
      setTimeout(() => {
        graph.events.push({ what: 'conversationUpdate', at: Date.now(), detail: userId });
        post(running.baseUrl, {
          ...teamsActivity({ type: 'conversationUpdate', userObjectId: userId, userName: 'Joni Sherman', serviceUrl: stub.url, expectReplies: false, conversationId: `a:installed-${userId}` }),
          membersAdded: [{ id: '28:bot-id', name: 'Password Reset Assistant' }],
        }).catch(() => undefined);
      }, 150);
    };
  });
  afterAll(async () => {
    await running.close();
    await stub.stop();
    await graph.stop();
  });

  const channelMsg = (text: string, locale = 'en-US') =>
    teamsActivity({
      text: `<at>Password Reset Assistant</at> ${text}`,
      userObjectId: DIEGO,
      userName: 'Diego Siciliani',
      conversationType: 'channel',
      conversationId: '19:helpdesk@thread.tacv2',
      serviceUrl: stub.url,
      expectReplies: false,
      locale,
    });

  const lastCard = (): string => {
    const updates = stub.calls.filter((c) => c.method === 'PUT' && c.path.includes(encodeURIComponent('19:helpdesk@thread.tacv2')));
    return JSON.stringify(updates.at(-1)?.body ?? null);
  };

  test('Graph install (201) → wait for the install activity → then send the offer to the new chat', async () => {
    stub.clear();
    graph.events.length = 0;
    await post(running.baseUrl, channelMsg('handoff joni.sherman@contoso.example reset INC-1'));
    await running.app.helpdesk.bot.settled();
    const install = graph.events.find((e) => e.what === 'install');
    const update = graph.events.find((e) => e.what === 'conversationUpdate');
    expect((install?.detail as { user: string }).user).toBe(JONI);
    expect(update).toBeDefined();
    // The install activity's own welcome card, then the offer.
    const toNewChat = stub.calls.filter((c) => c.method === 'POST' && c.path.includes(encodeURIComponent(`a:installed-${JONI}`)));
    const offers = toNewChat.filter((c) => JSON.stringify(c.body).includes('handoffStart'));
    expect(offers).toHaveLength(1);
    expect(JSON.stringify(offers[0]!.body)).toContain('Diego Siciliani, ticket INC-1');
    // The offer went to the chat the install activity announced (so it was sent after it), nowhere else.
    expect(stub.calls.filter((c) => c.method === 'POST' && c.path.includes(encodeURIComponent(`a:${JONI}`)))).toHaveLength(0);
    expect(update!.at).toBeGreaterThanOrEqual(install!.at);
    expect(lastCard()).toContain('"Status","value":"Sent"');
    // The bot now knows Joni's new 1:1 chat: what follows (the outcome, R18 notices) reaches her there.
    expect((await running.app.state.refs.get({ tenantId: DEMO_TENANT, objectId: JONI }))?.conversation).toMatchObject({ id: `a:installed-${JONI}` });
  });

  test.each([
    ['en-US', 'en'],
    ['nl-NL', 'nl'],
  ] as const)('Graph 403 → the agent is told exactly that (%s); no message to the user', async (locale, lang) => {
    stub.clear();
    graph.answers.set(LIDIA, 403);
    await post(running.baseUrl, channelMsg('handoff lidia.holloway@contoso.example unlock', locale));
    await running.app.helpdesk.bot.settled();
    expect(stub.calls.filter((c) => c.path.includes(encodeURIComponent(`a:installed-${LIDIA}`)))).toHaveLength(0);
    const card = lastCard();
    expect(card).toContain(JSON.stringify(t(lang, 'helpdesk.reason.install_denied')).slice(1, -1));
    expect(card).toContain(t(lang, 'helpdesk.status.state'));
  });

  test('Graph 409 (already installed) but no install activity arrives → the agent learns the user is not reachable', async () => {
    stub.clear();
    graph.answers.set(MEGAN, 409);
    await post(running.baseUrl, channelMsg('handoff megan.bowen@contoso.example reset'));
    await running.app.helpdesk.bot.settled();
    expect(lastCard()).toContain(JSON.stringify(t('en', 'helpdesk.reason.not_reachable')).slice(1, -1));
  });
});
