import type { Clock } from '../../domain/ports/clock';

/** The app registration that calls Graph app-only (client credentials). */
export interface GraphAppCredentials {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** e.g. https://graph.microsoft.com/v1.0 */
  readonly baseUrl: string;
  /** e.g. https://login.microsoftonline.com */
  readonly authorityHost: string;
  readonly clock: Clock;
  /** Per request, the token request included (default 10 s). */
  readonly timeoutMs?: number;
}

/**
 * What one Graph call came to. `status` null: the token step failed, Graph was not called. `denied`: no permission —
 * Graph answered 401/403, or the token endpoint refused the credentials (400/401, or answered without a token).
 */
export type GraphAnswer<T> = { readonly ok: true; readonly status: number; readonly body: T } | { readonly ok: false; readonly status: number | null; readonly denied: boolean };

export interface GraphRequest {
  readonly method?: 'GET' | 'POST';
  /** Sent as the JSON body. */
  readonly json?: unknown;
  /** Parse a 2xx answer as JSON (default); false: the body is read and dropped, `body` is undefined. */
  readonly readBody?: boolean;
}

/**
 * The request preamble the Graph adapters share: the app-only token by client credentials (cached until 5 minutes
 * before it ends), the bearer header, the time-out, and the answer folded into ok / denied / other status. Bodies of
 * answers that are not used are drained. Network failures and time-outs throw; callers map them.
 */
export class GraphAppClient {
  private token: { value: string; until: number } | null = null;

  constructor(private readonly o: GraphAppCredentials) {}

  /** `url` is absolute (Graph's `@odata.nextLink` is): the adapter builds it on its `baseUrl`. */
  async request<T>(url: string, r: GraphRequest = {}): Promise<GraphAnswer<T>> {
    const token = await this.accessToken();
    if (!token.ok) return token;
    const res = await fetch(url, {
      method: r.method ?? 'GET',
      headers: { authorization: `Bearer ${token.body}`, ...(r.json === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(r.json === undefined ? {} : { body: JSON.stringify(r.json) }),
      signal: this.signal(),
    });
    if (!res.ok || r.readBody === false) {
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? { ok: true, status: res.status, body: undefined as T } : { ok: false, status: res.status, denied: res.status === 401 || res.status === 403 };
    }
    return { ok: true, status: res.status, body: (await res.json()) as T };
  }

  private async accessToken(): Promise<GraphAnswer<string>> {
    if (this.token && this.token.until > this.o.clock.now()) return { ok: true, status: 200, body: this.token.value };
    const res = await fetch(`${this.o.authorityHost}/${encodeURIComponent(this.o.tenantId)}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.o.clientId,
        client_secret: this.o.clientSecret,
        scope: 'https://graph.microsoft.com/.default',
      }).toString(),
      signal: this.signal(),
    });
    if (!res.ok) {
      await res.arrayBuffer().catch(() => undefined);
      return { ok: false, status: null, denied: res.status === 400 || res.status === 401 };
    }
    const body = (await res.json()) as { access_token?: string; expires_in?: number };
    if (!body.access_token) return { ok: false, status: null, denied: true };
    this.token = { value: body.access_token, until: this.o.clock.now() + Math.max(60, (body.expires_in ?? 3600) - 300) * 1000 };
    return { ok: true, status: res.status, body: body.access_token };
  }

  private signal(): AbortSignal {
    return AbortSignal.timeout(this.o.timeoutMs ?? 10_000);
  }
}
