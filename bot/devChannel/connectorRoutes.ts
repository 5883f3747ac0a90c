import type { Request, Response, Server } from 'restify';
import { resolveLocale, t } from '../../locales';
import type { DevChannelContext } from './registerDevChannel';
import type { DemoUser } from './devConversations';
import { teamsMember, toStreamActivity } from './teamsActivity';
import { isRecord, param, readJson, sendError } from './http';

const BASE = '/devchannel/connector/v3/conversations';

/** Activity types the bot may send that a Teams client would show; `trace` and the like are accepted and dropped. */
const SHOWN_TYPES: ReadonlySet<string> = new Set(['message', 'typing', 'event', 'endOfConversation']);

/**
 * The Bot Connector REST API subset the bot calls back (serviceUrl = selfBaseUrl + '/devchannel/connector/'):
 * send and reply, update (re-sent on the Direct Line stream with the same id, which Web Chat replaces in place),
 * delete, members, and create a 1:1 conversation for proactive messages.
 */
export function registerConnectorRoutes(server: Server, ctx: DevChannelContext): void {
  const { conversations } = ctx;

  const conversationOr404 = (req: Request, res: Response) => {
    const conversation = conversations.get(param(req, 'conversationId'));
    if (!conversation) sendError(res, 404, 'ConversationNotFound', 'Conversation not found.');
    return conversation;
  };

  const send = async (req: Request, res: Response): Promise<void> => {
    const conversation = conversationOr404(req, res);
    if (!conversation) return;
    const body = await readJson(req);
    if (!isRecord(body) || typeof body.type !== 'string') {
      sendError(res, 400, 'BadArgument', 'An activity with a type is required.');
      return;
    }
    const id = conversations.newActivityId(conversation);
    ctx.deps.onBotActivity?.({ op: 'post', id, activity: body });
    if (SHOWN_TYPES.has(body.type)) {
      conversations.append(conversation, toStreamActivity(body, conversation, id, new Date(ctx.now()).toISOString()));
    }
    res.send(200, { id });
  };
  server.post(`${BASE}/:conversationId/activities`, send);
  server.post(`${BASE}/:conversationId/activities/:replyToId`, send);

  server.put(`${BASE}/:conversationId/activities/:activityId`, async (req: Request, res: Response) => {
    const conversation = conversationOr404(req, res);
    if (!conversation) return;
    const activityId = param(req, 'activityId');
    const previous = conversations.latest(conversation, activityId);
    const body = await readJson(req);
    if (!previous) {
      sendError(res, 404, 'ActivityNotFound', 'Activity not found.');
      return;
    }
    if (!isRecord(body) || typeof body.type !== 'string') {
      sendError(res, 400, 'BadArgument', 'An activity with a type is required.');
      return;
    }
    ctx.deps.onBotActivity?.({ op: 'put', id: activityId, activity: body });
    // Same id and original timestamp: Web Chat replaces the earlier version where it stood.
    const timestamp = typeof previous.timestamp === 'string' ? previous.timestamp : new Date(ctx.now()).toISOString();
    conversations.append(conversation, toStreamActivity(body, conversation, activityId, timestamp));
    res.send(200, { id: activityId });
  });

  server.del(`${BASE}/:conversationId/activities/:activityId`, async (req: Request, res: Response) => {
    const conversation = conversationOr404(req, res);
    if (!conversation) return;
    const activityId = param(req, 'activityId');
    const previous = conversations.latest(conversation, activityId);
    if (!previous) {
      sendError(res, 404, 'ActivityNotFound', 'Activity not found.');
      return;
    }
    // Web Chat cannot remove an activity; like Teams, the message is replaced by a notice.
    conversations.append(conversation, {
      type: 'message',
      id: activityId,
      timestamp: previous.timestamp,
      channelId: 'directline',
      conversation: { id: conversation.id },
      from: previous.from,
      text: t(resolveLocale(conversation.locale), 'devchat.messageDeleted'),
    });
    res.send(200, {});
  });

  const isUser = (user: DemoUser, memberId: string): boolean =>
    memberId === `29:${user.objectId}` || memberId === user.objectId || memberId.toLowerCase() === user.upn.toLowerCase();

  server.get(`${BASE}/:conversationId/members/:memberId`, async (req: Request, res: Response) => {
    const conversation = conversationOr404(req, res);
    if (!conversation) return;
    if (!isUser(conversation.user, param(req, 'memberId'))) {
      sendError(res, 404, 'MemberNotFound', 'The user is not a member of this conversation.');
      return;
    }
    res.send(200, teamsMember(conversation.user));
  });

  server.get(`${BASE}/:conversationId/members`, async (req: Request, res: Response) => {
    const conversation = conversationOr404(req, res);
    if (!conversation) return;
    res.send(200, [teamsMember(conversation.user)]);
  });

  server.get(`${BASE}/:conversationId/pagedmembers`, async (req: Request, res: Response) => {
    const conversation = conversationOr404(req, res);
    if (!conversation) return;
    res.send(200, { members: [teamsMember(conversation.user)] });
  });

  server.post(BASE, async (req: Request, res: Response) => {
    const body = await readJson(req);
    const members = isRecord(body) && Array.isArray(body.members) ? (body.members as unknown[]) : [];
    const first = members[0];
    const memberId = isRecord(first) && typeof first.id === 'string' ? first.id : '';
    const aadObjectId = isRecord(first) && typeof first.aadObjectId === 'string' ? first.aadObjectId : '';
    if (members.length !== 1 || (body as Record<string, unknown>).isGroup === true) {
      sendError(res, 400, 'BadArgument', 'Only 1:1 conversations with one member are supported.');
      return;
    }
    const matches = (u: DemoUser): boolean => isUser(u, memberId) || (aadObjectId !== '' && u.objectId === aadObjectId);
    let conversation = conversations.findByUser(matches);
    if (!conversation) {
      const user = ctx.deps.demoUsers().find(matches);
      if (!user) {
        sendError(res, 404, 'MemberNotFound', 'No such user.');
        return;
      }
      conversation = conversations.create(user, 'en-US');
    }
    let activityId: string | undefined;
    const activity = isRecord(body) ? body.activity : undefined;
    if (isRecord(activity) && typeof activity.type === 'string') {
      activityId = conversations.newActivityId(conversation);
      ctx.deps.onBotActivity?.({ op: 'post', id: activityId, activity });
      conversations.append(conversation, toStreamActivity(activity, conversation, activityId, new Date(ctx.now()).toISOString()));
    }
    res.send(200, { id: conversation.id, serviceUrl: ctx.serviceUrl, ...(activityId ? { activityId } : {}) });
  });
}
