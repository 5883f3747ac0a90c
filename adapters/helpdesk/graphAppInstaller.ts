import { GraphAppClient, type GraphAppCredentials } from '../graph/graphAppClient';

export interface GraphAppInstallerOptions extends GraphAppCredentials {
  /** The app's id in the organisation's Teams app catalog (not the manifest id). */
  readonly catalogAppId: string;
}

/** installed: Graph accepted; already: the app was there; denied: no permission (403/401); failed: anything else. */
export type InstallResult = 'installed' | 'already' | 'denied' | 'failed';

/**
 * Installs the bot for a user who never opened it: `POST /users/{id}/teamwork/installedApps` with
 * `teamsApp@odata.bind` = the catalog app, app-only token by client credentials (needs
 * TeamsAppInstallation.ReadWriteForUser.All). Teams then sends the install conversationUpdate to the bot.
 */
export class GraphAppInstaller {
  private readonly graph: GraphAppClient;

  constructor(private readonly o: GraphAppInstallerOptions) {
    this.graph = new GraphAppClient(o);
  }

  async install(userObjectId: string): Promise<InstallResult> {
    try {
      const res = await this.graph.request(`${this.o.baseUrl}/users/${encodeURIComponent(userObjectId)}/teamwork/installedApps`, {
        method: 'POST',
        json: { 'teamsApp@odata.bind': `${this.o.baseUrl}/appCatalogs/teamsApps/${encodeURIComponent(this.o.catalogAppId)}` },
        readBody: false,
      });
      // No token (whatever the token endpoint said): the install can't be made with these credentials.
      if (res.status === null) return 'denied';
      if (res.status === 201 || res.status === 200 || res.status === 204) return 'installed';
      if (res.status === 409) return 'already';
      if (!res.ok && res.denied) return 'denied';
      return 'failed';
    } catch {
      return 'failed';
    }
  }
}
