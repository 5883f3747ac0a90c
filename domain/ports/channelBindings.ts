/** The destinations the bot posts to on its own (R32): the helpdesk channel and the security-alert channel. */
export const DESTINATION_KINDS = ['helpdesk', 'security'] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];

/** A Teams channel: the team's id and the channel's id, as Teams puts them in `channelData` (`19:…@thread.tacv2`). */
export interface ChannelAddress {
  readonly teamId: string;
  readonly channelId: string;
  readonly tenantId: string;
  /** The Bot Connector endpoint for this tenant (from the activity of the bind command). */
  readonly serviceUrl: string;
}

/** Who bound a destination and when (audit detail; an object id, never a name). */
export interface ChannelBinding {
  readonly address: ChannelAddress;
  readonly boundBy: string;
  readonly boundAt: number;
}

/**
 * Destinations bound by an admin command in the channel itself (R32), used when configuration names none. A binding
 * is made once: `bindOnce` succeeds for exactly one caller while nothing is bound; it changes only through
 * `unbind`, which names the bound channel. Nothing else ever writes here — a message from another chat cannot.
 * Unexpected failures throw SsprError('state_unavailable').
 */
export interface ChannelBindings {
  get(kind: DestinationKind): Promise<ChannelBinding | null>;
  /** true when this call bound it; false when a binding already exists (it is left as it is). */
  bindOnce(kind: DestinationKind, binding: ChannelBinding): Promise<boolean>;
  /** Remove the binding only if it is this channel's; true when removed. */
  unbind(kind: DestinationKind, channelId: string): Promise<boolean>;
}
