import type { UserRef } from '../model/user';
import type { DirectoryUser } from '../ports/directory';
import type { CampaignPolicy } from './campaignPolicy';
import { notBeforeOutsideQuietHours } from './quietHours';
import type { OptionalKind } from './model';
import type { CampaignPreferences, TimeZoneLookup } from './ports';

/** What every reminder and nudge checks for a user: their own choices first, then quiet hours in their time zone. */
export class ReminderGate {
  constructor(
    private readonly deps: {
      readonly policy: CampaignPolicy;
      readonly preferences: CampaignPreferences;
      readonly timeZones: TimeZoneLookup;
    },
  ) {}

  /** null = don't send (opted out or snoozed); else the earliest send time. */
  async check(user: UserRef, kind: OptionalKind, now: number): Promise<{ readonly notBefore: number; readonly snoozes: number } | null> {
    const pref = await this.deps.preferences.get(user, kind);
    if (pref.optedOut) return null;
    if (pref.snoozedUntil !== null && pref.snoozedUntil > now) return null;
    const tz = await this.deps.timeZones.timeZone(user);
    return { notBefore: notBeforeOutsideQuietHours(now, tz, this.deps.policy.quietHours), snoozes: pref.snoozes };
  }
}

/** The UserRef of a directory user in the deployment's tenant. */
export function refOf(tenantId: string, u: DirectoryUser): UserRef {
  return { tenantId, objectId: u.objectId.toLowerCase() };
}

/** Job ids may not contain ':' (BullMQ); ids are built from these parts with '.'. */
export function messageId(...parts: readonly (string | number)[]): string {
  return parts.map((p) => String(p).replace(/[^A-Za-z0-9_-]/g, '_')).join('.');
}
