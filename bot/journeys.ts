import type { CloudAdapter } from 'botbuilder';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Services } from './services';
import type { ConversationRefStore } from '../domain/ports/conversationRefs';
import type { Journey } from '../dialogs/rootDialog';
import type { EnrolmentTickets } from '../adapters/enrolmentTickets';
import { buildRecoveryJourneys } from './recoveryJourneys';
import { buildSecurityInfoJourney } from './securityInfoJourney';

export interface JourneyDeps {
  readonly config: Config;
  readonly services: Services;
  readonly adapter: CloudAdapter;
  readonly refs: ConversationRefStore;
  readonly logger: Logger;
  /** R35: single-use tickets for the dialog page that shows an authenticator's QR/key or recovery codes. */
  readonly enrolments: EnrolmentTickets;
}

/**
 * The user goals this deployment offers, each a ComponentDialog wired to its use-cases. The root's menu shows exactly
 * these (plus help). Add a journey here when its dialog exists.
 */
export function buildJourneys(_deps: JourneyDeps): Journey[] {
  const journeys: Journey[] = [];
  journeys.push(...buildRecoveryJourneys(_deps));
  journeys.push(buildSecurityInfoJourney(_deps));
  return journeys;
}
