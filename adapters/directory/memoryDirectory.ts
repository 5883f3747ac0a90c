import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { z } from 'zod';
import { SsprError } from '../../domain/errors';
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
import type { UserRef } from '../../domain/model/user';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number }) => Promise<Buffer>;
const SCRYPT = { N: 16384, r: 8, p: 1 } as const;

/** Entra ids are GUIDs of any version (zod's uuid() insists on RFC variants). */
const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);

const demoUserSchema = z.object({
  objectId: guid,
  userPrincipalName: z.string().min(3),
  displayName: z.string().min(1),
  givenName: z.string().optional(),
  surname: z.string().optional(),
  initialPassword: z.string().min(1),
  passwordChangedAt: z.string().datetime().optional(),
  /** The last change relative to the clock when the file is loaded (so a demo never ages into the past). */
  passwordChangedDaysAgo: z.number().min(0).max(36_500).optional(),
  enabled: z.boolean().default(true),
  locked: z.boolean().default(false),
  /** When the lockout happened (only with locked: true). */
  lockedAt: z.string().datetime().optional(),
  /** The lockout relative to the clock when the file is loaded (only with locked: true). */
  lockedMinutesAgo: z.number().min(0).max(525_600).optional(),
  /** The password never expires whatever maxPasswordAgeDays says (AD's DONT_EXPIRE_PASSWORD). */
  passwordNeverExpires: z.boolean().default(false),
  privileged: z.boolean().default(false),
  mobilePhone: z.string().optional(),
  /** More mobile numbers the organisation holds (AD otherMobile). */
  otherMobiles: z.array(z.string()).default([]),
  officePhone: z.string().optional(),
  alternateEmail: z.string().optional(),
  /** More non-sign-in addresses (Graph otherMails). */
  otherEmails: z.array(z.string()).default([]),
  /** Object ids of the groups the user is a direct member of (see `groups` at the top level for nesting). */
  groups: z.array(z.string().min(1)).default([]),
})
  .refine((u) => u.passwordChangedAt === undefined || u.passwordChangedDaysAgo === undefined, { message: 'give passwordChangedAt or passwordChangedDaysAgo, not both' })
  .refine((u) => u.lockedAt === undefined || u.lockedMinutesAgo === undefined, { message: 'give lockedAt or lockedMinutesAgo, not both' });

/** A group: object id, display name (shown only; never matched, R32), and the groups it is itself a member of. */
const demoGroupSchema = z.object({ id: z.string().min(1), displayName: z.string().min(1), memberOf: z.array(z.string().min(1)).default([]) });

/** The shape of config/demo-directory.json. */
export const demoDirectorySchema = z.object({
  tenantId: guid,
  organisationName: z.string().default('Contoso'),
  lockoutThreshold: z.number().int().min(1).default(5),
  /** Passwords expire this many days after their last change (the domain's maximum password age); absent = never. */
  maxPasswordAgeDays: z.number().int().min(1).optional(),
  groups: z.array(demoGroupSchema).default([]),
  users: z.array(demoUserSchema).min(1),
});
export type DemoDirectoryData = z.input<typeof demoDirectorySchema>;

/** Faults for other components' tests (R26 slow directory, F12 timeout after apply, F13 refusal). */
export interface MemoryDirectoryFaults {
  /** Delay before every setPassword/unlock answer. */
  readonly slowMs?: number;
  /** setPassword applies the change, then answers { ok:false, reason:'unknown' } as a timed-out call would. */
  readonly timeoutAfterApply?: boolean;
  /** setPassword refuses with this reason and changes nothing. */
  readonly refuse?: SetPasswordRefusal;
  /** Every call throws SsprError('directory_unavailable'); ping() answers false. */
  readonly unavailable?: boolean;
}

export interface MemoryDirectoryOptions {
  readonly clock?: Clock;
  readonly faults?: MemoryDirectoryFaults;
  readonly capabilities?: Partial<Omit<DirectoryCapabilities, 'kind'>>;
  /** How many previous passwords are refused with 'history' (default 1: the current one). */
  readonly historySize?: number;
  /** Injectable sleep for slowMs (tests with fake time). */
  readonly sleep?: (ms: number) => Promise<void>;
}

interface StoredHash {
  readonly salt: Buffer;
  readonly hash: Buffer;
}

interface MemoryUser {
  readonly tenantId: string;
  readonly objectId: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly givenName?: string;
  readonly surname?: string;
  enabled: boolean;
  locked: boolean;
  lockedAt: number | null;
  failedSignIns: number;
  readonly passwordNeverExpires: boolean;
  readonly privileged: boolean;
  readonly groups: readonly string[];
  passwordChangedAt: number | null;
  mustChangeAtNextSignIn: boolean;
  readonly mobilePhone?: string;
  readonly otherMobiles: readonly string[];
  readonly officePhone?: string;
  readonly alternateEmail?: string;
  readonly otherEmails: readonly string[];
  passwords: StoredHash[]; // newest first; [0] is current
  /** The seeded initial password, hashed on first use (`passwordsOf`); removed once hashed. */
  seed?: () => Promise<void>;
}

const DAY_MS = 86_400_000;

function distinct(values: readonly (string | undefined)[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) {
    const t = v?.trim();
    if (!t || seen.has(t.toLowerCase())) continue;
    seen.add(t.toLowerCase());
    out.push(t);
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeCursor(after: string): string {
  return Buffer.from(JSON.stringify({ v: 1, after }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const parsed = z.object({ v: z.literal(1), after: z.string().min(1) }).parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.after;
  } catch (cause) {
    throw new SsprError('invalid_input', 'The scan cursor is not one this directory gave out', { cause });
  }
}

const systemClock: Clock = { now: () => Date.now() };

async function hashPassword(password: string): Promise<StoredHash> {
  const salt = randomBytes(16);
  return { salt, hash: await scrypt(password, salt, 32, SCRYPT) };
}

/**
 * The initial password of a seeded user is hashed when the user's passwords are first needed (sign-in, reset),
 * not while the directory loads: at start-up the demo directory's scrypt hashes cost ≈ 50 ms of CPU each and left
 * ≈ 45 MB of thread-pool malloc arenas in the idle process (issue 15: start to ready ≤ 1.5 s, idle RSS ≤ 150 MB;
 * docs/benchmark.md). Until then the password is only in this closure, as it was in the file it came from.
 */
function seedOnFirstUse(user: MemoryUser, initialPassword: string): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () =>
    (running ??= hashPassword(initialPassword).then((h) => {
      user.passwords.push(h);
      delete user.seed;
    }));
}

async function matches(password: string, stored: StoredHash): Promise<boolean> {
  const h = await scrypt(password, stored.salt, 32, SCRYPT);
  return timingSafeEqual(h, stored.hash);
}

/**
 * The embedded demo directory (development and tests): users from config/demo-directory.json, passwords kept as
 * scrypt hashes only (a seeded initial password is hashed on first use), a lockout model (N wrong `verifyPassword` calls lock the account) and fault injection.
 */
export class MemoryDirectory implements Directory {
  private readonly users = new Map<string, MemoryUser>();
  private readonly clock: Clock;
  private faults: MemoryDirectoryFaults;
  private readonly caps: DirectoryCapabilities;
  private readonly historySize: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly writeCounts = new Map<string, number>();
  private lockoutThreshold = 5;
  private maxPasswordAgeMs: number | null = null;
  private organisation = 'Contoso';

  private constructor(options: MemoryDirectoryOptions) {
    this.clock = options.clock ?? systemClock;
    this.faults = options.faults ?? {};
    this.historySize = Math.max(1, options.historySize ?? 1);
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.caps = {
      kind: 'memory',
      canUnlock: true,
      passwordMinLength: 8,
      passwordMaxLength: 256,
      requiresThreeOfFourClasses: false,
      asciiOnly: false,
      ...options.capabilities,
    };
  }

  /** Builds the directory from parsed data; initial passwords are hashed on first use (`seedOnFirstUse`). */
  static async create(data: DemoDirectoryData, options: MemoryDirectoryOptions = {}): Promise<MemoryDirectory> {
    const parsed = demoDirectorySchema.safeParse(data);
    if (!parsed.success) throw new SsprError('config_invalid', 'The demo directory file is not valid', { cause: parsed.error });
    const dir = new MemoryDirectory(options);
    dir.lockoutThreshold = parsed.data.lockoutThreshold;
    dir.organisation = parsed.data.organisationName;
    dir.maxPasswordAgeMs = parsed.data.maxPasswordAgeDays === undefined ? null : parsed.data.maxPasswordAgeDays * DAY_MS;
    // Relative dates are taken from the clock at load, so the quick start always has a password about to expire.
    const loadedAt = dir.clock.now();
    const changedAt = (u: (typeof parsed.data.users)[number]): number | null =>
      u.passwordChangedDaysAgo !== undefined ? loadedAt - Math.round(u.passwordChangedDaysAgo * DAY_MS) : u.passwordChangedAt ? Date.parse(u.passwordChangedAt) : null;
    const lockedAt = (u: (typeof parsed.data.users)[number]): number | null =>
      !u.locked ? null : u.lockedMinutesAgo !== undefined ? loadedAt - Math.round(u.lockedMinutesAgo * 60_000) : u.lockedAt !== undefined ? Date.parse(u.lockedAt) : null;
    for (const u of parsed.data.users) {
      const user: MemoryUser = {
        tenantId: parsed.data.tenantId.toLowerCase(),
        objectId: u.objectId,
        userPrincipalName: u.userPrincipalName,
        displayName: u.displayName,
        ...(u.givenName !== undefined ? { givenName: u.givenName } : {}),
        ...(u.surname !== undefined ? { surname: u.surname } : {}),
        enabled: u.enabled,
        locked: u.locked,
        lockedAt: lockedAt(u),
        failedSignIns: u.locked ? parsed.data.lockoutThreshold : 0,
        passwordNeverExpires: u.passwordNeverExpires,
        privileged: u.privileged,
        groups: transitiveGroups(u.groups, parsed.data.groups),
        passwordChangedAt: changedAt(u),
        mustChangeAtNextSignIn: false,
        ...(u.mobilePhone !== undefined ? { mobilePhone: u.mobilePhone } : {}),
        otherMobiles: u.otherMobiles,
        ...(u.officePhone !== undefined ? { officePhone: u.officePhone } : {}),
        ...(u.alternateEmail !== undefined ? { alternateEmail: u.alternateEmail } : {}),
        otherEmails: u.otherEmails,
        passwords: [],
      };
      user.seed = seedOnFirstUse(user, u.initialPassword);
      dir.users.set(u.objectId.toLowerCase(), user);
    }
    return dir;
  }

  /** Loads a demo directory JSON file (config/demo-directory.json by default in bot/config.ts). */
  static async load(path: string, options: MemoryDirectoryOptions = {}): Promise<MemoryDirectory> {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, 'utf8')) as unknown;
    } catch (cause) {
      throw new SsprError('config_invalid', 'The demo directory file could not be read', { cause });
    }
    return MemoryDirectory.create(raw as DemoDirectoryData, options);
  }

  /** The demo users as the development chat page lists them (never a password). */
  listUsers(): readonly { tenantId: string; objectId: string; name: string; upn: string; note?: string }[] {
    return [...this.users.values()].map((u) => {
      const notes = [u.privileged ? 'admin' : '', u.locked ? 'locked' : '', u.enabled ? '' : 'disabled'].filter(Boolean);
      return {
        tenantId: u.tenantId,
        objectId: u.objectId,
        name: u.displayName,
        upn: u.userPrincipalName,
        ...(notes.length ? { note: notes.join(', ') } : {}),
      };
    });
  }

  /** The demo organisation's name (for the password policy's organisation term). */
  organisationName(): string {
    return this.organisation;
  }

  /** Replace the active faults (tests). */
  setFaults(faults: MemoryDirectoryFaults): void {
    this.faults = faults;
  }

  /** How many effective password writes a user has had (R27: at most one per grant). */
  passwordWrites(objectId: string): number {
    return this.writeCounts.get(objectId.toLowerCase()) ?? 0;
  }

  /** Whether the account must change its password at next sign-in. */
  mustChangeAtNextSignIn(objectId: string): boolean {
    return this.users.get(objectId.toLowerCase())?.mustChangeAtNextSignIn ?? false;
  }

  /**
   * A sign-in attempt: true when the account is enabled, not locked and the password matches. A wrong password
   * counts toward the lockout threshold; reaching it locks the account. A correct one resets the count.
   */
  async verifyPassword(objectId: string, password: string): Promise<boolean> {
    const u = this.users.get(objectId.toLowerCase());
    if (!u) return false;
    const current = (await this.passwordsOf(u))[0];
    const ok = current !== undefined && (await matches(password, current));
    if (u.locked || !u.enabled) return false;
    if (!ok) {
      u.failedSignIns += 1;
      if (u.failedSignIns >= this.lockoutThreshold && !u.locked) {
        u.locked = true;
        u.lockedAt = this.clock.now();
      }
      return false;
    }
    u.failedSignIns = 0;
    return true;
  }

  private async passwordsOf(u: MemoryUser): Promise<StoredHash[]> {
    if (u.seed) await u.seed();
    return u.passwords;
  }

  capabilities(): DirectoryCapabilities {
    return this.caps;
  }

  async findUser(user: UserRef): Promise<DirectoryUser | null> {
    this.assertAvailable();
    const u = this.users.get(user.objectId.toLowerCase());
    if (!u || u.tenantId !== user.tenantId.toLowerCase()) return null;
    return this.view(u);
  }

  async findByPrincipalName(upn: string): Promise<DirectoryUser | null> {
    this.assertAvailable();
    const needle = upn.trim().toLowerCase();
    for (const u of this.users.values()) {
      if (u.userPrincipalName.toLowerCase() === needle || u.alternateEmail?.toLowerCase() === needle) return this.view(u);
    }
    return null;
  }

  async setPassword(target: DirectoryUser, newPassword: string, options: { readonly forceChangeAtNextSignIn: boolean }): Promise<SetPasswordResult> {
    if (this.faults.slowMs) await this.sleep(this.faults.slowMs);
    this.assertAvailable();
    const u = this.users.get(target.objectId.toLowerCase());
    if (!u) throw new SsprError('directory_not_found', 'The user is not in the directory');
    if (this.faults.refuse) return { ok: false, reason: this.faults.refuse };
    const length = [...newPassword].length;
    if (length < this.caps.passwordMinLength) return { ok: false, reason: 'too_short' };
    if (length > this.caps.passwordMaxLength) return { ok: false, reason: 'too_long' };
    for (const old of (await this.passwordsOf(u)).slice(0, this.historySize)) {
      if (await matches(newPassword, old)) return { ok: false, reason: 'history' };
    }
    u.passwords = [await hashPassword(newPassword), ...u.passwords].slice(0, Math.max(this.historySize, 1) + 1);
    u.passwordChangedAt = this.clock.now();
    u.mustChangeAtNextSignIn = options.forceChangeAtNextSignIn;
    this.writeCounts.set(u.objectId.toLowerCase(), this.passwordWrites(u.objectId) + 1);
    if (this.faults.timeoutAfterApply) return { ok: false, reason: 'unknown' };
    return { ok: true, changedAt: u.passwordChangedAt };
  }

  async unlock(target: DirectoryUser): Promise<UnlockResult> {
    if (this.faults.slowMs) await this.sleep(this.faults.slowMs);
    this.assertAvailable();
    const u = this.users.get(target.objectId.toLowerCase());
    if (!u) throw new SsprError('directory_not_found', 'The user is not in the directory');
    // R28: only the lockout state changes, never the password.
    u.locked = false;
    u.lockedAt = null;
    u.failedSignIns = 0;
    return { ok: true };
  }

  async readPasswordChangedAt(target: DirectoryUser): Promise<number | null> {
    this.assertAvailable();
    return this.users.get(target.objectId.toLowerCase())?.passwordChangedAt ?? null;
  }

  async readPasswordExpiry(target: DirectoryUser): Promise<number | null> {
    this.assertAvailable();
    const u = this.users.get(target.objectId.toLowerCase());
    if (!u || u.passwordNeverExpires || this.maxPasswordAgeMs === null) return null;
    // Must change at next sign-in: the password is already expired (AD reports the same after pwdLastSet 0).
    if (u.mustChangeAtNextSignIn) return u.passwordChangedAt ?? this.clock.now();
    return u.passwordChangedAt === null ? null : u.passwordChangedAt + this.maxPasswordAgeMs;
  }

  async readLockout(target: DirectoryUser): Promise<DirectoryLockout> {
    this.assertAvailable();
    const u = this.users.get(target.objectId.toLowerCase());
    if (!u) throw new SsprError('directory_not_found', 'The user is not in the directory');
    return { locked: u.locked, lockedAt: u.locked ? u.lockedAt : null };
  }

  async readContacts(target: DirectoryUser): Promise<DirectoryContacts> {
    this.assertAvailable();
    const u = this.users.get(target.objectId.toLowerCase());
    if (!u) throw new SsprError('directory_not_found', 'The user is not in the directory');
    return {
      mobilePhones: distinct([u.mobilePhone, ...u.otherMobiles]),
      officePhones: distinct([u.officePhone]),
      emails: distinct([u.alternateEmail, ...u.otherEmails]),
    };
  }

  /** Keyset paging in object-id order: the cursor names the last id given, so a restart resumes exactly after it. */
  async scanUsers(cursor: string | null, pageSize: number): Promise<DirectoryScanPage> {
    this.assertAvailable();
    const size = Math.max(1, Math.min(1000, Math.floor(pageSize)));
    const after = cursor === null ? null : decodeCursor(cursor);
    const sorted = [...this.users.values()].sort((a, b) => compare(a.objectId.toLowerCase(), b.objectId.toLowerCase()));
    const rest = after === null ? sorted : sorted.filter((u) => u.objectId.toLowerCase() > after);
    const page = rest.slice(0, size);
    const last = page[page.length - 1];
    return {
      users: page.map((u) => this.view(u)),
      cursor: rest.length > size && last ? encodeCursor(last.objectId.toLowerCase()) : null,
    };
  }

  async ping(): Promise<boolean> {
    return !this.faults.unavailable;
  }

  private assertAvailable(): void {
    if (this.faults.unavailable) throw new SsprError('directory_unavailable', 'The demo directory is unavailable (fault injected)');
  }

  private view(u: MemoryUser): DirectoryUser {
    return {
      directoryId: u.objectId,
      objectId: u.objectId,
      userPrincipalName: u.userPrincipalName,
      displayName: u.displayName,
      ...(u.givenName !== undefined ? { givenName: u.givenName } : {}),
      ...(u.surname !== undefined ? { surname: u.surname } : {}),
      enabled: u.enabled,
      locked: u.locked,
      privileged: u.privileged,
      groups: [...u.groups],
      passwordChangedAt: u.passwordChangedAt,
      ...(u.mobilePhone !== undefined ? { mobilePhone: u.mobilePhone } : {}),
      ...(u.officePhone !== undefined ? { officePhone: u.officePhone } : {}),
      ...(u.alternateEmail !== undefined ? { alternateEmail: u.alternateEmail } : {}),
    };
  }
}

/** Every group id a member of `direct` belongs to, following nested groups (cycles allowed, each visited once). */
function transitiveGroups(direct: readonly string[], groups: readonly { id: string; memberOf: readonly string[] }[]): string[] {
  const parents = new Map(groups.map((g) => [g.id.toLowerCase(), g.memberOf.map((m) => m.toLowerCase())]));
  const seen = new Set<string>();
  const queue = direct.map((g) => g.toLowerCase());
  while (queue.length) {
    const g = queue.shift()!;
    if (seen.has(g)) continue;
    seen.add(g);
    queue.push(...(parents.get(g) ?? []));
  }
  return [...seen];
}
