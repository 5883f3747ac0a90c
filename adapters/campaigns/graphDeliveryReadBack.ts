import { GraphAppClient, type GraphAppCredentials } from '../graph/graphAppClient';
import { IDEMPOTENCY_CARD_PROPERTY, type DeliveryReadBack, type ReadBackQuery, type ReadBackResult } from '../../domain/campaigns/inDoubt';

export interface GraphDeliveryReadBackOptions extends GraphAppCredentials {
  /** The app's id in the organisation's Teams app catalog (teamsApp id, not the manifest id). */
  readonly catalogAppId: string;
  /**
   * The bot's Microsoft App ID: Graph's `from.application.id` of what the bot posted. Only the bot's own messages
   * count — any app (an incoming webhook, a workflow, another bot) can post a card carrying the same key.
   */
  readonly botAppId: string;
  /**
   * The security-alert channel as Graph names it: the team's group id (not the `19:…@thread` id Teams puts in
   * channelData) and the channel id. null = not set: channel messages can't be read back.
   */
  readonly securityChannel: () => Promise<{ readonly teamId: string; readonly channelId: string } | null>;
  /** Pages of 50 messages read at most per look (default 20). */
  readonly maxPages?: number;
  /** Clock difference allowed between this worker and Graph (default 5 min): the read starts this much earlier. */
  readonly skewMs?: number;
}

interface GraphMessage {
  readonly createdDateTime?: string;
  readonly lastModifiedDateTime?: string;
  readonly from?: { readonly application?: { readonly id?: string } | null } | null;
  readonly attachments?: readonly { readonly contentType?: string; readonly content?: string | null }[];
}

type Answer<T> = { ok: true; body: T } | { ok: false; result: ReadBackResult };

/**
 * Reads a conversation back through Microsoft Graph to resolve an in-doubt campaign message (R39, F21):
 * - a user: `GET /users/{id}/teamwork/installedApps?$expand=teamsApp&$filter=teamsApp/id eq '{app}'` for the
 *   installation, `GET /users/{id}/teamwork/installedApps/{installation}/chat` for the 1:1 chat's id, then
 *   `GET /chats/{chat}/messages?$top=50&$orderby=lastModifiedDateTime desc&$filter=lastModifiedDateTime gt {since}`
 *   (application permissions TeamsAppInstallation.ReadForUser.All and Chat.Read.All; the messages call is one of
 *   Teams' protected APIs);
 * - the security channel: `GET /teams/{group}/channels/{channel}/messages?$top=50` (ChannelMessage.Read.Group by
 *   resource-specific consent in the app manifest, or ChannelMessage.Read.All), paged until older than `since`.
 * A message counts when this bot sent it (`from.application.id` = the bot's app id) and one of its Adaptive Card attachments carries the
 * key. 401/403 = the permission is not granted (`unavailable`); 429, 5xx, time-outs = `error` (try later).
 */
export class GraphDeliveryReadBack implements DeliveryReadBack {
  private readonly graph: GraphAppClient;

  constructor(private readonly o: GraphDeliveryReadBackOptions) {
    this.graph = new GraphAppClient(o);
  }

  async find(q: ReadBackQuery): Promise<ReadBackResult> {
    try {
      const from = q.since - (this.o.skewMs ?? 300_000);
      if (q.recipient.kind === 'user') return await this.findInChat(q.recipient.user.objectId, q.messageId, from);
      const channel = await this.o.securityChannel();
      if (!channel) return 'unavailable';
      const first = `${this.o.baseUrl}/teams/${encodeURIComponent(channel.teamId)}/channels/${encodeURIComponent(channel.channelId)}/messages?$top=50`;
      return await this.scan(first, q.messageId, from, false);
    } catch {
      return 'error';
    }
  }

  private async findInChat(userId: string, key: string, from: number): Promise<ReadBackResult> {
    const user = `${this.o.baseUrl}/users/${encodeURIComponent(userId)}/teamwork/installedApps`;
    const filter = encodeURIComponent(`teamsApp/id eq '${this.o.catalogAppId.replace(/'/g, "''")}'`);
    const installs = await this.get<{ value?: { id?: string }[] }>(`${user}?$expand=teamsApp&$filter=${filter}`);
    if (!installs.ok) return installs.result;
    const installation = installs.body.value?.[0]?.id;
    // Not installed for this user: the bot has no chat with them, so nothing can have arrived.
    if (!installation) return 'absent';
    const chat = await this.get<{ id?: string }>(`${user}/${encodeURIComponent(installation)}/chat`);
    if (!chat.ok) return chat.result;
    if (!chat.body.id) return 'absent';
    const since = new Date(Math.max(0, from)).toISOString();
    const first = `${this.o.baseUrl}/chats/${encodeURIComponent(chat.body.id)}/messages?$top=50&$orderby=${encodeURIComponent('lastModifiedDateTime desc')}&$filter=${encodeURIComponent(`lastModifiedDateTime gt ${since}`)}`;
    return this.scan(first, key, from, true);
  }

  /** Pages through a message list; `filtered`: Graph already dropped what is older than `from`. */
  private async scan(first: string, key: string, from: number, filtered: boolean): Promise<ReadBackResult> {
    let url: string | undefined = first;
    for (let page = 0; url && page < (this.o.maxPages ?? 20); page++) {
      const r: Answer<{ value?: GraphMessage[]; '@odata.nextLink'?: string }> = await this.get(url);
      if (!r.ok) return r.result;
      const messages = r.body.value ?? [];
      if (messages.some((m) => carries(m, key, this.o.botAppId))) return 'found';
      // Channel lists come newest first and take no date filter: a page wholly older than the window ends the look.
      if (!filtered && messages.length > 0 && messages.every((m) => time(m) < from)) return 'absent';
      url = r.body['@odata.nextLink'];
    }
    // Read to the end of the window: not there. More pages than allowed: nobody can say.
    return url ? 'unavailable' : 'absent';
  }

  private async get<T>(url: string): Promise<Answer<T>> {
    const r = await this.graph.request<T>(url);
    if (r.ok) return { ok: true, body: r.body };
    return { ok: false, result: r.denied ? 'unavailable' : r.status === 404 ? 'absent' : 'error' };
  }
}

function time(m: GraphMessage): number {
  return Date.parse(m.lastModifiedDateTime ?? m.createdDateTime ?? '') || 0;
}

/**
 * Sent by this bot, with an Adaptive Card whose root carries the key. The key is predictable (campaign kind, user or
 * subject, time window) and visible in every card sent: a card from another app that copies it must not mark an
 * in-doubt lockout or security alert as delivered (it would then never be re-sent).
 */
function carries(m: GraphMessage, key: string, botAppId: string): boolean {
  const app = m.from?.application;
  if (!app || typeof app.id !== 'string' || app.id.toLowerCase() !== botAppId.toLowerCase()) return false;
  for (const a of m.attachments ?? []) {
    if (a.contentType !== 'application/vnd.microsoft.card.adaptive' || typeof a.content !== 'string') continue;
    try {
      const card = JSON.parse(a.content) as Record<string, unknown>;
      if (card[IDEMPOTENCY_CARD_PROPERTY] === key) return true;
    } catch {
      /* not JSON: not ours */
    }
  }
  return false;
}
