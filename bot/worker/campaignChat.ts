import { CardFactory, MessageFactory, type TurnContext } from 'botbuilder';
import { randomBytes } from 'node:crypto';
import type { CampaignVerb } from '../../cards/verbs';
import { card, paragraph, submit } from '../../cards/adaptiveCard';
import { resolveLocale, translator } from '../../locales';
import { longDate } from '../../locales/times';
import { turnTimeZone } from '../../dialogs/turnLocale';
import { OPTIONAL_KINDS } from '../../domain/campaigns/model';
import type { CampaignActions } from '../../domain/campaigns/campaignActions';
import type { UserRef } from '../../domain/model/user';

export interface CampaignChatDeps {
  readonly actions: CampaignActions;
  readonly talkToHelpdesk: (context: TurnContext) => Promise<void>;
}

/**
 * The chat surface of the campaigns (root dialog hook): a card's Snooze / Stop / "This wasn't me" / helpdesk
 * buttons and a typed "stop these reminders". Each calls one use-case and answers in the user's language.
 * "This wasn't me" changes nothing on the account: the use-case publishes `not_me_reported` (the security channel
 * hears it) and the helpdesk is offered. A button for a card that was not sent to this user is refused politely.
 */
export class CampaignChat {
  constructor(private readonly deps: CampaignChatDeps) {}

  async handle(context: TurnContext, user: UserRef, action: CampaignVerb | { readonly verb: 'campaign.stopAll' }): Promise<void> {
    const locale = resolveLocale(context.activity.locale);
    const t = translator(locale);
    switch (action.verb) {
      case 'campaign.snooze': {
        const r = await this.deps.actions.snooze(user, action.kind, action.days, action.ref);
        if (!r.ok) {
          await context.sendActivity(t(r.reason === 'not_sent' ? 'campaign.notSent' : 'campaign.snoozeLimit'));
          return;
        }
        const date = longDate({ locale, tag: context.activity.locale, zone: turnTimeZone(context.activity) }, r.until);
        await context.sendActivity(t('campaign.snoozed', { date }));
        return;
      }
      case 'campaign.stop': {
        const r = await this.deps.actions.stop(user, action.kind, action.ref);
        await context.sendActivity(t(r.ok ? 'campaign.stopped' : 'campaign.notSent'));
        return;
      }
      case 'campaign.stopAll':
        await this.deps.actions.stopAll(user, OPTIONAL_KINDS);
        await context.sendActivity(t('campaign.stoppedAll'));
        return;
      case 'campaign.notMe': {
        const r = await this.deps.actions.reportNotMe(user, action.ref, randomBytes(8).toString('hex'));
        if (!r.ok && r.reason === 'not_sent') {
          await context.sendActivity(t('campaign.notSent'));
          return;
        }
        const offer = card(
          [paragraph(t(r.ok ? 'campaign.notMe.reported' : 'campaign.notMe.already'))],
          [submit(t('campaign.notMe.helpdesk'), { verb: 'campaign.helpdesk' }, 'positive')],
        );
        await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(offer)));
        return;
      }
      case 'campaign.helpdesk':
        await this.deps.talkToHelpdesk(context);
        return;
    }
  }
}
