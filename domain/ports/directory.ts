import type { UserRef } from '../model/user';

/** What the directory says about a user. Never includes a password or hash. */
export interface DirectoryUser {
  /** The directory's own id (Graph object id, LDAP DN). Opaque to the domain. */
  readonly directoryId: string;
  readonly objectId: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly givenName?: string;
  readonly surname?: string;
  readonly enabled: boolean;
  /** null when the directory cannot lock accounts (Entra cloud accounts). */
  readonly locked: boolean | null;
  /** Holds an admin role (Entra) or is in a protected group (AD/LDAP) (R3). */
  readonly privileged: boolean;
  /**
   * The groups the user belongs to, transitively, as object ids (Entra id, AD objectGUID, OpenLDAP entryUUID) and/or
   * DNs — never display names or cn (R32) — for the self-service scope and helpdesk checks (domain/model/groups.ts).
   */
  readonly groups: readonly string[];
  /** Epoch ms of the last password change, when the directory tells. */
  readonly passwordChangedAt: number | null;
  /** Numbers and addresses the organisation holds, offered as "not yet confirmed" methods. */
  readonly mobilePhone?: string;
  readonly officePhone?: string;
  readonly alternateEmail?: string;
}

/** What the directory lets the bot do and what it enforces itself. */
export interface DirectoryCapabilities {
  readonly kind: 'memory' | 'ldap-openldap' | 'ldap-ad' | 'graph';
  readonly canUnlock: boolean;
  readonly passwordMinLength: number;
  readonly passwordMaxLength: number;
  /** Entra: three of four character classes. */
  readonly requiresThreeOfFourClasses: boolean;
  /** Entra: ASCII only. */
  readonly asciiOnly: boolean;
}

/** F13 refusals: the password is the problem; another password inside the same grant may work. */
export type SetPasswordRefusal = 'policy' | 'history' | 'too_short' | 'too_long' | 'complexity' | 'min_age';

export type SetPasswordResult =
  | { readonly ok: true; readonly changedAt: number }
  | { readonly ok: false; readonly reason: SetPasswordRefusal }
  /** The call timed out or the connection broke: the change may or may not have happened (F12). */
  | { readonly ok: false; readonly reason: 'unknown' }
  /**
   * The directory refused the write for this account (insufficient access, e.g. a protected administrator the
   * service account may not reset): nothing changed and no other password or retry can work — helpdesk.
   */
  | { readonly ok: false; readonly reason: 'denied' };

/** Lockout as the directory tells it right now (read fresh, not from a cached DirectoryUser). */
export interface DirectoryLockout {
  /** null: the directory cannot tell (Entra smart lockout is not exposed) — neither locked nor "seen unlocked". */
  readonly locked: boolean | null;
  /** Epoch ms when the account was locked; null when not locked or the directory does not say. */
  readonly lockedAt: number | null;
}

/** Contact data the organisation holds (unconfirmed until the user proves control of it). */
export interface DirectoryContacts {
  readonly mobilePhones: readonly string[];
  readonly officePhones: readonly string[];
  /** Addresses other than the sign-in mailbox (Graph otherMails, AD otherMailbox, …). */
  readonly emails: readonly string[];
}

/** One page of a scan of the users in scope. */
export interface DirectoryScanPage {
  readonly users: readonly DirectoryUser[];
  /** Opaque; pass it back to continue. null = the scan is complete. */
  readonly cursor: string | null;
}

export type UnlockResult = { readonly ok: true } | { readonly ok: false; readonly reason: 'not_supported' | 'unknown' | 'denied' };

/**
 * The organisation's user directory (Entra via Graph, AD/OpenLDAP via LDAP, or the demo directory).
 * Lookups are by the caller's Entra object id, resolved server-side (R2) — never by a typed name.
 * Unexpected failures throw SsprError ('directory_unavailable', 'directory_denied', 'directory_throttled', …).
 */
export interface Directory {
  capabilities(): DirectoryCapabilities;
  /** The user behind a Teams identity, or null when there is none. */
  findUser(user: UserRef): Promise<DirectoryUser | null>;
  /** Find by UPN or mail (helpdesk use only: an agent names a user; never used for self-service). */
  findByPrincipalName(upn: string): Promise<DirectoryUser | null>;
  /** Replace the password as an administrator would (no old password). */
  setPassword(
    target: DirectoryUser,
    newPassword: string,
    options: { readonly forceChangeAtNextSignIn: boolean },
  ): Promise<SetPasswordResult>;
  /** Clear the lockout without touching the password (R28). */
  unlock(target: DirectoryUser): Promise<UnlockResult>;
  /** Re-read the last password change time (read-back after a timeout, R27/F12). */
  readPasswordChangedAt(target: DirectoryUser): Promise<number | null>;
  /** Epoch ms when the current password expires; null = never expires or the directory does not say. */
  readPasswordExpiry(target: DirectoryUser): Promise<number | null>;
  /** Lockout read fresh from the directory: locked, and since when (epoch ms, null when not told). */
  readLockout(target: DirectoryUser): Promise<DirectoryLockout>;
  /** Contact data the organisation holds, for pre-fill and the R31 bootstrap (unconfirmed until used). */
  readContacts(target: DirectoryUser): Promise<DirectoryContacts>;
  /**
   * Paged scan of the users in scope; a null cursor starts, a returned null cursor means done. The cursor is an
   * opaque string a caller may persist and pass back after a restart: the scan resumes after the last page given.
   */
  scanUsers(cursor: string | null, pageSize: number): Promise<DirectoryScanPage>;
  /** Can we reach the directory right now? (readiness, SSPR doctor) */
  ping(): Promise<boolean>;
}
