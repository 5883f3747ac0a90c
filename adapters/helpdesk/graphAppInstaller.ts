import type { Clock } from '../../domain/ports/clock';

export interface GraphAppInstallerOptions {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** e.g. https://graph.microsoft.com/v1.0 */
  readonly baseUrl: string;
  /** e.g. https://login.microsoftonline.com */
  readonly authorityHost: string;
  /** The app's id in the organisation's Teams app catalog (not the manifest id). */
  readonly catalogAppId: string;
  readonly clock: Clock;
}

/** installed: Graph accepted; already: the app was there; denied: no permission (403/401); failed: anything else. */
export type InstallResult = 'installed' | 'already' | 'denied' | 'failed';

/**
 * Installs the bot for a user who never opened it: `POST /users/{id}/teamwork/installedApps` with
 * `teamsApp@odata.bind` = the catalog app, app-only token by client credentials (needs
 * TeamsAppInstallation.ReadWriteForUser.All). Teams then sends the install conversationUpdate to the bot.
 */
export class GraphAppInstaller {
  private token: { value: string; until: number } | null = null;

  constructor(private readonly o: GraphAppInstallerOptions) {}

  private async accessToken(): Promise<string | null> {
    if (this.token && this.token.until > this.o.clock.now()) return this.token.value;
    const res = await fetch(`${this.o.authorityHost}/${encodeURIComponent(this.o.tenantId)}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.o.clientId,
        client_secret: this.o.clientSecret,
        scope: 'https://graph.microsoft.com/.default',
      }).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) return null;
    const body = (await res.json()) as { access_token?: string; expires_in?: number };
    if (!body.access_token) return null;
    this.token = { value: body.access_token, until: this.o.clock.now() + Math.max(60, (body.expires_in ?? 3600) - 300) * 1000 };
    return body.access_token;
  }

  async install(userObjectId: string): Promise<InstallResult> {
    try {
      const token = await this.accessToken();
      if (!token) return 'denied';
      const res = await fetch(`${this.o.baseUrl}/users/${encodeURIComponent(userObjectId)}/teamwork/installedApps`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ 'teamsApp@odata.bind': `${this.o.baseUrl}/appCatalogs/teamsApps/${encodeURIComponent(this.o.catalogAppId)}` }),
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status === 201 || res.status === 200 || res.status === 204) return 'installed';
      if (res.status === 409) return 'already';
      if (res.status === 403 || res.status === 401) return 'denied';
      return 'failed';
    } catch {
      return 'failed';
    }
  }
}
