import { CardFactory, MessageFactory, type TurnContext } from 'botbuilder';
import { randomBytes } from 'node:crypto';
import type { CampaignVerb } from '../../cards/verbs';
import { card, paragraph, submit } from '../../cards/adaptiveCard';
import { resolveLocale, translator } from '../../locales';
import { OPTIONAL_KINDS } from '../../domain/campaigns/model';
import type { CampaignActions } from '../../domain/campaigns/campaignActions';
import type { DomainEvents } from '../../domain/events';
import type { UserRef } from '../../domain/model/user';

export interface CampaignChatDeps {
  readonly actions: CampaignActions;
  readonly events: DomainEvents;
  readonly clock: { now(): number };
  readonly talkToHelpdesk: (context: TurnContext) => Promise<void>;
}

/**
 * The chat surface of the campaigns (root dialog hook): a card's Snooze / Stop / "This wasn't me" / helpdesk
 * buttons and a typed "stop these reminders". Each calls one use-case and answers in the user's language.
 * "This wasn't me" changes nothing on the account: it publishes `not_me_reported` (the security channel hears it)
 * and offers the helpdesk.
 */
export class CampaignChat {
  constructor(private readonly deps: CampaignChatDeps) {}

  async handle(context: TurnContext, user: UserRef, action: CampaignVerb | { readonly verb: 'campaign.stopAll' }): Promise<void> {
    const locale = resolveLocale(context.activity.locale);
    const t = translator(locale);
    switch (action.verb) {
      case 'campaign.snooze': {
        const r = await this.deps.actions.snooze(user, action.kind, action.days);
        if (!r.ok) {
          await context.sendActivity(t('campaign.snoozeLimit'));
          return;
        }
        const zone = context.activity.localTimezone;
        const fmt = (z: string | undefined): string =>
          new Intl.DateTimeFormat(locale === 'nl' ? 'nl-NL' : 'en-GB', { timeZone: z ?? 'UTC', weekday: 'long', day: 'numeric', month: 'long' }).format(r.until);
        let date: string;
        try {
          date = fmt(zone);
        } catch {
          date = fmt(undefined);
        }
        await context.sendActivity(t('campaign.snoozed', { date }));
        return;
      }
      case 'campaign.stop':
        await this.deps.actions.stop(user, action.kind);
        await context.sendActivity(t('campaign.stopped'));
        return;
      case 'campaign.stopAll':
        for (const k of OPTIONAL_KINDS) await this.deps.actions.stop(user, k);
        await context.sendActivity(t('campaign.stoppedAll'));
        return;
      case 'campaign.notMe': {
        const correlationId = randomBytes(8).toString('hex');
        this.deps.events.publish({ type: 'not_me_reported', at: this.deps.clock.now(), correlationId, user, about: 'lockout' });
        const offer = card([paragraph(t('campaign.notMe.reported'))], [submit(t('campaign.notMe.helpdesk'), { verb: 'campaign.helpdesk' }, 'positive')]);
        await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(offer)));
        return;
      }
      case 'campaign.helpdesk':
        await this.deps.talkToHelpdesk(context);
        return;
    }
  }
}
