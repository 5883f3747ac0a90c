import type { Request, Response, Server } from 'restify';
import type { DevChannelContext } from './registerDevChannel';
import type { ChannelActivity, DemoUser, DevConversation } from './devConversations';
import { FORWARDED_TYPES, installActivity, toTeamsActivity } from './teamsActivity';
import { isRecord, param, query, readJson, sendError } from './http';
import { DirectLineClientActivity } from '../inbound/directLineGate';

const BASE = '/v3/directline';
const LOCALE_TAG = /^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/i;

/**
 * Direct Line 3.0 as `botframework-directlinejs` uses it (polling; no WebSocket): tokens are random and bound to
 * one conversation; the watermark is the number of stream entries a client has seen.
 */
export function registerDirectLineRoutes(server: Server, ctx: DevChannelContext): void {
  const { conversations } = ctx;

  /** Resolves the conversation of the bearer token; answers 403/404 itself when there is none. */
  const authorize = (req: Request, res: Response, conversationId?: string): DevConversation | undefined => {
    const bound = conversations.conversationOfToken(req.header('authorization'));
    if (!bound || (conversationId !== undefined && bound !== conversationId)) {
      sendError(res, 403, 'TokenInvalid', 'Missing, unknown or expired token, or the token belongs to another conversation.');
      return undefined;
    }
    const conversation = conversations.get(bound);
    if (!conversation) {
      sendError(res, 404, 'BadArgument', 'Conversation not found.');
      return undefined;
    }
    return conversation;
  };

  const streamUrl = (conversation: DevConversation, token: string, watermark?: string): string => {
    const base = ctx.deps.selfBaseUrl.replace(/\/+$/, '').replace(/^http/, 'ws');
    const wm = watermark ? `&watermark=${encodeURIComponent(watermark)}` : '';
    return `${base}${BASE}/conversations/${encodeURIComponent(conversation.id)}/stream?t=${encodeURIComponent(token)}${wm}`;
  };

  const bearer = (req: Request): string => /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1] ?? '';

  server.post(`${BASE}/tokens/generate`, async (req: Request, res: Response) => {
    const body = await readJson(req);
    const chosen = chooseUser(ctx.deps.demoUsers(), isRecord(body) ? body : {});
    if (!chosen.ok) {
      sendError(res, chosen.status, 'BadArgument', chosen.message);
      return;
    }
    const requested = isRecord(body) && typeof body.locale === 'string' ? body.locale.trim() : '';
    const locale = LOCALE_TAG.test(requested) ? requested : 'en-US';
    // `kind: 'helpdesk'`: the page's helpdesk pane, a channel of the demo helpdesk team (the bot checks the agent).
    const kind = isRecord(body) && body.kind === 'helpdesk' ? 'helpdesk' : 'personal';
    const conversation = conversations.create(chosen.user, locale, kind);
    const token = conversations.issueToken(conversation.id);
    res.send(200, { conversationId: conversation.id, token: token.token, expires_in: token.expiresIn });
  });

  server.post(`${BASE}/tokens/refresh`, async (req: Request, res: Response) => {
    const conversation = authorize(req, res);
    if (!conversation) return;
    const token = conversations.issueToken(conversation.id);
    res.send(200, { conversationId: conversation.id, token: token.token, expires_in: token.expiresIn });
  });

  server.post(`${BASE}/conversations`, async (req: Request, res: Response) => {
    const conversation = authorize(req, res);
    if (!conversation) return;
    const token = bearer(req);
    const firstStart = !conversation.started;
    conversation.started = true;
    res.send(firstStart ? 201 : 200, {
      conversationId: conversation.id,
      token,
      expires_in: 3600,
      streamUrl: streamUrl(conversation, token),
    });
    if (firstStart && conversation.kind === 'personal') {
      // Teams tells the bot it was added to the personal chat; the bot's welcome reaches the stream via the connector.
      const id = conversations.newActivityId(conversation);
      const activity = installActivity(conversation, { id, serviceUrl: ctx.serviceUrl, timestamp: new Date(ctx.now()).toISOString() });
      ctx.postToBot(activity).then(
        (r) => {
          if (r.status >= 400) ctx.deps.logger.warn({ status: r.status, conversationId: conversation.id }, 'devchannel: bot refused conversationUpdate');
        },
        (err: unknown) => ctx.deps.logger.warn({ err: errorName(err), conversationId: conversation.id }, 'devchannel: bot unreachable'),
      );
    }
  });

  server.get(`${BASE}/conversations/:conversationId`, async (req: Request, res: Response) => {
    const conversation = authorize(req, res, param(req, 'conversationId'));
    if (!conversation) return;
    const token = bearer(req);
    res.send(200, { conversationId: conversation.id, token, expires_in: 3600, streamUrl: streamUrl(conversation, token, query(req, 'watermark')) });
  });

  server.get(`${BASE}/conversations/:conversationId/activities`, async (req: Request, res: Response) => {
    const conversation = authorize(req, res, param(req, 'conversationId'));
    if (!conversation) return;
    res.setHeader('Cache-Control', 'no-store');
    res.send(200, conversations.since(conversation, query(req, 'watermark')));
  });

  server.post(`${BASE}/conversations/:conversationId/activities`, async (req: Request, res: Response) => {
    const conversation = authorize(req, res, param(req, 'conversationId'));
    if (!conversation) return;
    const body = await readJson(req);
    // Parsed like /api/messages (issue 16): typed, bounded fields; nothing deep reaches the bot or the stream.
    const parsed = DirectLineClientActivity.safeParse(body);
    if (!parsed.success || !FORWARDED_TYPES.has(parsed.data.type)) {
      sendError(res, 400, 'BadArgument', `The activity needs a type among: ${[...FORWARDED_TYPES].join(', ')}, and bounded fields.`);
      return;
    }
    const client = parsed.data as ChannelActivity;
    const id = conversations.newActivityId(conversation);
    const timestamp = new Date(ctx.now()).toISOString();
    if (client.type !== 'invoke') {
      // The echo carries the client's channelData (clientActivityID) so Web Chat marks the message as sent.
      const from = isRecord(client.from) ? client.from : { id: `dl_${conversation.user.objectId}`, name: conversation.user.name };
      conversations.append(conversation, { ...echoOf(parsed.data), id, timestamp, channelId: 'directline', conversation: { id: conversation.id }, from: { ...from, role: 'user' } });
    }
    const teams = toTeamsActivity(client, conversation, { id, serviceUrl: ctx.serviceUrl, timestamp });
    let result: { status: number; body: unknown };
    try {
      result = await ctx.postToBot(teams);
    } catch (err) {
      ctx.deps.logger.warn({ err: errorName(err), conversationId: conversation.id }, 'devchannel: bot unreachable');
      sendError(res, 502, 'BotUnreachable', 'The bot did not answer. Is it running?');
      return;
    }
    if (result.status === 400 && client.type !== 'invoke') {
      sendError(res, 400, 'BadArgument', 'The bot refused the activity as malformed.');
      return;
    }
    if (result.status >= 400 && client.type !== 'invoke') {
      sendError(res, 502, 'BotError', `The bot answered HTTP ${result.status}.`);
      return;
    }
    if (client.type === 'invoke') {
      res.send(200, { id, status: result.status, body: result.body ?? null });
      return;
    }
    res.send(200, { id });
  });
}

function chooseUser(
  users: readonly DemoUser[],
  body: Record<string, unknown>,
): { ok: true; user: DemoUser } | { ok: false; status: number; message: string } {
  if (users.length === 0) return { ok: false, status: 409, message: 'The demo directory has no users.' };
  const requested = isRecord(body.user) && typeof body.user.id === 'string' ? body.user.id.replace(/^(?:dl_|29:)/, '') : undefined;
  const tenantId = typeof body.tenantId === 'string' ? body.tenantId : undefined;
  if (requested === undefined) return { ok: true, user: users[0]! };
  const user = users.find((u) => u.objectId === requested && (tenantId === undefined || u.tenantId === tenantId));
  return user ? { ok: true, user } : { ok: false, status: 400, message: 'No such demo user.' };
}

/** The echo Web Chat needs (its clientActivityID marks the message as sent): the shown fields only, never extras. */
function echoOf(a: DirectLineClientActivity): ChannelActivity {
  const echo: ChannelActivity = { type: a.type };
  for (const key of ['text', 'textFormat', 'attachments', 'value', 'name'] as const) if (a[key] !== undefined) echo[key] = a[key];
  const cd = a.channelData;
  if (cd && (cd.clientActivityID !== undefined || cd.clientTimestamp !== undefined))
    echo.channelData = { ...(cd.clientActivityID !== undefined ? { clientActivityID: cd.clientActivityID } : {}), ...(cd.clientTimestamp !== undefined ? { clientTimestamp: cd.clientTimestamp } : {}) };
  return echo;
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}
