import type { TurnContext } from 'botbuilder';
import type { Config } from '../config';
import type { Services } from '../services';
import type { Caller } from '../identity';
import { CALLER_KEY } from '../teamsBot';
import type { Helpdesk } from './createHelpdesk';
import { CallerVerificationDialog } from '../../dialogs/callerVerificationDialog';
import { VerifyIdentityDialog, type CallerOf } from '../../dialogs/verifyIdentityDialog';

/** The caller verification dialog (`verify <user>`) wired to the recovery use-cases and the hand-off outcome. */
export function createCallerVerificationDialog(config: Config, services: Services, helpdesk: Helpdesk): CallerVerificationDialog {
  const callerOf: CallerOf = (context: TurnContext) => context.turnState.get<Caller | undefined>(CALLER_KEY);
  const { recovery } = services;
  return new CallerVerificationDialog({
    start: recovery.start,
    verify: new VerifyIdentityDialog({ challenge: recovery.challenge, prove: recovery.prove, policy: config.policy, callerOf }),
    policy: config.policy,
    callerOf,
    finished: async (user, passed, reason, correlationId) => {
      await helpdesk.handoffs.finishVerification(user, passed, reason, correlationId);
    },
  });
}
