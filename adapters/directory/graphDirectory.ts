import { SsprError } from '../../domain/errors';
import type { Clock } from '../../domain/ports/clock';
import type {
  Directory,
  DirectoryCapabilities,
  DirectoryContacts,
  DirectoryLockout,
  DirectoryScanPage,
  DirectoryUser,
  SetPasswordRefusal,
  SetPasswordResult,
  UnlockResult,
} from '../../domain/ports/directory';
import type { UserRef } from '../../domain/model/user';

export interface GraphDirectoryOptions {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** e.g. https://graph.microsoft.com/v1.0 (no trailing slash). */
  readonly baseUrl: string;
  /** e.g. https://login.microsoftonline.com */
  readonly authorityHost: string;
  /** Token scope (default https://graph.microsoft.com/.default). */
  readonly scope?: string;
  /** Per-request timeout (default 10 s). A PATCH that times out answers { ok:false, reason:'unknown' } (F12). */
  readonly timeoutMs?: number;
  /** Tries per request when Graph answers 429/503 (default 3, F14). */
  readonly maxTries?: number;
  /** Longest Retry-After we are willing to wait (default 60 s); longer → directory_throttled. */
  readonly maxRetryAfterMs?: number;
  readonly fetch?: typeof fetch;
  readonly clock?: Clock;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface GraphUser {
  id: string;
  displayName?: string | null;
  givenName?: string | null;
  surname?: string | null;
  userPrincipalName?: string | null;
  accountEnabled?: boolean | null;
  lastPasswordChangeDateTime?: string | null;
  mobilePhone?: string | null;
  businessPhones?: string[] | null;
  otherMails?: string[] | null;
  passwordPolicies?: string | null;
}

interface GraphList<T> {
  value?: T[];
  '@odata.nextLink'?: string;
}

interface GraphResponse {
  status: number;
  body: unknown;
}

const USER_SELECT = 'id,displayName,givenName,surname,userPrincipalName,accountEnabled,lastPasswordChangeDateTime,mobilePhone,businessPhones,otherMails';
/** passwordValidityPeriodInDays meaning "never expires". */
const NEVER_EXPIRES_DAYS = 2147483647;
const DAY_MS = 86_400_000;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Renew the app token this long before it expires. */
const TOKEN_MARGIN_MS = 5 * 60_000;
const MAX_PAGES = 20;

class TimeoutError extends Error {}

/**
 * Entra ID through Microsoft Graph with client credentials. Reads users, admin roles (R3) and groups; resets with
 * PATCH /users/{id} passwordProfile. Cloud accounts have no lockout the bot can clear (canUnlock false).
 * 429/503 honour Retry-After (≤ maxTries, F14); a timeout on the reset answers 'unknown' so the caller reads back
 * lastPasswordChangeDateTime before any retry (F12).
 */
export class GraphDirectory implements Directory {
  private token: { value: string; expiresAt: number } | null = null;
  /** passwordValidityPeriodInDays per domain name (null = never expires), read once per process. */
  private readonly validityDays = new Map<string, number | null>();
  private tokenInFlight: Promise<string> | null = null;
  private readonly fetchFn: typeof fetch;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly caps: DirectoryCapabilities = {
    kind: 'graph',
    canUnlock: false,
    passwordMinLength: 8,
    passwordMaxLength: 256,
    requiresThreeOfFourClasses: true,
    asciiOnly: true,
  };

  constructor(private readonly options: GraphDirectoryOptions) {
    for (const [name, v] of [
      ['GRAPH_TENANT_ID', options.tenantId],
      ['GRAPH_CLIENT_ID', options.clientId],
      ['GRAPH_CLIENT_SECRET', options.clientSecret],
    ] as const) {
      if (!v) throw new SsprError('config_invalid', `${name} is required for the Graph directory`);
    }
    this.fetchFn = options.fetch ?? fetch;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  capabilities(): DirectoryCapabilities {
    return this.caps;
  }

  async findUser(user: UserRef): Promise<DirectoryUser | null> {
    if (!GUID.test(user.objectId)) return null;
    return this.readUser(user.objectId);
  }

  async findByPrincipalName(upn: string): Promise<DirectoryUser | null> {
    const trimmed = upn.trim();
    if (!/^[^\s/\\?#]+@[^\s/\\?#]+$/.test(trimmed)) return null;
    return this.readUser(trimmed);
  }

  async setPassword(target: DirectoryUser, newPassword: string, options: { readonly forceChangeAtNextSignIn: boolean }): Promise<SetPasswordResult> {
    const body = { passwordProfile: { password: newPassword, forceChangePasswordNextSignIn: options.forceChangeAtNextSignIn } };
    let res: GraphResponse;
    try {
      res = await this.call('PATCH', `/users/${encodeURIComponent(target.directoryId)}`, body);
    } catch (e) {
      // F12: the PATCH may have been applied; never retry blindly — the caller reads back first.
      if (e instanceof TimeoutError) return { ok: false, reason: 'unknown' };
      throw e;
    }
    if (res.status === 204 || res.status === 200) {
      const changedAt = await this.readPasswordChangedAt(target).catch(() => null);
      return { ok: true, changedAt: changedAt ?? this.clock.now() };
    }
    if (res.status === 400) {
      const refusal = passwordRefusal(res.body);
      if (refusal) return { ok: false, reason: refusal };
    }
    throw this.statusError(res, 'Graph refused the password reset');
  }

  async unlock(_target: DirectoryUser): Promise<UnlockResult> {
    return { ok: false, reason: 'not_supported' };
  }

  async readPasswordChangedAt(target: DirectoryUser): Promise<number | null> {
    const res = await this.callOrTimeout('GET', `/users/${encodeURIComponent(target.directoryId)}?$select=id,lastPasswordChangeDateTime`);
    if (res.status !== 200) throw this.statusError(res, 'Graph could not read the user');
    return parseTime((res.body as GraphUser).lastPasswordChangeDateTime);
  }

  /** lastPasswordChangeDateTime + the domain's passwordValidityPeriodInDays, unless DisablePasswordExpiration. */
  async readPasswordExpiry(target: DirectoryUser): Promise<number | null> {
    const res = await this.callOrTimeout('GET', `/users/${encodeURIComponent(target.directoryId)}?$select=id,userPrincipalName,lastPasswordChangeDateTime,passwordPolicies`);
    if (res.status === 404) throw new SsprError('directory_not_found', 'The user is not in the directory');
    if (res.status !== 200) throw this.statusError(res, 'Graph could not read the user');
    const u = res.body as GraphUser;
    if (/DisablePasswordExpiration/i.test(u.passwordPolicies ?? '')) return null;
    const changed = parseTime(u.lastPasswordChangeDateTime);
    const domain = (u.userPrincipalName ?? target.userPrincipalName).split('@')[1];
    if (changed === null || !domain) return null;
    const days = await this.domainValidityDays(domain.toLowerCase());
    return days === null ? null : changed + days * DAY_MS;
  }

  /**
   * Entra cloud accounts have no lockout the directory reports (smart lockout is not exposed): unknown, not "unlocked"
   * (the E4 poll would otherwise end every lock episode the SIEM webhook reported, and each new report would be news).
   */
  async readLockout(_target: DirectoryUser): Promise<DirectoryLockout> {
    return { locked: null, lockedAt: null };
  }

  async readContacts(target: DirectoryUser): Promise<DirectoryContacts> {
    const res = await this.callOrTimeout('GET', `/users/${encodeURIComponent(target.directoryId)}?$select=id,mobilePhone,businessPhones,otherMails`);
    if (res.status === 404) throw new SsprError('directory_not_found', 'The user is not in the directory');
    if (res.status !== 200) throw this.statusError(res, 'Graph could not read the user');
    const u = res.body as GraphUser;
    return {
      mobilePhones: distinct([u.mobilePhone ?? '']),
      officePhones: distinct(u.businessPhones ?? []),
      emails: distinct(u.otherMails ?? []),
    };
  }

  /** GET /users pages; the cursor is Graph's own @odata.nextLink (checked to stay on the Graph origin). */
  async scanUsers(cursor: string | null, pageSize: number): Promise<DirectoryScanPage> {
    const size = Math.max(1, Math.min(999, Math.floor(pageSize)));
    const path = cursor === null ? `/users?$select=${USER_SELECT}&$top=${size}` : this.sameOrigin(decodeCursor(cursor));
    const res = await this.callOrTimeout('GET', path);
    if (res.status !== 200) throw this.statusError(res, 'Graph could not list users');
    const body = res.body as GraphList<GraphUser>;
    const users: DirectoryUser[] = [];
    for (const u of body.value ?? []) users.push(await this.toUser(u));
    const next = body['@odata.nextLink'];
    return { users, cursor: next ? encodeCursor(next) : null };
  }

  async ping(): Promise<boolean> {
    try {
      await this.accessToken();
      return true;
    } catch {
      return false;
    }
  }

  private async readUser(id: string): Promise<DirectoryUser | null> {
    const path = `/users/${encodeURIComponent(id)}`;
    const res = await this.callOrTimeout('GET', `${path}?$select=${USER_SELECT}`);
    if (res.status === 404) return null;
    if (res.status !== 200) throw this.statusError(res, 'Graph could not read the user');
    return this.toUser(res.body as GraphUser);
  }

  private async domainValidityDays(domain: string): Promise<number | null> {
    if (this.validityDays.has(domain)) return this.validityDays.get(domain) ?? null;
    const res = await this.callOrTimeout('GET', `/domains/${encodeURIComponent(domain)}?$select=id,passwordValidityPeriodInDays`);
    if (res.status === 404) return null;
    if (res.status !== 200) throw this.statusError(res, 'Graph could not read the domain');
    const v = (res.body as { passwordValidityPeriodInDays?: unknown }).passwordValidityPeriodInDays;
    const days = typeof v === 'number' && v > 0 && v < NEVER_EXPIRES_DAYS ? v : null;
    this.validityDays.set(domain, days);
    return days;
  }

  private async toUser(u: GraphUser): Promise<DirectoryUser> {
    const uid = encodeURIComponent(u.id);
    const roles = await this.list<{ id: string }>(`/users/${uid}/transitiveMemberOf/microsoft.graph.directoryRole?$select=id,displayName`);
    // R32: groups by object id only, transitively (nested groups count); a display name is never read, so a group
    // someone creates with the helpdesk group's name authorises nothing.
    const groups = await this.list<{ id: string }>(`/users/${uid}/transitiveMemberOf/microsoft.graph.group?$select=id`);
    // R3: a role the user may activate through PIM (eligible, not active) counts as well — for the user directly
    // or through a role-assignable group. Needs RoleEligibilitySchedule.Read.Directory; without it Graph answers
    // 403 and the lookup fails closed (directory_denied) rather than treating an admin as ordinary.
    const principals = [u.id, ...groups.map((g) => g.id)].filter((id) => GUID.test(id) || /^[\w-]+$/.test(id)).slice(0, 15);
    const filter = `principalId in (${principals.map((id) => `'${id}'`).join(',')})`;
    const eligible = await this.list<{ id: string }>(`/roleManagement/directory/roleEligibilityScheduleInstances?$filter=${encodeURIComponent(filter)}&$select=id,principalId,roleDefinitionId`);
    const upn = u.userPrincipalName ?? u.id;
    return {
      directoryId: u.id,
      objectId: u.id,
      userPrincipalName: upn,
      displayName: u.displayName ?? upn,
      ...(u.givenName ? { givenName: u.givenName } : {}),
      ...(u.surname ? { surname: u.surname } : {}),
      enabled: u.accountEnabled !== false,
      locked: null,
      privileged: roles.length > 0 || eligible.length > 0,
      groups: [...new Set(groups.map((g) => g.id.toLowerCase()))],
      passwordChangedAt: parseTime(u.lastPasswordChangeDateTime),
      ...(u.mobilePhone ? { mobilePhone: u.mobilePhone } : {}),
      ...(u.businessPhones?.[0] ? { officePhone: u.businessPhones[0] } : {}),
      ...(u.otherMails?.[0] ? { alternateEmail: u.otherMails[0] } : {}),
    };
  }

  private async list<T>(path: string): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = path;
    for (let page = 0; next !== undefined && page < MAX_PAGES; page++) {
      const res = await this.callOrTimeout('GET', next);
      if (res.status !== 200) throw this.statusError(res, 'Graph could not read memberships');
      const body = res.body as GraphList<T>;
      out.push(...(body.value ?? []));
      next = body['@odata.nextLink'];
    }
    return out;
  }

  private async callOrTimeout(method: string, path: string): Promise<GraphResponse> {
    try {
      return await this.call(method, path);
    } catch (e) {
      if (e instanceof TimeoutError) throw new SsprError('directory_timeout', 'Graph did not answer in time', { cause: e });
      throw e;
    }
  }

  /** One logical request: token, 401 → one token refresh, 429/503 → Retry-After, up to maxTries. */
  private async call(method: string, pathOrUrl: string, body?: unknown): Promise<GraphResponse> {
    const url = pathOrUrl.startsWith('https://') || pathOrUrl.startsWith('http://') ? this.sameOrigin(pathOrUrl) : `${this.options.baseUrl}${pathOrUrl}`;
    const maxTries = Math.max(1, this.options.maxTries ?? 3);
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      const token = await this.accessToken();
      const res = await this.send(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      if (res.status === 401 && !refreshed) {
        refreshed = true;
        this.token = null;
        attempt--;
        continue;
      }
      if ((res.status === 429 || res.status === 503) && attempt < maxTries) {
        const wait = retryAfterMs(res.headers.get('retry-after'), this.clock.now());
        if (wait > (this.options.maxRetryAfterMs ?? 60_000)) break;
        await this.sleep(wait);
        continue;
      }
      return { status: res.status, body: await readJson(res) };
    }
    throw new SsprError('directory_throttled', 'Graph is throttling requests');
  }

  private sameOrigin(url: string): string {
    // Follow nextLink only to the configured Graph origin: never send the token elsewhere.
    if (new URL(url).origin !== new URL(this.options.baseUrl).origin) throw new SsprError('directory_unavailable', 'Graph returned a link to another host');
    return url;
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    const signal = AbortSignal.timeout(this.options.timeoutMs ?? 10_000);
    try {
      return await this.fetchFn(url, { ...init, signal });
    } catch (e) {
      if (signal.aborted || (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))) throw new TimeoutError('timeout', { cause: e });
      throw new SsprError('directory_unavailable', 'Graph could not be reached', { cause: e });
    }
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.clock.now() < this.token.expiresAt) return this.token.value;
    // One token request at a time; concurrent callers share it.
    this.tokenInFlight ??= this.fetchToken().finally(() => {
      this.tokenInFlight = null;
    });
    return this.tokenInFlight;
  }

  private async fetchToken(): Promise<string> {
    const o = this.options;
    const form = new URLSearchParams({
      client_id: o.clientId,
      client_secret: o.clientSecret,
      scope: o.scope ?? 'https://graph.microsoft.com/.default',
      grant_type: 'client_credentials',
    });
    let res: Response;
    try {
      res = await this.send(`${o.authorityHost}/${encodeURIComponent(o.tenantId)}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
    } catch (e) {
      if (e instanceof TimeoutError) throw new SsprError('directory_timeout', 'The token endpoint did not answer in time', { cause: e });
      throw e;
    }
    const body = (await readJson(res)) as { access_token?: unknown; expires_in?: unknown } | null;
    if (res.status === 400 || res.status === 401) throw new SsprError('directory_denied', 'The Graph app credentials were refused');
    if (res.status !== 200 || typeof body?.access_token !== 'string') throw new SsprError('directory_unavailable', 'The token endpoint failed');
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in ?? 3600)) * 1000;
    const now = this.clock.now();
    this.token = { value: body.access_token, expiresAt: now + Math.max(lifetimeMs - TOKEN_MARGIN_MS, lifetimeMs / 2) };
    return body.access_token;
  }

  private statusError(res: GraphResponse, message: string): SsprError {
    const code = graphErrorCode(res.body);
    const detail = `${message} (HTTP ${res.status}${code ? ` ${code}` : ''})`;
    if (res.status === 401 || res.status === 403) return new SsprError('directory_denied', detail);
    if (res.status === 404) return new SsprError('directory_not_found', detail);
    if (res.status === 429) return new SsprError('directory_throttled', detail);
    return new SsprError('directory_unavailable', detail);
  }
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function graphErrorCode(body: unknown): string | undefined {
  const e = (body as { error?: { code?: unknown } } | null)?.error;
  return typeof e?.code === 'string' ? e.code.replace(/[^\w.-]/g, '').slice(0, 64) : undefined;
}

function passwordRefusal(body: unknown): SetPasswordRefusal | null {
  const msg = (body as { error?: { message?: unknown } } | null)?.error?.message;
  if (typeof msg !== 'string' || !/password/i.test(msg)) return null;
  if (/history|recently|previous/i.test(msg)) return 'history';
  if (/too short|length/i.test(msg)) return 'too_short';
  if (/complexity|requirements/i.test(msg)) return 'complexity';
  return 'policy';
}

function distinct(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.map((v) => v.trim()).filter((v) => v !== '' && !seen.has(v.toLowerCase()) && seen.add(v.toLowerCase()) !== undefined);
}

function encodeCursor(nextLink: string): string {
  return Buffer.from(nextLink, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const link = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^https?:\/\//.test(link)) throw new SsprError('invalid_input', 'The scan cursor is not one this directory gave out');
  return link;
}

function parseTime(v: string | null | undefined): number | null {
  if (!v) return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

/** Retry-After as seconds or an HTTP date → ms to wait (at least 1 s when absent or unreadable). */
export function retryAfterMs(header: string | null, now: number): number {
  if (header === null) return 1000;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? 1000 : Math.max(0, at - now);
}
