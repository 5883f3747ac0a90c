import { TurnContext, type ConversationReference } from 'botbuilder';
import type { Config } from '../config';
import type { ChannelAddress, ChannelBindings, DestinationKind } from '../../domain/ports/channelBindings';
import { activityTenant } from '../identity';

/** The team and channel an activity came from, as Teams states them in `channelData` (channel conversations only). */
export function channelOf(activity: TurnContext['activity']): { teamId: string; channelId: string } | null {
  if (activity.conversation?.conversationType !== 'channel') return null;
  const data = (activity.channelData ?? {}) as { team?: { id?: unknown }; channel?: { id?: unknown } };
  const teamId = typeof data.team?.id === 'string' ? data.team.id : null;
  const channelId = typeof data.channel?.id === 'string' ? data.channel.id : activity.conversation.id.split(';')[0] ?? null;
  return teamId && channelId ? { teamId, channelId } : null;
}

/**
 * R32: where the bot posts on its own — the helpdesk channel and the security-alert channel. Configuration (team id
 * + channel id) wins; otherwise an admin's one-time `bind` in the channel itself. Nothing here is ever learned from
 * traffic: a message in any other chat changes nothing.
 */
export class ChannelDestinations {
  constructor(
    private readonly config: Pick<Config, 'channels' | 'bot' | 'directory'>,
    private readonly bindings: ChannelBindings,
  ) {}

  /** Is this destination fixed by configuration (then `bind` is refused)? */
  configured(kind: DestinationKind): boolean {
    return this.config.channels[kind] !== null;
  }

  /** The channel's address: configured, else bound, else null. */
  async address(kind: DestinationKind): Promise<ChannelAddress | null> {
    const c = this.config.channels[kind];
    if (c) return { ...c, tenantId: this.tenantId(), serviceUrl: this.config.channels.serviceUrl };
    return (await this.bindings.get(kind).catch(() => null))?.address ?? null;
  }

  /** A conversation reference that posts a new message to the channel, or null when there is no destination. */
  async reference(kind: DestinationKind): Promise<Partial<ConversationReference> | null> {
    const a = await this.address(kind);
    if (!a) return null;
    return {
      channelId: 'msteams',
      serviceUrl: a.serviceUrl,
      conversation: { id: a.channelId, isGroup: true, conversationType: 'channel', tenantId: a.tenantId, name: '' },
      locale: 'en-US',
    };
  }

  /** Does this activity come from the destination's channel? */
  async isFrom(kind: DestinationKind, context: TurnContext): Promise<boolean> {
    const here = channelOf(context.activity);
    const a = await this.address(kind);
    return !!here && !!a && here.teamId === a.teamId && here.channelId === a.channelId;
  }

  /** Bind `kind` to the channel of this activity, once (the caller has checked the admin group). */
  async bind(kind: DestinationKind, context: TurnContext, adminObjectId: string, now: number): Promise<'bound' | 'configured' | 'already_bound' | 'not_a_channel'> {
    if (this.configured(kind)) return 'configured';
    const here = channelOf(context.activity);
    if (!here) return 'not_a_channel';
    const ref = TurnContext.getConversationReference(context.activity);
    const address: ChannelAddress = { ...here, tenantId: activityTenant(context) ?? this.tenantId(), serviceUrl: ref.serviceUrl ?? this.config.channels.serviceUrl };
    return (await this.bindings.bindOnce(kind, { address, boundBy: adminObjectId, boundAt: now })) ? 'bound' : 'already_bound';
  }

  /** Remove the binding, only from the bound channel itself. */
  async unbind(kind: DestinationKind, context: TurnContext): Promise<'unbound' | 'configured' | 'not_bound_here'> {
    if (this.configured(kind)) return 'configured';
    const here = channelOf(context.activity);
    if (!here) return 'not_bound_here';
    return (await this.bindings.unbind(kind, here.channelId)) ? 'unbound' : 'not_bound_here';
  }

  private tenantId(): string {
    return this.config.bot.appTenantId ?? this.config.bot.allowedTenants[0] ?? this.config.directory.graph.tenantId ?? '';
  }
}
