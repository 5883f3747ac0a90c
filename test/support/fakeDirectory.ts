import { SsprError } from '../../domain/errors';
import { userKey, type UserRef } from '../../domain/model/user';
import type { Clock } from '../../domain/ports/clock';
import type {
  Directory,
  DirectoryCapabilities,
  DirectoryContacts,
  DirectoryLockout,
  DirectoryScanPage,
  DirectoryUser,
  SetPasswordRefusal,
  SetPasswordResult,
  UnlockResult,
} from '../../domain/ports/directory';

/** Faults a test can switch on (F12, F13, R26, R22-style outages). */
export interface DirectoryFaults {
  /** Every call waits this long first (R26). */
  delayMs?: number;
  /** setPassword/unlock apply the change, then answer 'unknown' as a timeout would (F12). */
  timeoutAfterApply?: boolean;
  /** setPassword answers 'unknown' without applying anything. */
  timeoutBeforeApply?: boolean;
  /** setPassword refuses the password (F13). */
  refuse?: SetPasswordRefusal;
  /** readPasswordChangedAt throws (read-back impossible). */
  readBackFails?: boolean;
  /** findUser/ping throw directory_unavailable. */
  unreachable?: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type StoredUser = Mutable<DirectoryUser> & {
  password: string | null;
  /** Epoch ms the password expires (readPasswordExpiry); null = never. */
  passwordExpiresAt: number | null;
  lockedAt: number | null;
  contacts: DirectoryContacts;
};

/**
 * An in-test Directory with fault injection. Records every write so tests can count directory writes (R27)
 * and prove that unlock never touches the password (R28). Not a stand-in for LDAP/Graph: those have their own tests.
 */
export class FakeDirectory implements Directory {
  readonly faults: DirectoryFaults = {};
  readonly writes: { op: 'setPassword' | 'unlock'; objectId: string }[] = [];
  findCalls = 0;
  canUnlock = true;
  private readonly users = new Map<string, StoredUser>();

  constructor(private readonly clock: Clock) {}

  add(
    user: UserRef,
    over: Partial<DirectoryUser> & { passwordExpiresAt?: number | null; lockedAt?: number | null; contacts?: DirectoryContacts } = {},
  ): DirectoryUser {
    const u: StoredUser = {
      directoryId: `dir-${user.objectId}`,
      objectId: user.objectId,
      userPrincipalName: `${user.objectId}@contoso.example`,
      displayName: `User ${user.objectId}`,
      enabled: true,
      locked: false,
      privileged: false,
      groups: [],
      passwordChangedAt: this.clock.now() - 86_400_000,
      password: 'Initial-Password-1',
      passwordExpiresAt: null,
      lockedAt: null,
      ...over,
      contacts: over.contacts ?? {
        mobilePhones: over.mobilePhone ? [over.mobilePhone] : [],
        officePhones: over.officePhone ? [over.officePhone] : [],
        emails: over.alternateEmail ? [over.alternateEmail] : [],
      },
    };
    this.users.set(userKey(user), u);
    return u;
  }

  passwordOf(user: UserRef): string | null {
    return this.users.get(userKey(user))?.password ?? null;
  }

  record(user: UserRef): DirectoryUser | undefined {
    return this.users.get(userKey(user));
  }

  capabilities(): DirectoryCapabilities {
    return {
      kind: 'memory',
      canUnlock: this.canUnlock,
      passwordMinLength: 8,
      passwordMaxLength: 256,
      requiresThreeOfFourClasses: false,
      asciiOnly: false,
    };
  }

  private async delay(): Promise<void> {
    if (this.faults.delayMs) await new Promise((r) => setTimeout(r, this.faults.delayMs));
  }

  private byDirectoryId(target: DirectoryUser): StoredUser {
    for (const u of this.users.values()) if (u.directoryId === target.directoryId) return u;
    throw new SsprError('directory_not_found', 'no such directory user');
  }

  async findUser(user: UserRef): Promise<DirectoryUser | null> {
    this.findCalls++;
    await this.delay();
    if (this.faults.unreachable) throw new SsprError('directory_unavailable', 'directory unreachable');
    const u = this.users.get(userKey(user));
    if (!u) return null;
    return this.view(u);
  }

  private view(u: StoredUser): DirectoryUser {
    const { password: _pw, passwordExpiresAt: _e, lockedAt: _l, contacts: _c, ...pub } = u;
    return { ...pub };
  }

  async findByPrincipalName(upn: string): Promise<DirectoryUser | null> {
    for (const u of this.users.values()) if (u.userPrincipalName === upn) return this.view(u);
    return null;
  }

  async setPassword(target: DirectoryUser, newPassword: string): Promise<SetPasswordResult> {
    await this.delay();
    const u = this.byDirectoryId(target);
    if (this.faults.refuse) return { ok: false, reason: this.faults.refuse };
    if (this.faults.timeoutBeforeApply) return { ok: false, reason: 'unknown' };
    this.writes.push({ op: 'setPassword', objectId: u.objectId });
    u.password = newPassword;
    u.passwordChangedAt = Math.max(this.clock.now(), (u.passwordChangedAt ?? 0) + 1);
    if (this.faults.timeoutAfterApply) return { ok: false, reason: 'unknown' };
    return { ok: true, changedAt: u.passwordChangedAt };
  }

  async unlock(target: DirectoryUser): Promise<UnlockResult> {
    await this.delay();
    if (!this.canUnlock) return { ok: false, reason: 'not_supported' };
    const u = this.byDirectoryId(target);
    this.writes.push({ op: 'unlock', objectId: u.objectId });
    u.locked = false;
    u.lockedAt = null;
    if (this.faults.timeoutAfterApply) return { ok: false, reason: 'unknown' };
    return { ok: true };
  }

  async readPasswordChangedAt(target: DirectoryUser): Promise<number | null> {
    if (this.faults.readBackFails) throw new SsprError('directory_timeout', 'read-back timed out');
    return this.byDirectoryId(target).passwordChangedAt;
  }

  async readPasswordExpiry(target: DirectoryUser): Promise<number | null> {
    return this.byDirectoryId(target).passwordExpiresAt;
  }

  async readLockout(target: DirectoryUser): Promise<DirectoryLockout> {
    const u = this.byDirectoryId(target);
    return { locked: u.locked === true, lockedAt: u.locked === true ? u.lockedAt : null };
  }

  async readContacts(target: DirectoryUser): Promise<DirectoryContacts> {
    return this.byDirectoryId(target).contacts;
  }

  /** Insertion order; the cursor is the index of the next user. */
  async scanUsers(cursor: string | null, pageSize: number): Promise<DirectoryScanPage> {
    const all = [...this.users.values()];
    const start = cursor === null ? 0 : Number(cursor);
    const page = all.slice(start, start + Math.max(1, pageSize));
    const next = start + page.length;
    return { users: page.map((u) => this.view(u)), cursor: next < all.length ? String(next) : null };
  }

  async ping(): Promise<boolean> {
    return !this.faults.unreachable;
  }
}
