import { ConfigurationBotFrameworkAuthentication, TurnContext, type Activity, type ConversationReference, type ResourceResponse } from 'botbuilder';
import { AuthenticationConstants, ClaimsIdentity, type BotFrameworkAuthentication, type ConnectorClient } from 'botframework-connector';
import type { ProactiveChannel } from '../teamsSender';

/**
 * A light proactive channel for the campaign workers: one Bot Connector client per service URL (credentials and
 * token cache reused), and a send straight to `POST /v3/conversations/{id}/activities` — no turn context, no
 * middleware per message. The same client and the same errors (429 with Retry-After, 403 MessageWritesBlocked) as
 * CloudAdapter.continueConversationAsync, at a fraction of the CPU per message.
 */
export class ConnectorChannel implements ProactiveChannel {
  private readonly clients = new Map<string, Promise<ConnectorClient>>();

  constructor(
    private readonly auth: BotFrameworkAuthentication,
    private readonly appId: string,
  ) {}

  private client(serviceUrl: string): Promise<ConnectorClient> {
    const cached = this.clients.get(serviceUrl);
    if (cached) return cached;
    {
      const identity = new ClaimsIdentity(
        [
          { type: AuthenticationConstants.AudienceClaim, value: this.appId },
          { type: AuthenticationConstants.AppIdClaim, value: this.appId },
        ],
        true,
      );
      const c = this.auth.createConnectorFactory(identity).create(serviceUrl, undefined).then(withoutHiddenRetries);
      c.catch(() => this.clients.delete(serviceUrl));
      this.clients.set(serviceUrl, c);
      return c;
    }
  }

  async continueConversationAsync(
    _appId: string,
    reference: Partial<ConversationReference>,
    logic: (ctx: { sendActivity(activity: string | Partial<Activity>): Promise<ResourceResponse | undefined> }) => Promise<void>,
  ): Promise<void> {
    const serviceUrl = reference.serviceUrl ?? '';
    const conversationId = reference.conversation?.id ?? '';
    const client = await this.client(serviceUrl);
    await logic({
      sendActivity: async (activity) => {
        const a: Partial<Activity> = typeof activity === 'string' ? { type: 'message', text: activity } : { type: 'message', ...activity };
        const full = TurnContext.applyConversationReference(a, reference);
        return client.conversations.sendToConversation(conversationId, full);
      },
    });
  }
}

/**
 * The connector client's HTTP pipeline (@azure/core-client, under botbuilder-stdlib's compat layer) has a
 * `defaultRetryPolicy` that retries 429 after Retry-After and 5xx by itself, up to 3 times, and ignores the
 * `retryOptions` below. Those retries bypass the shared pacer: with 30 % 429s they added ~18 % requests per tenant
 * over the configured rate (F22: 106/s measured against 90/s). TeamsSender retries instead, through the pacer.
 */
export function withoutHiddenRetries(client: ConnectorClient): ConnectorClient {
  const inner = (client as unknown as { client?: { pipeline?: { removePolicy(o: { name: string }): unknown } } }).client;
  inner?.pipeline?.removePolicy({ name: 'defaultRetryPolicy' });
  return client;
}

/**
 * Bot Framework authentication for the workers, with the connector client's own retries off (`maxRetries: 0`): the
 * client would otherwise retry a 429 by itself, outside the shared pacer, and those extra requests count against
 * Teams' limits. TeamsSender retries instead, through the pacer.
 */
export function workerAuthentication(bot: { readonly appId?: string; readonly appPassword?: string; readonly appTenantId?: string; readonly appType?: string }): ConfigurationBotFrameworkAuthentication {
  return new ConfigurationBotFrameworkAuthentication(
    {
      MicrosoftAppId: bot.appId ?? '',
      MicrosoftAppPassword: bot.appPassword ?? '',
      MicrosoftAppTenantId: bot.appTenantId ?? '',
      MicrosoftAppType: bot.appType ?? 'MultiTenant',
    },
    undefined,
    undefined,
    undefined,
    { retryOptions: { maxRetries: 0 } } as ConstructorParameters<typeof ConfigurationBotFrameworkAuthentication>[4],
  );
}
