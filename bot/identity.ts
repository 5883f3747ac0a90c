import { TeamsInfo, type Activity, type TurnContext } from 'botbuilder';
import type { UserRef } from '../domain/model/user';
import { VerifyVerb } from '../cards/verbs';

/** Who is calling, as resolved server-side from the channel (R2). */
export interface Caller {
  readonly user: UserRef;
  readonly name: string;
  readonly firstName: string;
  readonly upn?: string;
  readonly role: 'user' | 'guest' | 'anonymous' | 'unknown';
}

export type Access =
  | { readonly ok: true; readonly caller: Caller }
  | { readonly ok: false; readonly reason: 'not_personal' | 'no_identity' | 'tenant_not_allowed' | 'guest' | 'anonymous' };

/** The tenant of an activity: Teams puts it in channelData.tenant.id (conversation.tenantId as a fallback). */
export function activityTenant(context: TurnContext): string | undefined {
  return tenantOf(context.activity);
}

function tenantOf(activity: Partial<Activity>): string | undefined {
  const cd = activity.channelData as { tenant?: { id?: unknown } } | undefined;
  const id = cd?.tenant?.id ?? activity.conversation?.tenantId;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

/**
 * The user an activity names (tenant + Entra object id), before the gate has checked anything: what the TurnGuard
 * reads ahead with the lock (issue 15). Whether this user may do anything is still the gate's decision (R2).
 */
export function activityUser(activity: Partial<Activity>): UserRef | undefined {
  const tenantId = tenantOf(activity);
  const objectId = activity.from?.aadObjectId;
  return tenantId && typeof objectId === 'string' && objectId.length > 0 ? { tenantId, objectId } : undefined;
}

/**
 * The verification flow an activity's card data names (a verify-identity card submit, parsed by its schema in
 * cards/verbs.ts), before anything has checked it: what the TurnGuard reads ahead with the lock under
 * {@link activityUser}'s key (issue 15). Only a lookup key — the use-case checks the flow it finds (R2, R25).
 */
export function activityFlowId(activity: Partial<Activity>): string | undefined {
  const value: unknown = activity.value;
  if (typeof value !== 'object' || value === null || !('verb' in value)) return undefined;
  const parsed = VerifyVerb.safeParse(value);
  return parsed.success ? parsed.data.flowId : undefined;
}

export function isPersonal(context: TurnContext): boolean {
  const type = context.activity.conversation?.conversationType;
  // The Emulator and Direct Line send no conversationType; Teams always does. Only 'personal' counts as 1:1 in Teams.
  return type === 'personal' || (type === undefined && context.activity.channelId !== 'msteams');
}

export interface MemberLookup {
  /** Look the member up in the channel roster (Teams: role, UPN). Null when the channel cannot tell. */
  (context: TurnContext): Promise<RosterMember | null>;
}

/** A roster entry as the channel reports it; `aadObjectId` is the Entra object id Teams has for `from.id`. */
export interface RosterMember {
  name?: string;
  upn?: string;
  role?: string;
  aadObjectId?: string;
}

/** Ask Teams for the member (TeamsInfo.getMember). Any failure → null; the caller decides what that means. */
export const teamsMemberLookup: MemberLookup = async (context) => {
  try {
    const m = await TeamsInfo.getMember(context, context.activity.from.id);
    return { name: m.name, upn: m.userPrincipalName ?? m.email, role: m.userRole, ...(m.aadObjectId ? { aadObjectId: m.aadObjectId } : {}) };
  } catch {
    return null;
  }
};

/**
 * Gate every SSPR turn: personal chats only (R1), an allow-listed tenant, an Entra identity, no guests or anonymous
 * users (R2). `member` is the cached roster entry (looked up once per conversation).
 */
export function checkAccess(
  context: TurnContext,
  allowedTenants: readonly string[],
  member: RosterMember | null,
  requireRoster: boolean,
): Access {
  if (!isPersonal(context)) return { ok: false, reason: 'not_personal' };
  const tenantId = activityTenant(context);
  const objectId = str(context.activity.from?.aadObjectId);
  if (!tenantId || !objectId) return { ok: false, reason: 'no_identity' };
  if (allowedTenants.length > 0 && !allowedTenants.includes(tenantId)) return { ok: false, reason: 'tenant_not_allowed' };
  if (requireRoster && member === null) return { ok: false, reason: 'no_identity' };
  // R2, resolved server-side: the roster's object id for this sender (from.id) must be the one the activity claims.
  const rosterId = str(member?.aadObjectId);
  if (rosterId !== undefined && rosterId.toLowerCase() !== objectId.toLowerCase()) return { ok: false, reason: 'no_identity' };
  // The activity's own fields are typed by the inbound gate; read defensively all the same (issue 16).
  const role = (str(member?.role) ?? str((context.activity.from as { role?: unknown }).role) ?? 'user').toLowerCase();
  if (role === 'guest') return { ok: false, reason: 'guest' };
  if (role === 'anonymous') return { ok: false, reason: 'anonymous' };
  const name = str(member?.name) ?? str(context.activity.from?.name) ?? '';
  return {
    ok: true,
    caller: {
      user: { tenantId, objectId },
      name,
      firstName: name.split(/\s+/)[0] ?? '',
      ...(member?.upn ? { upn: member.upn } : {}),
      role: role === 'user' ? 'user' : 'unknown',
    },
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
