import { Channels, type TurnContext } from 'botbuilder';
import type { Journey } from '../dialogs/rootDialog';
import { SecurityInfoDialog } from '../dialogs/securityInfoDialog';
import { createSecurityInfoUseCases, type SecurityInfoUseCases } from '../domain/securityInfo';
import type { JourneyDeps } from './journeys';
import type { Services } from './services';
import { CALLER_KEY } from './teamsBot';
import type { Caller } from './identity';
import type { Directory } from '../domain/ports/directory';
import type { DirectoryContactsReader } from '../domain/ports/directoryContacts';
import { MethodStoreReader } from '../domain/recovery/securityInfoProver';

/** R31: the directory's contact data (Directory.readContacts) and the user's mailbox (UPN), over the Directory port. */
export function directoryContacts(directory: Directory): DirectoryContactsReader {
  return {
    contacts: async (user) => {
      const found = await directory.findUser(user);
      return found ? directory.readContacts(found) : { mobilePhones: [], officePhones: [], emails: [] };
    },
    mailbox: async (user) => (await directory.findUser(user))?.userPrincipalName || null,
  };
}

/** The security-info use-cases on the app's ports (the same prover, block and notifications as recovery). */
export function securityInfoUseCases(services: Services): SecurityInfoUseCases {
  const s = services.security;
  const r = services.recovery.deps;
  return createSecurityInfoUseCases({
    policy: r.policy,
    store: s.methods,
    codes: s.oneTimeCodes,
    guard: s.guard,
    totp: s.totp,
    questions: s.questions,
    recoveryCodes: s.recoveryCodes,
    prover: r.prover,
    // Unfiltered by the R31 hold: a held method still proves its owner for the next change.
    provable: new MethodStoreReader(s.methods),
    stepUps: s.stepUps,
    directory: directoryContacts(services.directory),
    block: r.block,
    notifications: r.notifications,
    mailer: s.notifier,
    audit: services.audit,
    clock: services.clock,
    random: services.random,
  });
}

/** The *My security info* journey (issue 3 item 6). */
export function buildSecurityInfoJourney(deps: JourneyDeps): Journey {
  const dialog = new SecurityInfoDialog({
    useCases: securityInfoUseCases(deps.services),
    callerOf: (context: TurnContext) => context.turnState.get<Caller | undefined>(CALLER_KEY),
    secretPages: {
      issue: (user, secret) => deps.enrolments.issue(user, secret),
      // Teams clients (and the local chat page, which speaks as Teams) open dialogs; other channels get the card.
      opensDialogs: (context: TurnContext) => context.activity.channelId === (Channels.Msteams as string),
    },
  });
  return { choice: 'securityInfo', dialog };
}
