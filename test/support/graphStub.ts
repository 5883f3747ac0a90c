import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AcceptedMessage, ConversationLog } from '../../scripts/campaigns/flakyConnector';

export interface StubUser {
  id: string;
  displayName: string;
  givenName?: string;
  surname?: string;
  userPrincipalName: string;
  accountEnabled?: boolean;
  mobilePhone?: string;
  businessPhones?: string[];
  otherMails?: string[];
  /** Directory roles (e.g. "Global Administrator") → privileged (R3). */
  roles?: string[];
  /** Direct group memberships. */
  groups?: { id: string; displayName: string }[];
  /** Groups the user is in only through nesting (in transitiveMemberOf, not in memberOf). */
  nestedGroups?: { id: string; displayName: string }[];
  /** PIM: roles the user may activate (roleEligibilityScheduleInstances) → privileged too (R3). */
  eligibleRoles?: string[];
  /** e.g. "DisablePasswordExpiration". */
  passwordPolicies?: string;
  password: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  /** Parsed JSON or form body; the password value is replaced by "[redacted]" in this record. */
  body: unknown;
  at: number;
  status: number;
}

interface StoredUser extends Omit<StubUser, 'password'> {
  passwordHash: string;
  lastPasswordChangeDateTime: string;
  forceChangePasswordNextSignIn: boolean;
  passwordChanges: number;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * A local HTTP server speaking the parts of Microsoft Graph and the Entra token endpoint the GraphDirectory uses:
 * client-credentials tokens, GET/PATCH /v1.0/users/{id}, transitiveMemberOf/directoryRole and memberOf/group, transitiveMemberOf/group.
 * Entra password rules on PATCH (8–256, 3 of 4 classes, ASCII). Fault hooks: 429 with Retry-After, a slow answer
 * after the change was applied, 403 on reset.
 */
export class GraphStub {
  readonly tenantId = '00000000-0000-0000-0000-000000000001';
  readonly clientId = 'sspr-test-client';
  readonly clientSecret = randomBytes(12).toString('hex');
  readonly requests: RecordedRequest[] = [];
  tokensIssued = 0;
  tokenLifetimeSeconds = 3600;
  private readonly validTokens = new Set<string>();
  private readonly users = new Map<string, StoredUser>();
  private server: Server | null = null;
  private port = 0;
  /** Next N PATCH requests answer 429 with this Retry-After. */
  throttle: { remaining: number; retryAfter: string } = { remaining: 0, retryAfter: '1' };
  /** PATCH applies the change, then waits this long before answering. */
  delayAfterApplyMs = 0;
  /** PATCH answers 403 Authorization_RequestDenied (e.g. the app may not reset an admin). */
  forbidReset = false;
  /** GET /domains/{name}: passwordValidityPeriodInDays (2147483647 = never). */
  readonly domains = new Map<string, number>([['contoso.example', 90]]);
  /** Group ids with PIM-eligible roles (role-assignable groups). */
  readonly eligibleGroups = new Set<string>();
  /**
   * Teams messages (the campaign read-back, issue 13): the conversations as the local Bot Connector holds them, served
   * as Graph lists them (installedApps → chat → messages; channel messages). null = no Teams here (404).
   */
  teams: ConversationLog | null = null;
  /** The bot's id in the Teams app catalog (teamsApp id). */
  catalogAppId = 'sspr-catalog-app';
  /** 403 on chat and channel message lists: the admin did not grant Chat.Read.All / ChannelMessage.Read.*. */
  denyMessageReads = false;

  constructor(users: StubUser[]) {
    for (const u of users) {
      const { password, ...rest } = u;
      this.users.set(u.id.toLowerCase(), {
        ...rest,
        passwordHash: sha(password),
        lastPasswordChangeDateTime: '2026-01-01T08:00:00Z',
        forceChangePasswordNextSignIn: false,
        passwordChanges: 0,
      });
    }
  }

  get authorityHost(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1.0`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  /** Whether the stored password is `password` (the stub keeps only a hash). */
  passwordIs(id: string, password: string): boolean {
    return this.users.get(id.toLowerCase())?.passwordHash === sha(password);
  }
  passwordChanges(id: string): number {
    return this.users.get(id.toLowerCase())?.passwordChanges ?? 0;
  }
  forceChange(id: string): boolean {
    return this.users.get(id.toLowerCase())?.forceChangePasswordNextSignIn ?? false;
  }
  revokeTokens(): void {
    this.validTokens.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await new Promise<string>((resolve) => {
      let b = '';
      req.on('data', (d: Buffer) => (b += d.toString()));
      req.on('end', () => resolve(b));
    });
    const url = new URL(req.url ?? '/', 'http://stub');
    const rec: RecordedRequest = { method: req.method ?? '', path: url.pathname + url.search, authorization: req.headers.authorization, body: null, at: Date.now(), status: 0 };
    this.requests.push(rec);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      rec.status = status;
      if (res.destroyed) return;
      res.writeHead(status, { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers });
      res.end(body !== undefined ? JSON.stringify(body) : undefined);
    };
    const graphError = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
      send(status, { error: { code, message, innerError: { 'request-id': randomBytes(8).toString('hex') } } }, headers);

    if (req.method === 'POST' && url.pathname === `/${this.tenantId}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(raw);
      rec.body = { ...Object.fromEntries(form), client_secret: '[redacted]' };
      if (form.get('grant_type') !== 'client_credentials' || form.get('scope') !== 'https://graph.microsoft.com/.default')
        return send(400, { error: 'invalid_request' });
      if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) return send(401, { error: 'invalid_client' });
      const token = `stub-${randomBytes(16).toString('hex')}`;
      this.validTokens.add(token);
      this.tokensIssued++;
      return send(200, { token_type: 'Bearer', expires_in: this.tokenLifetimeSeconds, access_token: token });
    }

    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !this.validTokens.has(auth.slice(7)))
      return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');
    if (req.method === 'GET' && url.pathname === '/v1.0/users') {
      // Paged list: $top, and @odata.nextLink carrying an opaque $skiptoken (as Graph does).
      const top = Math.min(999, Number(url.searchParams.get('$top') ?? '100') || 100);
      const skip = url.searchParams.get('$skiptoken');
      const offset = skip ? Number(Buffer.from(skip, 'base64url').toString('utf8').replace(/^o:/, '')) : 0;
      const all = [...this.users.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
      const page = all.slice(offset, offset + top).map((u) => this.view(u));
      const next = offset + top < all.length ? `${this.baseUrl}/users?$select=${encodeURIComponent(url.searchParams.get('$select') ?? '')}&$top=${top}&$skiptoken=${Buffer.from(`o:${offset + top}`).toString('base64url')}` : undefined;
      return send(200, { value: page, ...(next ? { '@odata.nextLink': next } : {}) });
    }
    const dm = /^\/v1\.0\/domains\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && dm) {
      const name = decodeURIComponent(dm[1]!).toLowerCase();
      const days = this.domains.get(name);
      if (days === undefined) return graphError(404, 'Request_ResourceNotFound', 'Unknown domain');
      return send(200, { id: name, passwordValidityPeriodInDays: days });
    }
    if (req.method === 'GET' && url.pathname === '/v1.0/roleManagement/directory/roleEligibilityScheduleInstances') {
      const filter = url.searchParams.get('$filter') ?? '';
      const ids = [...filter.matchAll(/'([^']+)'/g)].map((x) => x[1]!.toLowerCase());
      const value: unknown[] = [];
      for (const id of ids) {
        for (const r of this.users.get(id)?.eligibleRoles ?? []) value.push({ id: `elig-${id}-${r}`, principalId: id, roleDefinitionId: r, directoryScopeId: '/' });
        if (this.eligibleGroups.has(id)) value.push({ id: `elig-${id}`, principalId: id, roleDefinitionId: 'group-role', directoryScopeId: '/' });
      }
      return send(200, { value });
    }
    const teams = this.teamsRoute(req.method ?? '', url);
    if (teams) return send(teams.status, teams.body);
    const m = /^\/v1\.0\/users\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (!m) return graphError(404, 'Request_ResourceNotFound', 'Unknown path');
    const key = decodeURIComponent(m[1]!).toLowerCase();
    const user = this.users.get(key) ?? [...this.users.values()].find((u) => u.userPrincipalName.toLowerCase() === key);
    if (!user) return graphError(404, 'Request_ResourceNotFound', `Resource '${m[1]}' does not exist.`);
    const sub = m[2] ?? '';

    if (req.method === 'GET' && sub === '') {
      const select = (url.searchParams.get('$select') ?? '').split(',').filter(Boolean);
      const full = this.view(user);
      return send(200, select.length ? Object.fromEntries(select.map((k) => [k, full[k]])) : full);
    }
    if (req.method === 'GET' && sub === '/transitiveMemberOf/microsoft.graph.directoryRole') {
      return send(200, { value: (user.roles ?? []).map((r, i) => ({ '@odata.type': '#microsoft.graph.directoryRole', id: `role-${i}`, displayName: r })) });
    }
    if (req.method === 'GET' && (sub === '/memberOf/microsoft.graph.group' || sub === '/transitiveMemberOf/microsoft.graph.group')) {
      const groups = [...(user.groups ?? []), ...(sub.startsWith('/transitive') ? (user.nestedGroups ?? []) : [])];
      return send(200, { value: groups.map((g) => ({ '@odata.type': '#microsoft.graph.group', ...g })) });
    }
    if (req.method === 'PATCH' && sub === '') {
      let body: { passwordProfile?: { password?: unknown; forceChangePasswordNextSignIn?: unknown } };
      try {
        body = JSON.parse(raw) as typeof body;
      } catch {
        return graphError(400, 'BadRequest', 'Invalid JSON');
      }
      rec.body = { passwordProfile: { ...body.passwordProfile, password: '[redacted]' } };
      if (this.throttle.remaining > 0) {
        this.throttle.remaining--;
        return graphError(429, 'TooManyRequests', 'Too many requests', { 'Retry-After': this.throttle.retryAfter });
      }
      if (this.forbidReset) return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
      const pw = body.passwordProfile?.password;
      if (typeof pw !== 'string') return graphError(400, 'Request_BadRequest', 'Invalid value specified for property passwordProfile.');
      const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length;
      if (pw.length < 8 || pw.length > 256 || classes < 3 || /[^\x20-\x7e]/.test(pw))
        return graphError(400, 'Request_BadRequest', 'The specified password does not comply with password complexity requirements. Please provide a different password.');
      user.passwordHash = sha(pw);
      user.forceChangePasswordNextSignIn = body.passwordProfile?.forceChangePasswordNextSignIn === true;
      user.lastPasswordChangeDateTime = new Date().toISOString();
      user.passwordChanges++;
      if (this.delayAfterApplyMs > 0) await new Promise((r) => setTimeout(r, this.delayAfterApplyMs));
      return send(204);
    }
    return graphError(405, 'Request_BadRequest', 'Unsupported');
  }

  /**
   * The Teams part of Graph the read-back uses, from the documented shapes: `GET /users/{id}/teamwork/installedApps`
   * ($expand=teamsApp, $filter=teamsApp/id eq '…'), `…/installedApps/{installation}/chat`, `GET /chats/{id}/messages`
   * ($top ≤ 50, $orderby lastModifiedDateTime|createdDateTime desc, $filter lastModifiedDateTime gt/lt, newest first,
   * @odata.nextLink) and `GET /teams/{team}/channels/{channel}/messages` ($top ≤ 50, no filter). Null = not a Teams path.
   */
  private teamsRoute(method: string, url: URL): { status: number; body: unknown } | null {
    const apps = /^\/v1\.0\/users\/([^/]+)\/teamwork\/installedApps(?:\/([^/]+)(\/chat)?)?$/.exec(url.pathname);
    const chat = /^\/v1\.0\/chats\/([^/]+)\/messages$/.exec(url.pathname);
    const channel = /^\/v1\.0\/teams\/([^/]+)\/channels\/([^/]+)\/messages$/.exec(url.pathname);
    if (!apps && !chat && !channel) return null;
    const error = (status: number, code: string, message: string) => ({ status, body: { error: { code, message } } });
    if (method !== 'GET') return error(405, 'BadRequest', 'Unsupported');
    const log = this.teams;
    if (!log) return error(404, 'NotFound', 'No Teams here');
    const b64 = (x: string) => Buffer.from(x, 'utf8').toString('base64url');
    const unb64 = (x: string) => Buffer.from(x, 'base64url').toString('utf8');
    if (apps) {
      const user = decodeURIComponent(apps[1]!);
      const conversation = log.personalConversation(user);
      const installation = b64(`${user}##${this.catalogAppId}`);
      if (apps[2] === undefined) {
        const wanted = /teamsApp\/id eq '([^']*)'/.exec(url.searchParams.get('$filter') ?? '')?.[1];
        const value = conversation && (wanted === undefined || wanted === this.catalogAppId)
          ? [{ id: installation, ...(url.searchParams.get('$expand')?.includes('teamsApp') ? { teamsApp: { id: this.catalogAppId, externalId: null, displayName: 'Password Reset Assistant', distributionMethod: 'organization' } } : {}) }]
          : [];
        return { status: 200, body: { value } };
      }
      if (decodeURIComponent(apps[2]) !== installation || !conversation) return error(404, 'NotFound', 'No such installation');
      if (!apps[3]) return { status: 200, body: { id: installation } };
      return { status: 200, body: { id: `19:${b64(conversation)}@unq.gbl.spaces`, topic: null, chatType: 'oneOnOne', tenantId: this.tenantId } };
    }
    if (this.denyMessageReads) return error(403, 'Forbidden', 'Missing role permissions on the request.');
    const top = Number(url.searchParams.get('$top') ?? (chat ? '50' : '20'));
    if (!Number.isInteger(top) || top < 1 || top > 50) return error(400, 'BadRequest', '$top must be 1–50');
    let list: readonly AcceptedMessage[];
    let path: string;
    if (chat) {
      const id = decodeURIComponent(chat[1]!);
      const inner = /^19:(.+)@unq\.gbl\.spaces$/.exec(id)?.[1];
      if (!inner) return error(404, 'NotFound', 'No such chat');
      list = log.messages(unb64(inner));
      path = `/chats/${encodeURIComponent(id)}/messages`;
      const filter = url.searchParams.get('$filter') ?? '';
      const order = url.searchParams.get('$orderby') ?? 'lastModifiedDateTime desc';
      if (!['lastModifiedDateTime desc', 'createdDateTime desc'].includes(order)) return error(400, 'BadRequest', 'Unsupported $orderby');
      for (const [, op, at] of filter.matchAll(/lastModifiedDateTime (gt|lt) (\S+)/g)) {
        // Graph filters only when $orderby names the same property; else it ignores the filter.
        if (!order.startsWith('lastModifiedDateTime')) break;
        const t = Date.parse(at!);
        list = list.filter((m) => (op === 'gt' ? m.at > t : m.at < t));
      }
    } else {
      list = log.messages(decodeURIComponent(channel![2]!));
      path = `/teams/${channel![1]}/channels/${channel![2]}/messages`;
    }
    const newest = [...list].sort((a, b) => b.at - a.at);
    const skip = Number(url.searchParams.get('$skiptoken') ? unb64(url.searchParams.get('$skiptoken')!) : '0');
    const page = newest.slice(skip, skip + top).map((m) => this.chatMessage(m));
    const rest = new URLSearchParams(url.searchParams);
    rest.set('$skiptoken', b64(String(skip + top)));
    return { status: 200, body: { value: page, ...(skip + top < newest.length ? { '@odata.nextLink': `${this.baseUrl}${path}?${rest.toString()}` } : {}) } };
  }

  /** A message the connector accepted, as a Graph chatMessage (attachments' content is the card JSON as sent). */
  private chatMessage(m: AcceptedMessage): Record<string, unknown> {
    const a = m.activity as { text?: unknown; from?: { id?: unknown; name?: unknown }; attachments?: { contentType?: string; content?: unknown; name?: string }[] };
    const attachments = (a.attachments ?? []).map((x, i) => ({
      id: `${m.id}-${i}`,
      contentType: x.contentType ?? null,
      contentUrl: null,
      content: x.content === undefined ? null : JSON.stringify(x.content),
      name: x.name ?? null,
      thumbnailUrl: null,
      teamsAppId: null,
    }));
    const iso = new Date(m.at).toISOString();
    const botId = typeof a.from?.id === 'string' ? a.from.id.replace(/^28:/, '') : '';
    return {
      id: m.id,
      replyToId: null,
      messageType: 'message',
      createdDateTime: iso,
      lastModifiedDateTime: iso,
      deletedDateTime: null,
      importance: 'normal',
      from: { user: null, device: null, application: { '@odata.type': '#microsoft.graph.teamworkApplicationIdentity', id: botId, displayName: typeof a.from?.name === 'string' ? a.from.name : null, applicationIdentityType: 'bot' } },
      body: { contentType: 'html', content: `${typeof a.text === 'string' ? a.text : ''}${attachments.map((x) => `<attachment id="${x.id}"></attachment>`).join('')}` },
      attachments,
      mentions: [],
      reactions: [],
    };
  }

  private view(user: StoredUser): Record<string, unknown> {
    return {
      id: user.id,
      displayName: user.displayName,
      givenName: user.givenName ?? null,
      surname: user.surname ?? null,
      userPrincipalName: user.userPrincipalName,
      accountEnabled: user.accountEnabled ?? true,
      lastPasswordChangeDateTime: user.lastPasswordChangeDateTime,
      passwordPolicies: user.passwordPolicies ?? null,
      mobilePhone: user.mobilePhone ?? null,
      businessPhones: user.businessPhones ?? [],
      otherMails: user.otherMails ?? [],
    };
  }
}
