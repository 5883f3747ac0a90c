import type { Config } from '../config';
import type { Clock } from '../../domain/ports/clock';
import { GraphAppInstaller } from '../../adapters/helpdesk/graphAppInstaller';
import { GraphDeliveryReadBack } from '../../adapters/campaigns/graphDeliveryReadBack';
import type { GraphAppCredentials } from '../../adapters/graph/graphAppClient';
import { MemoryDirectory } from '../../adapters/directory/memoryDirectory';
import type { Directory } from '../../domain/ports/directory';

/** The app-only Graph registration and the catalog app id, when Graph credentials and the catalog id are set. */
function graphApp(config: Config, clock: Clock): (GraphAppCredentials & { catalogAppId: string }) | undefined {
  const g = config.directory.graph;
  if (!g.tenantId || !g.clientId || !g.clientSecret || !config.teams.appId) return undefined;
  return { tenantId: g.tenantId, clientId: g.clientId, clientSecret: g.clientSecret, baseUrl: g.baseUrl, authorityHost: g.authorityHost, catalogAppId: config.teams.appId, clock };
}

/** The Graph app installer for users who never talked to the bot, when Graph credentials and the catalog id are set. */
export function graphInstallerFor(config: Config, clock: Clock): GraphAppInstaller | undefined {
  const app = graphApp(config, clock);
  return app ? new GraphAppInstaller(app) : undefined;
}

/**
 * The Graph read-back for in-doubt campaign messages (R39, F21), when Graph credentials and the catalog id are set
 * and CAMPAIGN_READBACK is not off. `securityChannelId` gives the security channel's `19:…` id (configured or bound).
 */
export function graphReadBackFor(config: Config, clock: Clock, securityChannelId: () => Promise<string | null>): GraphDeliveryReadBack | undefined {
  const r = config.campaigns.readBack;
  const app = graphApp(config, clock);
  if (!r.enabled || !app) return undefined;
  return new GraphDeliveryReadBack({
    ...app,
    botAppId: config.bot.appId ?? '',
    securityChannel: async () => {
      const channelId = r.securityTeamGroupId ? await securityChannelId() : null;
      return r.securityTeamGroupId && channelId ? { teamId: r.securityTeamGroupId, channelId } : null;
    },
  });
}

/** The tenant the directory scans belong to: configured, else the demo directory's. */
export function campaignTenant(config: Config, directory: Directory): string {
  return (config.campaigns.tenantId ?? (directory instanceof MemoryDirectory ? directory.listUsers()[0]?.tenantId : undefined) ?? config.directory.graph.tenantId ?? '').toLowerCase();
}
