import type { UserRef } from '../model/user';
import type { Clock } from '../ports/clock';
import type { Directory, DirectoryUser } from '../ports/directory';
import type { CampaignPolicy } from './campaignPolicy';
import { inAudience, type SelfServiceScope } from './campaignPolicy';
import { messageId, refOf } from './audience';
import type { OutboundMessage } from './model';
import type { CampaignLedger, CampaignOutbox, ScanDirectory } from './ports';
import type { CampaignScanner, ScanDecision } from './runScan';

const DAY = 86400_000;
/** A reported lock time may be this far ahead of our clock (the webhook's signature window); later = not a lock yet. */
const REPORT_SKEW_MS = 5 * 60_000;

/** The told key of a user's current lock episode: cleared when the account is seen unlocked again. */
export function lockoutToldKey(user: UserRef): string {
  return messageId('lockout', user.tenantId, user.objectId);
}

function lockoutMessage(user: UserRef, lockedAt: number, now: number): OutboundMessage {
  return {
    // The minute of the lock: the SIEM and the directory may disagree on the milliseconds of the same event.
    id: messageId('lockout', user.tenantId, user.objectId, Math.floor(lockedAt / 60_000)),
    tenantId: user.tenantId,
    to: { kind: 'user', user },
    card: { kind: 'lockout', lockedAt },
    createdAt: now,
  };
}

/**
 * E4 by polling: a user whose account is locked gets "Your account was locked at HH:MM — was this you?" once per
 * lock episode (the told record lives until the account is seen unlocked). A security alert to the user: no opt-out,
 * no quiet hours. Locks older than `maxAgeMinutes` when first seen are not announced.
 */
export class LockoutAlertScanner implements CampaignScanner {
  readonly name = 'lockout';

  constructor(
    private readonly deps: {
      readonly tenantId: string;
      readonly policy: CampaignPolicy;
      /** The self-service scope (policy `scope`): nobody outside it is chosen. */
      readonly scope: SelfServiceScope;
      readonly directory: Pick<ScanDirectory, 'readLockout'>;
    },
  ) {}

  async decide(users: readonly DirectoryUser[], now: number): Promise<{ decisions: ScanDecision[]; forget: string[] }> {
    const p = this.deps.policy.lockout;
    const decisions: ScanDecision[] = [];
    const forget: string[] = [];
    if (!p.enabled) return { decisions, forget };
    for (const u of users) {
      if (!inAudience(u.groups, p.audience, this.deps.scope)) continue;
      const user = refOf(this.deps.tenantId, u);
      // The scan's own `locked` flag saves a read for the (many) accounts that are not locked.
      const state = u.locked === false ? { locked: false, lockedAt: null } : await this.deps.directory.readLockout(u);
      // A directory that cannot see locks (Entra) says nothing about this episode: the webhook's told record stands.
      if (state.locked === null) continue;
      if (!state.locked) {
        forget.push(lockoutToldKey(user));
        continue;
      }
      const lockedAt = state.lockedAt ?? now;
      if (now - lockedAt > p.maxAgeMinutes * 60_000) continue;
      decisions.push({ toldKey: lockoutToldKey(user), toldTtlMs: DAY, message: lockoutMessage(user, lockedAt, now) });
    }
    return { decisions, forget };
  }
}

export type ReportLockoutResult = { readonly ok: true; readonly queued: boolean } | { readonly ok: false; readonly reason: 'disabled' };

/**
 * E4 from a SIEM: the signed webhook says "this user was locked at T". Same message, same told record as the
 * polling scan, so the user hears it once whichever sees it first. The user must be in the directory and in the
 * lockout audience (and the self-service scope), as for the scan: a SIEM event is no way around the policy. The
 * tenant must be the deployment's (the directories look a user up by object id alone), and a lock time in the
 * future is no lock: neither is announced, nor takes the user's told record.
 */
export class ReportLockout {
  constructor(
    private readonly deps: {
      /** The deployment's tenant (lower case), as the scans use it. */
      readonly tenantId: string;
      readonly policy: CampaignPolicy;
      readonly scope: SelfServiceScope;
      readonly directory: Pick<Directory, 'findUser'>;
      readonly ledger: CampaignLedger;
      readonly outbox: CampaignOutbox;
      readonly clock: Clock;
    },
  ) {}

  async report(user: UserRef, lockedAt: number): Promise<ReportLockoutResult> {
    if (!this.deps.policy.lockout.enabled) return { ok: false, reason: 'disabled' };
    const now = this.deps.clock.now();
    if (now - lockedAt > this.deps.policy.lockout.maxAgeMinutes * 60_000) return { ok: true, queued: false };
    if (lockedAt - now > REPORT_SKEW_MS) return { ok: true, queued: false };
    if (user.tenantId.toLowerCase() !== this.deps.tenantId.toLowerCase()) return { ok: true, queued: false };
    const key = lockoutToldKey(user);
    const [told] = await this.deps.ledger.told([key]);
    if (told) return { ok: true, queued: false };
    const found = await this.deps.directory.findUser(user);
    if (!found || !inAudience(found.groups, this.deps.policy.lockout.audience, this.deps.scope)) return { ok: true, queued: false };
    await this.deps.outbox.enqueue([lockoutMessage(user, lockedAt, now)]);
    await this.deps.ledger.markTold([key], DAY);
    return { ok: true, queued: true };
  }
}
