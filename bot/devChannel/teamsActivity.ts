import { DEV_BOT_ID, type ChannelActivity, type DevConversation, type DemoUser } from './devConversations';

/** The bot's display name in the development channel. */
export const DEV_BOT_NAME = 'Password Reset Assistant';

/** The demo helpdesk team and its channel (the page's helpdesk pane); helpdesk commands work in any channel. */
export const DEV_HELPDESK_TEAM = { id: '19:dev-helpdesk-team@thread.tacv2', name: 'Helpdesk' } as const;
export const DEV_HELPDESK_CHANNEL = { id: '19:dev-helpdesk-channel@thread.tacv2', name: 'Helpdesk' } as const;

/** Where a conversation is, as Teams states it: a 1:1 chat, or the helpdesk team's channel. */
function whereabouts(conversation: DevConversation): { conversation: Record<string, unknown>; channelData: Record<string, unknown> } {
  const tenant = { id: conversation.user.tenantId };
  if (conversation.kind === 'helpdesk') {
    return {
      conversation: { id: conversation.id, conversationType: 'channel', isGroup: true, tenantId: conversation.user.tenantId, name: DEV_HELPDESK_CHANNEL.name },
      channelData: { tenant, team: DEV_HELPDESK_TEAM, channel: DEV_HELPDESK_CHANNEL },
    };
  }
  return { conversation: { id: conversation.id, conversationType: 'personal', tenantId: conversation.user.tenantId }, channelData: { tenant } };
}

/** Activity types a Direct Line client may send that are forwarded to the bot. */
export const FORWARDED_TYPES: ReadonlySet<string> = new Set(['message', 'event', 'invoke', 'typing', 'messageReaction']);

/** Fields of a client activity that a Teams client could also send; everything else is dropped. */
const PASS_THROUGH = ['type', 'text', 'value', 'attachments', 'name', 'textFormat', 'replyToId', 'speak', 'inputHint'] as const;

/** The identity the bot sees for a demo user in a 1:1 chat. */
export function teamsUserAccount(user: DemoUser): { id: string; name: string; aadObjectId: string } {
  return { id: `29:${user.objectId}`, name: user.name, aadObjectId: user.objectId };
}

/** The member record `TeamsInfo.getMember` returns for a demo user. */
export function teamsMember(user: DemoUser): Record<string, string> {
  const [givenName, ...rest] = user.name.split(' ');
  return {
    ...teamsUserAccount(user),
    email: user.upn,
    userPrincipalName: user.upn,
    tenantId: user.tenantId,
    givenName: givenName ?? user.name,
    surname: rest.join(' '),
    userRole: 'user',
  };
}

/**
 * Turns what a Direct Line client posted into the activity Teams would send the bot in a personal chat:
 * channel `msteams`, the demo user's identity (never the client's claimed `from`), the tenant, the locale and a
 * serviceUrl pointing at the development connector.
 */
export function toTeamsActivity(
  client: ChannelActivity,
  conversation: DevConversation,
  opts: { id: string; serviceUrl: string; timestamp: string },
): ChannelActivity {
  const activity: Record<string, unknown> = {};
  for (const key of PASS_THROUGH) if (client[key] !== undefined) activity[key] = client[key];
  const requested: unknown = client.locale;
  const locale = typeof requested === 'string' && requested.trim() !== '' ? requested : conversation.locale;
  const clientChannelData = isObject(client.channelData) ? client.channelData : {};
  const { clientActivityID: _c, clientTimestamp: _t, ...otherChannelData } = clientChannelData;
  const where = whereabouts(conversation);
  // Web Chat sends the browser's time zone; Teams puts it on the activity and in clientInfo (issue 11 item 4).
  const zone = typeof client.localTimezone === 'string' && client.localTimezone.length <= 64 ? client.localTimezone : undefined;
  return {
    ...activity,
    id: opts.id,
    timestamp: opts.timestamp,
    localTimestamp: opts.timestamp,
    channelId: 'msteams',
    serviceUrl: opts.serviceUrl,
    from: teamsUserAccount(conversation.user),
    recipient: { id: DEV_BOT_ID, name: DEV_BOT_NAME },
    conversation: where.conversation,
    channelData: { ...otherChannelData, ...where.channelData },
    locale,
    ...(zone ? { localTimezone: zone } : {}),
    entities: [{ type: 'clientInfo', locale, platform: 'Web', ...(zone ? { timezone: zone } : {}) }],
  };
}

/** What Teams sends when the app is added to a personal chat. */
export function installActivity(conversation: DevConversation, opts: { id: string; serviceUrl: string; timestamp: string }): ChannelActivity {
  return {
    type: 'conversationUpdate',
    id: opts.id,
    timestamp: opts.timestamp,
    channelId: 'msteams',
    serviceUrl: opts.serviceUrl,
    from: teamsUserAccount(conversation.user),
    recipient: { id: DEV_BOT_ID, name: DEV_BOT_NAME },
    conversation: { id: conversation.id, conversationType: 'personal', tenantId: conversation.user.tenantId },
    membersAdded: [{ id: DEV_BOT_ID }],
    channelData: { tenant: { id: conversation.user.tenantId } },
    locale: conversation.locale,
  };
}

/** A bot activity as the Direct Line stream delivers it to the page. */
export function toStreamActivity(bot: ChannelActivity, conversation: DevConversation, id: string, timestamp: string): ChannelActivity {
  const from = isObject(bot.from) ? bot.from : { id: DEV_BOT_ID, name: DEV_BOT_NAME };
  const { serviceUrl: _s, ...rest } = bot;
  return {
    ...rest,
    id,
    timestamp,
    channelId: 'directline',
    conversation: { id: conversation.id },
    from: { ...from, role: 'bot' },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
