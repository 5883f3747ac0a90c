import type { UserRef } from '../model/user';
import type { AuditLog } from '../ports/auditLog';
import type { Clock } from '../ports/clock';
import type { Directory } from '../ports/directory';
import type { RecoveryCounter } from '../ports/recoveryCounter';
import type { Policy } from '../policy/policy';
import { recoveryCapWindowMs } from '../policy/recoveryCap';
import type { VerificationBlock } from '../ports/verificationBlock';

/** What the user was doing when they asked for a person (the journey on the dialog stack, if any). */
export type TalkContext = 'reset' | 'unlock' | 'securityInfo' | 'none';

/**
 * The summary an agent gets when a user asks for the helpdesk: what they tried, whether verification is blocked,
 * which method KINDS they have — never a code, answer, password, token, destination or method id.
 */
export interface HelpdeskSummary {
  readonly user: UserRef;
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly tried: TalkContext;
  readonly methodKinds: readonly string[];
  readonly blockedUntil: number | null;
  readonly resetsToday: number;
  readonly at: number;
}

export interface TalkToHelpdeskDeps {
  /** The kinds of the user's registered methods (duplicates allowed; the use-case deduplicates). */
  readonly methodKinds: (user: UserRef) => Promise<readonly string[]>;
  readonly block: VerificationBlock;
  readonly counter: RecoveryCounter;
  /** C6: the reset/unlock cap; the summary counts completions inside its window. */
  readonly resets: Policy['resets'];
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** Names the user for the agent (display name, UPN); the caller's Teams name is the fallback. */
  readonly directory?: Directory;
}

/**
 * "Talk to the helpdesk" (issue 6): builds the secret-free summary for the helpdesk channel / webhook and audits the
 * request (R20). Delivery is the bot layer's job.
 */
export class TalkToHelpdesk {
  constructor(private readonly deps: TalkToHelpdeskDeps) {}

  async summarize(
    user: UserRef,
    who: { readonly displayName: string; readonly userPrincipalName: string },
    tried: TalkContext,
    correlationId: string,
  ): Promise<HelpdeskSummary> {
    const [kinds, blockedUntil, resetsToday, found] = await Promise.all([
      this.deps.methodKinds(user).catch(() => [] as readonly string[]),
      this.deps.block.blockedUntil(user).catch(() => null),
      this.deps.counter.recent(user, recoveryCapWindowMs(this.deps.resets)).then((t) => t.length, () => 0),
      this.deps.directory ? this.deps.directory.findUser(user).catch(() => null) : Promise.resolve(null),
    ]);
    const now = this.deps.clock.now();
    const summary: HelpdeskSummary = {
      user,
      displayName: found?.displayName ?? who.displayName,
      userPrincipalName: found?.userPrincipalName ?? who.userPrincipalName,
      tried,
      methodKinds: [...new Set(kinds)].sort(),
      blockedUntil: blockedUntil !== null && blockedUntil > now ? blockedUntil : null,
      resetsToday,
      at: now,
    };
    await this.deps.audit.record({
      type: 'helpdesk.talk_request',
      correlationId,
      user,
      outcome: 'info',
      detail: { tried, methods: summary.methodKinds.length, blocked: summary.blockedUntil !== null },
    });
    return summary;
  }
}
