import type { TurnContext } from 'botbuilder';
import type { JourneyDeps } from './journeys';
import { CALLER_KEY } from './teamsBot';
import type { Caller } from './identity';
import { BackgroundDelivery } from './background';
import type { Journey } from '../dialogs/rootDialog';
import { ResetPasswordDialog } from '../dialogs/resetPasswordDialog';
import { UnlockAccountDialog } from '../dialogs/unlockAccountDialog';
import { CheckAccountDialog } from '../dialogs/recoveryJourney';
import { VerifyIdentityDialog, type CallerOf } from '../dialogs/verifyIdentityDialog';

/**
 * The reset and unlock journeys (issue 4), wired to the recovery use-cases. Unlock is offered only when the
 * directory can unlock (Graph cannot: the menu then does not show it).
 */
export function buildRecoveryJourneys(deps: JourneyDeps): Journey[] {
  const { services, config } = deps;
  const { recovery, directory } = services;
  const policy = config.policy;
  const callerOf: CallerOf = (context: TurnContext) => context.turnState.get<Caller | undefined>(CALLER_KEY);
  const later = new BackgroundDelivery({ adapter: deps.adapter, appId: config.bot.appId ?? '', refs: deps.refs, logger: deps.logger });
  const verify = (): VerifyIdentityDialog =>
    new VerifyIdentityDialog({ challenge: recovery.challenge, prove: recovery.prove, policy, callerOf });

  const journeys: Journey[] = [
    {
      choice: 'reset',
      dialog: new ResetPasswordDialog({
        start: recovery.start,
        reset: recovery.reset,
        verify: verify(),
        policy,
        capabilities: () => directory.capabilities(),
        // The one password rule book (R14): the ChooseNewPassword use-case the dialog page's API calls too.
        checkNewPassword: (user, password, confirmation) => recovery.choose.evaluate(user, password, confirmation),
        later,
        callerOf,
        // The "Choose password in a secure window" Teams dialog page (bot/api/pagesApi.ts, web/password/).
        secureWindowUrl: `${config.publicBaseUrl}/app/password/`,
      }),
    },
  ];
  if (directory.capabilities().canUnlock) {
    journeys.push({
      choice: 'unlock',
      dialog: new UnlockAccountDialog({ start: recovery.start, unlock: recovery.unlock, verify: verify(), policy, later, callerOf }),
    });
  }
  journeys.push({ choice: 'check', dialog: new CheckAccountDialog({ start: recovery.start, policy, callerOf }) });
  return journeys;
}
