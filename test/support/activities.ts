import { randomUUID } from 'node:crypto';
import { recordTranscript } from './transcript';

export const DEMO_TENANT = '00000000-0000-0000-0000-000000000001';

export interface ActivityOptions {
  text?: string;
  value?: unknown;
  locale?: string;
  userObjectId?: string;
  userName?: string;
  conversationId?: string;
  conversationType?: 'personal' | 'groupChat' | 'channel';
  tenantId?: string;
  serviceUrl?: string;
  id?: string;
  expectReplies?: boolean;
  type?: string;
  /** Teams channel conversations: the team's id (channelData.team.id); the channel id is the conversation id. */
  teamId?: string;
  /** Default msteams; another channel (webchat, emulator) is a client without Teams dialogs. */
  channelId?: string;
}

/** A Teams-shaped activity as the Bot Connector would post it to /api/messages. */
export function teamsActivity(o: ActivityOptions = {}): Record<string, unknown> {
  const tenantId = o.tenantId ?? DEMO_TENANT;
  const objectId = o.userObjectId ?? '11111111-1111-4111-8111-111111111111';
  return {
    type: o.type ?? 'message',
    id: o.id ?? randomUUID(),
    timestamp: new Date().toISOString(),
    channelId: o.channelId ?? 'msteams',
    serviceUrl: o.serviceUrl ?? 'http://127.0.0.1:9/',
    from: { id: `29:${objectId}`, name: o.userName ?? 'Ada Lovelace', aadObjectId: objectId },
    recipient: { id: '28:bot-id', name: 'Password Reset Assistant' },
    conversation: {
      id: o.conversationId ?? `a:${objectId}`,
      conversationType: o.conversationType ?? 'personal',
      tenantId,
    },
    channelData: {
      tenant: { id: tenantId },
      ...(o.teamId !== undefined ? { team: { id: o.teamId }, channel: { id: (o.conversationId ?? '').split(';')[0] } } : {}),
    },
    locale: o.locale ?? 'en-US',
    ...(o.text !== undefined ? { text: o.text } : {}),
    ...(o.value !== undefined ? { value: o.value } : {}),
    ...(o.expectReplies === false ? {} : { deliveryMode: 'expectReplies' }),
  };
}

export interface Reply {
  type: string;
  text?: string;
  attachments?: { contentType: string; content: any }[];
}

/** Post an activity with deliveryMode expectReplies and return the bot's replies. */
export async function post(baseUrl: string, activity: Record<string, unknown>): Promise<{ status: number; replies: Reply[] }> {
  const res = await fetch(`${baseUrl}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(activity),
  });
  const body = res.status === 200 ? ((await res.json().catch(() => ({}))) as { activities?: Reply[] }) : {};
  // R35: the replies are a connector transcript too (scanned after the run, test/support/transcriptScan.js).
  for (const r of body.activities ?? []) recordTranscript('replies', 'reply', r);
  return { status: res.status, replies: body.activities ?? [] };
}

/** All visible text of replies (message text and card TextBlocks / action titles), for assertions. */
export function replyText(replies: Reply[]): string {
  const out: string[] = [];
  const walk = (n: any): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(walk);
    if (typeof n.text === 'string') out.push(n.text);
    if (typeof n.title === 'string') out.push(n.title);
    for (const v of Object.values(n)) if (typeof v === 'object') walk(v);
  };
  for (const r of replies) {
    if (r.text) out.push(r.text);
    walk(r.attachments);
  }
  return out.join('\n');
}

/**
 * A card update that only marks an older card "no longer active" (bot/supersededCards.ts, issue 11 item 4) — not one
 * of a dialog's own replacements (a cleared code, password or secret card).
 */
export function isInactiveCardUpdate(body: unknown): boolean {
  // The replaced card's body is one container with this id (cards/inactiveCard.ts SUPERSEDED_ID).
  return JSON.stringify(body ?? '').includes('"id":"superseded"');
}
