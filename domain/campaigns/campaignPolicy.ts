import { inAnyGroup } from '../model/groups';
import type { SecurityAlertKind } from './model';

/**
 * Who a campaign reaches: everyone in the self-service scope, or members of the listed groups; minus exclusions.
 * Groups are object ids or LDAP DNs, matched as domain/model/groups.ts matches them (R32): never by display name,
 * which anyone who may create a group can copy.
 */
export interface CampaignAudience {
  readonly mode: 'everyone' | 'groups';
  readonly groups: readonly string[];
  readonly excludeGroups: readonly string[];
}

/**
 * Campaign settings (policy file, `campaigns` block; parsed and capped in bot/config.ts). Everything the scans and
 * the alerting decide is here; the worker's own settings (rates, concurrency) are environment variables.
 */
export interface CampaignPolicy {
  /** No reminders or nudges between `startHour` and `endHour` in the user's time zone (lockout and security alerts are never held back). */
  readonly quietHours: { readonly enabled: boolean; readonly startHour: number; readonly endHour: number; readonly defaultTimeZone: string };
  /** E3: password-expiry reminders on the listed days before expiry. */
  readonly expiry: {
    readonly enabled: boolean;
    readonly daysBefore: readonly number[];
    readonly scanEveryMinutes: number;
    readonly audience: CampaignAudience;
  };
  /** E4: "your account was locked — was this you?" from directory polling and the signed SIEM webhook. */
  readonly lockout: {
    readonly enabled: boolean;
    readonly pollEverySeconds: number;
    /** Locks older than this when first seen are not announced (a stale lock is not news). */
    readonly maxAgeMinutes: number;
    readonly audience: CampaignAudience;
  };
  /** A4: nudges to users with fewer confirmed methods than a reset needs. */
  readonly registration: {
    readonly enabled: boolean;
    readonly scanEveryHours: number;
    /** Days between nudges to the same user. */
    readonly remindEveryDays: number;
    /** Snoozes allowed before the nudge stops offering "Snooze" (0 = no limit). */
    readonly maxSnoozes: number;
    readonly audience: CampaignAudience;
  };
  /** A4: re-confirmation when the oldest confirmation is older than methods.reconfirmAfterDays. */
  readonly reconfirm: {
    readonly enabled: boolean;
    readonly remindEveryDays: number;
    readonly maxSnoozes: number;
  };
  /** E2: cards to the configured security-alert channel. */
  readonly securityAlerts: {
    readonly enabled: boolean;
    readonly kinds: readonly SecurityAlertKind[];
    /** The same alert about the same subject is sent once in this window. */
    readonly dedupeMinutes: number;
    /** At most this many alerts of one kind per hour (the rest are counted in the audit log, not posted). */
    readonly perKindPerHour: number;
    /** R30: an hour's sends above this multiple of the 7-day hourly baseline is a spike. */
    readonly spikeFactor: number;
  };
  /** Users per directory page in a scan. */
  readonly scanPageSize: number;
}

const everyone: CampaignAudience = { mode: 'everyone', groups: [], excludeGroups: [] };

export const DEFAULT_CAMPAIGN_POLICY: CampaignPolicy = {
  quietHours: { enabled: true, startHour: 20, endHour: 8, defaultTimeZone: 'Europe/Amsterdam' },
  expiry: { enabled: true, daysBefore: [14, 7, 3, 1], scanEveryMinutes: 60, audience: everyone },
  lockout: { enabled: true, pollEverySeconds: 60, maxAgeMinutes: 60, audience: everyone },
  registration: { enabled: true, scanEveryHours: 24, remindEveryDays: 7, maxSnoozes: 3, audience: everyone },
  reconfirm: { enabled: true, remindEveryDays: 7, maxSnoozes: 3 },
  securityAlerts: {
    enabled: true,
    kinds: ['privileged_reset', 'verification_blocked', 'send_spike', 'shared_bucket_exceeded', 'not_me_reported'],
    dedupeMinutes: 60,
    perKindPerHour: 30,
    spikeFactor: 3,
  },
  scanPageSize: 200,
};

/** The self-service scope (policy `scope`): a campaign never reaches a user the bot would not serve. */
export interface SelfServiceScope {
  readonly mode: 'everyone' | 'groups';
  readonly groups: readonly string[];
}

/**
 * Is this directory user in the campaign's audience? The user's groups (as the directory adapter reports them:
 * object ids and DNs, transitively) against the audience's and the self-service scope's group references, by id
 * (R32). An excluded group wins over everything; a user outside the self-service scope is never in an audience.
 */
export function inAudience(groups: readonly string[], audience: CampaignAudience, scope: SelfServiceScope = { mode: 'everyone', groups: [] }): boolean {
  if (inAnyGroup(groups, audience.excludeGroups)) return false;
  if (scope.mode === 'groups' && !inAnyGroup(groups, scope.groups)) return false;
  if (audience.mode === 'everyone') return true;
  return inAnyGroup(groups, audience.groups);
}
