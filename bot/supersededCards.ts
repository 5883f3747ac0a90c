import { CardFactory, type Activity, type TurnContext } from 'botbuilder';
import { buildInactiveCard } from '../cards/inactiveCard';
import { turnTranslator } from '../dialogs/turnLocale';

/** The cards with live buttons (activity ids of the last turn that sent any), kept in the conversation's meta state. */
export interface ActiveCardRecord {
  activeCardIds?: string[];
}

const ADAPTIVE = 'application/vnd.microsoft.card.adaptive';

/** Does this outgoing activity carry a card the user can press something on? */
function isInteractive(a: Partial<Activity>): boolean {
  return (a.attachments ?? []).some((x) => {
    if (x.contentType !== ADAPTIVE) return false;
    const actions = (x.content as { actions?: unknown[] } | undefined)?.actions;
    return Array.isArray(actions) && actions.length > 0;
  });
}

/**
 * Issue 11 item 4: older cards must not look clickable once newer ones took over. The interactive cards a turn sends
 * become the live ones; the first such card of a turn replaces (updateActivity) the cards of the earlier turn by a
 * short "this card is no longer active". Cards of the same turn stay (a notice card and its follow-up). A card a
 * dialog already replaced itself (a cleared code or password card) is left alone. Channels that give no activity ids
 * (expectReplies) or cannot update keep the old card; the journey never fails for it.
 */
export function supersedeOldCards(context: TurnContext, record: ActiveCardRecord): void {
  let replacedEarlier = false;
  context.onUpdateActivity(async (_ctx, activity, next) => {
    if (activity.id && record.activeCardIds?.includes(activity.id)) record.activeCardIds = record.activeCardIds.filter((id) => id !== activity.id);
    await next();
  });
  context.onSendActivities(async (ctx, activities, next) => {
    const responses = await next();
    for (let i = 0; i < activities.length; i++) {
      const id = responses[i]?.id;
      if (!id || !isInteractive(activities[i] ?? {})) continue;
      if (!replacedEarlier) {
        replacedEarlier = true;
        const earlier = (record.activeCardIds ?? []).filter((x) => x !== id);
        record.activeCardIds = [];
        const inactive = CardFactory.adaptiveCard(buildInactiveCard({ t: turnTranslator(ctx) }));
        for (const old of earlier) {
          await ctx.updateActivity({ id: old, type: 'message', conversation: ctx.activity.conversation, attachments: [inactive] }).catch(() => undefined);
        }
      }
      record.activeCardIds = [...(record.activeCardIds ?? []), id].slice(-MAX_LIVE);
    }
    return responses;
  });
}

const MAX_LIVE = 5;
