import { CardFactory, type Activity, type TurnContext } from 'botbuilder';
import { buildInactiveCard } from '../cards/inactiveCard';
import { turnTranslator } from '../dialogs/turnLocale';

/** The cards with live buttons (activity ids of the last turn that sent any), kept in the conversation's meta state. */
export interface ActiveCardRecord {
  activeCardIds?: string[];
  /** The live cards' headings by activity id (what a replaced card still says it was); headings only, never input. */
  activeCardTitles?: Record<string, string>;
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

/** The card's heading (the first TextBlock styled as one), cut to a line: what the user remembers the card by. */
function titleOf(a: Partial<Activity>): string | undefined {
  for (const x of a.attachments ?? []) {
    if (x.contentType !== ADAPTIVE) continue;
    const body = (x.content as { body?: unknown[] } | undefined)?.body ?? [];
    for (const el of body) {
      const e = el as { type?: unknown; style?: unknown; text?: unknown };
      if (e.type === 'TextBlock' && e.style === 'heading' && typeof e.text === 'string' && e.text.trim()) {
        const text = e.text.trim();
        return text.length > 80 ? `${text.slice(0, 79)}…` : text;
      }
    }
  }
  return undefined;
}

/**
 * Issue 11 item 4: older cards must not look clickable once newer ones took over. The interactive cards a turn sends
 * become the live ones; the first such card of a turn replaces (updateActivity) the cards of the earlier turn by a
 * short line: each keeps its heading, and the first of the run says "replaced by a newer step below" (one sentence per
 * run, not one per card down the chat). Cards of the same turn stay (a notice card and its follow-up). A card a
 * dialog already replaced itself (a cleared code or password card) is left alone. Channels that give no activity ids
 * (expectReplies) or cannot update keep the old card; the journey never fails for it.
 */
export function supersedeOldCards(context: TurnContext, record: ActiveCardRecord): void {
  let replacedEarlier = false;
  context.onUpdateActivity(async (_ctx, activity, next) => {
    if (activity.id && record.activeCardIds?.includes(activity.id)) {
      record.activeCardIds = record.activeCardIds.filter((id) => id !== activity.id);
      if (record.activeCardTitles) delete record.activeCardTitles[activity.id];
    }
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
        const titles = record.activeCardTitles ?? {};
        record.activeCardIds = [];
        record.activeCardTitles = {};
        const t = turnTranslator(ctx);
        for (const [n, old] of earlier.entries()) {
          const title = titles[old];
          const inactive = CardFactory.adaptiveCard(buildInactiveCard({ t, first: n === 0, ...(title ? { title } : {}) }));
          await ctx.updateActivity({ id: old, type: 'message', conversation: ctx.activity.conversation, attachments: [inactive] }).catch(() => undefined);
        }
      }
      const live = [...(record.activeCardIds ?? []), id].slice(-MAX_LIVE);
      const title = titleOf(activities[i] ?? {});
      const titles: Record<string, string> = {};
      for (const x of live) {
        const known = x === id ? title : record.activeCardTitles?.[x];
        if (known) titles[x] = known;
      }
      record.activeCardIds = live;
      record.activeCardTitles = titles;
    }
    return responses;
  });
}

const MAX_LIVE = 5;
