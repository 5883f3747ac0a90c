import type { Activity } from 'botbuilder';
import {
  AuthenticationConstants,
  BotFrameworkAuthentication,
  ConnectorFactory,
  type AuthenticateRequestResult,
  type BotFrameworkClient,
  type ClaimsIdentity,
  type ConnectorClient,
  type UserTokenClient,
} from 'botframework-connector';
import { withoutHiddenRetries } from './worker/connectorChannel';

/** Service URLs × app ids × audiences kept; Teams uses a handful of service URLs per region. Oldest dropped first. */
export const CONNECTOR_CACHE_MAX = 64;

/** The app id of a turn's identity, as botframework-connector reads it (audience claim, else the appid claim). */
function appIdOf(identity: ClaimsIdentity): string {
  return identity.getClaimValue(AuthenticationConstants.AudienceClaim) ?? identity.getClaimValue(AuthenticationConstants.AppIdClaim) ?? '';
}

/** A small insertion-ordered cache of promises; a rejected promise is dropped so the next turn tries again. */
class PromiseCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  constructor(private readonly max: number) {}

  get(key: string, make: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) return hit;
    const made = make();
    made.catch(() => {
      if (this.entries.get(key) === made) this.entries.delete(key);
    });
    this.entries.set(key, made);
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
    return made;
  }

  get size(): number {
    return this.entries.size;
  }
}

class CachingConnectorFactory extends ConnectorFactory {
  constructor(
    private readonly inner: ConnectorFactory,
    private readonly appId: string,
    private readonly cache: PromiseCache<ConnectorClient>,
  ) {
    super();
  }

  /**
   * Without the client's hidden 429/5xx retries (issue 13): they bypass the pacer, so the bot's own proactive sends
   * (TeamsSender over CloudAdapter) would send more than the slots it was given. TeamsSender retries through the pacer.
   */
  create(serviceUrl: string, audience?: string): Promise<ConnectorClient> {
    return this.cache.get(JSON.stringify([this.appId, serviceUrl, audience ?? null]), () => this.inner.create(serviceUrl, audience).then(withoutHiddenRetries));
  }
}

/**
 * The bot's BotFrameworkAuthentication with the Bot Connector clients reused (issue 15, item 3): CloudAdapter asks
 * for a new ConnectorClient — an @azure/core-rest-pipeline pipeline with its policies and sanitizer, ≈ 0.3 ms of CPU —
 * and a new UserTokenClient for **every** inbound activity, even with `deliveryMode: expectReplies` where neither
 * sends anything (≈ 9 % of the app's CPU at 200 turns/s, docs/benchmark.md). A ConnectorClient holds no per-turn
 * state — the base URL, the app's credentials (whose token cache is what should be reused) and the pipeline — so
 * one per (app id, service URL, audience) serves every turn; the UserTokenClient, one per app id. Authentication of
 * each inbound request is unchanged (delegated every time), and so is everything else.
 */
export class CachingBotFrameworkAuthentication extends BotFrameworkAuthentication {
  private readonly connectors = new PromiseCache<ConnectorClient>(CONNECTOR_CACHE_MAX);
  private readonly userTokenClients = new PromiseCache<UserTokenClient>(CONNECTOR_CACHE_MAX);

  constructor(private readonly inner: BotFrameworkAuthentication) {
    super();
  }

  /** Clients created so far and still cached (tests, metrics). */
  get cachedConnectorClients(): number {
    return this.connectors.size;
  }

  private caching(factory: ConnectorFactory, identity: ClaimsIdentity): ConnectorFactory {
    return new CachingConnectorFactory(factory, appIdOf(identity), this.connectors);
  }

  async authenticateRequest(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    const result = await this.inner.authenticateRequest(activity, authHeader);
    return result.connectorFactory ? { ...result, connectorFactory: this.caching(result.connectorFactory, result.claimsIdentity) } : result;
  }

  async authenticateStreamingRequest(authHeader: string, channelIdHeader: string): Promise<AuthenticateRequestResult> {
    const result = await this.inner.authenticateStreamingRequest(authHeader, channelIdHeader);
    return result.connectorFactory ? { ...result, connectorFactory: this.caching(result.connectorFactory, result.claimsIdentity) } : result;
  }

  createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return this.caching(this.inner.createConnectorFactory(claimsIdentity), claimsIdentity);
  }

  createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return this.userTokenClients.get(appIdOf(claimsIdentity), () => this.inner.createUserTokenClient(claimsIdentity));
  }

  override createBotFrameworkClient(): BotFrameworkClient {
    return this.inner.createBotFrameworkClient();
  }

  override getOriginatingAudience(): string {
    return this.inner.getOriginatingAudience();
  }

  override authenticateChannelRequest(authHeader: string): Promise<ClaimsIdentity> {
    return this.inner.authenticateChannelRequest(authHeader);
  }
}
