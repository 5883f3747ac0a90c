import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Attribute, BerWriter, Change, Client, Control, ResultCodeError, ServerSideSortingRequestControl, escapeFilter } from 'ldapts';
import { z } from 'zod';
import { inAnyGroup } from '../../domain/model/groups';
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

export type LdapDialect = 'openldap' | 'ad';

export interface LdapDirectoryOptions {
  /** ldaps://host:636, or ldap://host:389 with startTls, or plain ldap:// only with allowInsecure (R29). */
  readonly url: string;
  readonly dialect: LdapDialect;
  /** The dedicated least-privilege service account (never the root DN / an Administrator account). */
  readonly bindDn: string;
  readonly bindPassword: string;
  /** Where users live. */
  readonly baseDn: string;
  /** Where groups live (default: the dc= part of baseDn). */
  readonly groupBaseDn?: string;
  /** Attribute holding the Entra object id (default employeeNumber). */
  readonly userIdAttribute?: string;
  readonly startTls?: boolean;
  /** PEM file of the CA that signs the server certificate. */
  readonly caFile?: string;
  /** PEM text (alternative to caFile, e.g. tests). */
  readonly ca?: string | Buffer;
  /** Development only: allow plain ldap:// without TLS (R29). */
  readonly allowInsecure?: boolean;
  /** Group DNs or object ids (objectGUID / entryUUID) whose members are privileged (R3); transitive; never cn (R32). */
  readonly privilegedGroups?: readonly string[];
  /** OpenLDAP: an attribute/value that marks an account disabled (besides the admin lock "000001010000Z"). */
  readonly disabledMarker?: { readonly attribute: string; readonly value: string };
  /** Per-operation timeout (default 5000 ms); a modify that times out answers { ok:false, reason:'unknown' } (F12). */
  readonly timeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** Password length bounds the directory enforces (capabilities; defaults 8–256 OpenLDAP, 8–256 AD). */
  readonly passwordMinLength?: number;
  readonly passwordMaxLength?: number;
  readonly clock?: Clock;
  /**
   * OpenLDAP: the ppolicy entry that applies when a user has no pwdPolicySubentry (the DN given to
   * `ppolicy_default`), to read pwdMaxAge for password expiry. AD reads its policy from the domain and PSOs.
   */
  readonly passwordPolicyDn?: string;
  /**
   * The unique attribute a scan pages by (keyset, server-side sorted). Default AD sAMAccountName, OpenLDAP
   * entryUUID (OpenLDAP needs the sssvlv overlay for the server-side sort control).
   */
  readonly scanKeyAttribute?: string;
  /**
   * The host name the server certificate must carry when LDAP_URL names the server by address (checked against
   * the certificate; default: the URL's host).
   */
  readonly tlsServerName?: string;
}

/** ppolicy's "locked by an administrator, permanently" value. */
const ADMIN_LOCK = '000001010000Z';
/** AD userAccountControl ACCOUNTDISABLE. */
const UAC_DISABLED = 0x2;
/** AD LDAP_MATCHING_RULE_IN_CHAIN (transitive membership). */
const IN_CHAIN = '1.2.840.113556.1.4.1941';
const FILETIME_EPOCH_OFFSET_MS = 11_644_473_600_000;
/** AD userAccountControl DONT_EXPIRE_PASSWORD. */
const UAC_DONT_EXPIRE = 0x10000;
/** AD msDS-User-Account-Control-Computed UF_LOCKOUT (lockout still in force, duration considered). */
const UAC_COMPUTED_LOCKOUT = 0x10;
/** AD "never" for msDS-UserPasswordExpiryTimeComputed and maxPwdAge. */
const FILETIME_NEVER = 0x7fffffffffffffffn;

/** OpenLDAP "relax rules" control: lets an account with `manage` access delete the operational pwdFailureTime. */
const RELAX_RULES_OID = '1.3.6.1.4.1.4203.666.5.12';
const ROOT_NAMES = /^(admin|administrator|administrateur|administrador|manager|root|directory manager|krbtgt)$/i;

/**
 * R29: the bind identity must not be a root/administrator account in any of the forms a directory accepts:
 * a DN (`CN=Administrator,…`, `uid=admin,…`), a UPN (`Administrator@corp.example`) or down-level
 * (`CORP\Administrator`).
 */
export function looksLikeAdministrator(bindIdentity: string): boolean {
  const id = bindIdentity.trim();
  const rdn = /^(cn|uid)\s*=\s*((?:\\.|[^,])+)/i.exec(id);
  if (rdn?.[2]) return ROOT_NAMES.test(rdn[2].replace(/\\(.)/g, '$1').trim());
  const downLevel = /^[^\\@]+\\([^\\@]+)$/.exec(id);
  if (downLevel?.[1]) return ROOT_NAMES.test(downLevel[1].trim());
  const upn = /^([^@]+)@[^@]+$/.exec(id);
  if (upn?.[1]) return ROOT_NAMES.test(upn[1].trim());
  return ROOT_NAMES.test(id);
}

/** AD groups that are protected (AdminSDHolder) by well-known SID: members are privileged whatever the config says. */
const PROTECTED_BUILTIN_SIDS = new Set(['S-1-5-32-544', 'S-1-5-32-548', 'S-1-5-32-549', 'S-1-5-32-550', 'S-1-5-32-551', 'S-1-5-32-552']);
/** Domain-relative RIDs of protected groups: Domain Admins, Domain Controllers, Schema/Enterprise Admins, RODCs, Key Admins, Enterprise Key Admins. */
const PROTECTED_DOMAIN_RIDS = new Set([512, 516, 518, 519, 521, 526, 527]);
/** Administrator (500) and krbtgt (502) accounts. */
const PROTECTED_USER_RIDS = new Set([500, 502]);
/** Attribute id of unicodePwd in replPropertyMetaData (fixed in the AD base schema). */
const ATTID_UNICODE_PWD = 0x9005a;

/** Generalized time (YYYYMMDDHHMMSS[.f]Z) → epoch ms, or null. */
export function parseGeneralizedTime(v: string | undefined): number | null {
  if (!v) return null;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:[.,](\d+))?Z$/.exec(v.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, f] = m;
  const ms = f ? Math.round(Number(`0.${f}`) * 1000) : 0;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0), ms);
}

/** AD FILETIME (100 ns since 1601) → epoch ms; 0 or absent → null. */
export function parseFileTime(v: string | undefined): number | null {
  if (!v || !/^\d+$/.test(v) || v === '0') return null;
  return Number(BigInt(v) / 10_000n) - FILETIME_EPOCH_OFFSET_MS;
}

function text(x: unknown): string {
  if (Buffer.isBuffer(x)) return x.toString('utf8');
  return typeof x === 'string' ? x : typeof x === 'number' || typeof x === 'boolean' ? String(x) : '';
}

function first(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length > 0 ? text(v[0]) : undefined;
  if (v === undefined || v === null) return undefined;
  return text(v);
}

function all(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? (v as unknown[]) : [v]).map(text);
}

function isTimeout(e: unknown): boolean {
  return e instanceof Error && /timeout|timed out/i.test(`${e.name} ${e.message}`);
}

/**
 * OpenLDAP (ppolicy) or Active Directory over LDAP, with a service account. Each operation opens its own TLS
 * connection, binds as the service account and unbinds; the bot never binds as the user (R28) and never as root.
 */
export class LdapDirectory implements Directory {
  private readonly idAttribute: string;
  private readonly tlsOptions: ConnectionOptions | undefined;
  private readonly host: string;
  private readonly clock: Clock;
  private caps: DirectoryCapabilities;
  /** When the AD domain's password policy was last read into caps (R14). */
  private policyReadAt = 0;
  private adPolicy: { minLength: number; complexity: boolean; history: number; minAgeMs: number } | null = null;
  /** OpenLDAP: pwdMinLength of the default ppolicy entry (passwordPolicyDn), when one is configured (R14, F13). */
  private ppolicyMinLength: number | null = null;

  constructor(private readonly options: LdapDirectoryOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch (cause) {
      throw new SsprError('config_invalid', 'LDAP_URL is not a valid URL', { cause });
    }
    if (parsed.protocol !== 'ldap:' && parsed.protocol !== 'ldaps:') throw new SsprError('config_invalid', 'LDAP_URL must start with ldap:// or ldaps://');
    this.host = parsed.hostname;
    const encrypted = parsed.protocol === 'ldaps:' || options.startTls === true;
    if (!encrypted && options.allowInsecure !== true) {
      throw new SsprError('config_invalid', 'Plain LDAP is refused: use ldaps:// or StartTLS, or set LDAP_ALLOW_INSECURE for development (R29)');
    }
    if (!encrypted && options.dialect === 'ad') {
      throw new SsprError('config_invalid', 'Active Directory password resets need an encrypted connection (ldaps:// or StartTLS)');
    }
    if (looksLikeAdministrator(options.bindDn)) {
      throw new SsprError('config_invalid', 'LDAP_BIND_DN looks like a root/administrator account; use a dedicated least-privilege service account (R29)');
    }
    const ca = options.ca ?? (options.caFile ? readCa(options.caFile) : undefined);
    this.tlsOptions = encrypted ? { rejectUnauthorized: true, ...(ca !== undefined ? { ca: [ca] } : {}), servername: options.tlsServerName ?? this.host } : undefined;
    this.idAttribute = options.userIdAttribute ?? 'employeeNumber';
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(this.idAttribute)) throw new SsprError('config_invalid', 'LDAP_USER_ID_ATTRIBUTE is not an attribute name');
    this.clock = options.clock ?? { now: () => Date.now() };
    this.caps = {
      kind: options.dialect === 'ad' ? 'ldap-ad' : 'ldap-openldap',
      canUnlock: true,
      passwordMinLength: options.passwordMinLength ?? 8,
      passwordMaxLength: options.passwordMaxLength ?? (options.dialect === 'ad' ? 256 : 256),
      requiresThreeOfFourClasses: false,
      asciiOnly: false,
    };
  }

  capabilities(): DirectoryCapabilities {
    return this.caps;
  }

  /**
   * The Entra object id is matched in the forms directories hold it: the bare GUID (employeeNumber,
   * extensionAttributeN written by a sync rule; case-insensitive), in braces, and Entra Connect's
   * `User_<guid>` form of msDS-ExternalDirectoryObjectId. Anything but a GUID is never looked up.
   */
  async findUser(user: UserRef): Promise<DirectoryUser | null> {
    const id = user.objectId.trim();
    if (!GUID.test(id)) return null;
    const a = this.idAttribute;
    return this.findOne(escapeFilter`(|(${a}=${id})(${a}={${id}})(${a}=User_${id}))`);
  }

  async findByPrincipalName(upn: string): Promise<DirectoryUser | null> {
    const f = this.options.dialect === 'ad' ? escapeFilter`(|(userPrincipalName=${upn})(mail=${upn}))` : escapeFilter`(|(mail=${upn})(uid=${upn}))`;
    return this.findOne(f);
  }

  async setPassword(target: DirectoryUser, newPassword: string, options: { readonly forceChangeAtNextSignIn: boolean }): Promise<SetPasswordResult> {
    const changes: Change[] = [];
    if (this.options.dialect === 'ad') {
      const quoted = Buffer.from(`"${newPassword}"`, 'utf16le');
      changes.push(new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [quoted] }) }));
      if (options.forceChangeAtNextSignIn) changes.push(replace('pwdLastSet', '0'));
    } else {
      // ppolicy_hash_cleartext hashes it on the server; ppolicy checks quality and history as for any change.
      changes.push(replace('userPassword', newPassword));
      if (options.forceChangeAtNextSignIn) changes.push(replace('pwdReset', 'TRUE'));
    }
    let sent = false;
    try {
      await this.withClient(async (c) => {
        sent = true;
        // AD: an administrator reset skips the password history unless LDAP_SERVER_POLICY_HINTS asks for it.
        await c.modify(target.directoryId, changes, this.options.dialect === 'ad' ? [new PolicyHintsControl()] : []);
      });
    } catch (e) {
      // Insufficient access (e.g. a protected account outside the service account's delegation): nothing changed.
      if (e instanceof ResultCodeError && e.code === 50) return { ok: false, reason: 'denied' };
      const refusal = this.mapRefusal(e, newPassword);
      if (refusal) return { ok: false, reason: refusal };
      // F12: the request may have been applied; the caller reads back readPasswordChangedAt before any retry.
      if (sent && !(e instanceof ResultCodeError)) return { ok: false, reason: 'unknown' };
      throw this.wrap(e, 'The directory refused the password change');
    }
    const changedAt = await this.readPasswordChangedAt(target).catch(() => null);
    return { ok: true, changedAt: changedAt ?? this.clock.now() };
  }

  async unlock(target: DirectoryUser): Promise<UnlockResult> {
    let sent = false;
    try {
      await this.withClient(async (c) => {
        if (this.options.dialect === 'ad') {
          sent = true;
          await c.modify(target.directoryId, [replace('lockoutTime', '0')]);
          return;
        }
        const entry = await this.readEntry(c, target.directoryId, ['pwdAccountLockedTime', 'pwdFailureTime']);
        const lockedTime = first(entry?.['pwdAccountLockedTime']);
        if (lockedTime === ADMIN_LOCK) throw new AdminLockError();
        // R28: only the lockout attributes; the password is never touched and we never bind as the user.
        const changes: Change[] = [];
        if (lockedTime !== undefined) changes.push(remove('pwdAccountLockedTime'));
        if (all(entry?.['pwdFailureTime']).length > 0) changes.push(remove('pwdFailureTime'));
        if (changes.length === 0) return;
        sent = true;
        await c.modify(target.directoryId, changes, new Control(RELAX_RULES_OID, { critical: true }));
      });
      return { ok: true };
    } catch (e) {
      if (e instanceof AdminLockError) return { ok: false, reason: 'not_supported' };
      if (e instanceof ResultCodeError && e.code === 50) return { ok: false, reason: 'denied' };
      if (sent && !(e instanceof ResultCodeError)) return { ok: false, reason: 'unknown' };
      throw this.wrap(e, 'The directory refused the unlock');
    }
  }

  /**
   * AD: the later of pwdLastSet and the time the DC wrote unicodePwd (replication metadata). A reset with
   * "must change at next sign-in" sets pwdLastSet to 0, so pwdLastSet alone cannot show it was applied (F12).
   */
  async readPasswordChangedAt(target: DirectoryUser): Promise<number | null> {
    const ad = this.options.dialect === 'ad';
    const attrs = ad ? ['pwdLastSet', 'replPropertyMetaData'] : ['pwdChangedTime'];
    try {
      return await this.withClient(async (c) => {
        const entry = await this.readEntry(c, target.directoryId, attrs, ad ? ['replPropertyMetaData'] : []);
        if (!entry) throw new SsprError('directory_not_found', 'The user is not in the directory');
        return ad ? adPasswordChangedAt(entry) : parseGeneralizedTime(first(entry['pwdChangedTime']));
      });
    } catch (e) {
      throw this.wrap(e, 'The directory could not be read');
    }
  }

  async readPasswordExpiry(target: DirectoryUser): Promise<number | null> {
    try {
      return await this.withClient(async (c) => (this.options.dialect === 'ad' ? this.adExpiry(c, target.directoryId) : this.ppolicyExpiry(c, target.directoryId)));
    } catch (e) {
      throw this.wrap(e, 'The directory could not be read');
    }
  }

  async readLockout(target: DirectoryUser): Promise<DirectoryLockout> {
    try {
      return await this.withClient(async (c) => {
        if (this.options.dialect === 'ad') {
          const e = await this.readEntry(c, target.directoryId, ['lockoutTime', 'msDS-User-Account-Control-Computed']);
          if (!e) throw new SsprError('directory_not_found', 'The user is not in the directory');
          const lockedAt = parseFileTime(first(e['lockoutTime']));
          const computed = first(e['msDS-User-Account-Control-Computed']);
          // The computed flag knows the lockout duration; lockoutTime alone stays set until the next sign-in.
          const locked = computed !== undefined ? (Number(computed) & UAC_COMPUTED_LOCKOUT) !== 0 : lockedAt !== null;
          return { locked, lockedAt: locked ? lockedAt : null };
        }
        const e = await this.readEntry(c, target.directoryId, ['pwdAccountLockedTime']);
        if (!e) throw new SsprError('directory_not_found', 'The user is not in the directory');
        const v = first(e['pwdAccountLockedTime']);
        // The administrator lock is a disabled account, not a lockout the bot may clear.
        if (v === undefined || v === ADMIN_LOCK) return { locked: false, lockedAt: null };
        return { locked: true, lockedAt: parseGeneralizedTime(v) };
      });
    } catch (e) {
      throw this.wrap(e, 'The directory could not be read');
    }
  }

  async readContacts(target: DirectoryUser): Promise<DirectoryContacts> {
    const ad = this.options.dialect === 'ad';
    const attributes = ad ? ['mobile', 'otherMobile', 'telephoneNumber', 'otherTelephone', 'otherMailbox'] : ['mobile', 'telephoneNumber'];
    try {
      return await this.withClient(async (c) => {
        const e = await this.readEntry(c, target.directoryId, attributes);
        if (!e) throw new SsprError('directory_not_found', 'The user is not in the directory');
        return {
          mobilePhones: distinct([...all(e['mobile']), ...(ad ? all(e['otherMobile']) : [])]),
          officePhones: distinct([...all(e['telephoneNumber']), ...(ad ? all(e['otherTelephone']) : [])]),
          emails: distinct(ad ? all(e['otherMailbox']) : []),
        };
      });
    } catch (e) {
      throw this.wrap(e, 'The directory could not be read');
    }
  }

  /**
   * Keyset paging: entries sorted by the scan key on the server (sort control), `key >= last` and not the last
   * one itself, one page per connection. The cursor holds only the last key, so it survives a restart, and memory
   * holds one page.
   */
  async scanUsers(cursor: string | null, pageSize: number): Promise<DirectoryScanPage> {
    const size = Math.max(1, Math.min(1000, Math.floor(pageSize)));
    const key = this.scanKey;
    const after = cursor === null ? null : decodeCursor(cursor);
    const range = after === null ? '' : `(${key}>=${escapeValue(after)})(!(${key}=${escapeValue(after)}))`;
    const filter = `(&${this.userClassFilter}(${key}=*)${range})`;
    try {
      return await this.withClient(async (c) => {
        const sort = new ServerSideSortingRequestControl({ critical: true, value: { attributeType: key } });
        // Phase 1: the next `size` keys only (a DC that materialises the whole paged result set — Samba does —
        // then holds one attribute per entry, not every attribute of every remaining user).
        let keys: (Record<string, unknown> & { dn: string })[] = [];
        for await (const page of c.searchPaginated(this.options.baseDn, { scope: 'sub', filter, attributes: [key], paged: { pageSize: size } }, sort)) {
          keys = page.searchEntries;
          break; // one page per call; the connection is closed, which abandons the rest
        }
        const keyPage = keys.slice(0, size);
        // Phase 2: the full entries of this page, by DN.
        const pageEntries: (Record<string, unknown> & { dn: string })[] = [];
        for (const k of keyPage) {
          const e = await this.readEntry(c, k.dn, [...this.userAttributes, key], BINARY_ATTRIBUTES);
          if (e) pageEntries.push({ ...e, dn: k.dn });
        }
        const users: DirectoryUser[] = [];
        if (this.options.dialect === 'ad') {
          const byUser = await this.transitiveGroupsOfPage(c, pageEntries.map((e) => e.dn));
          for (const e of pageEntries) users.push(this.toUser(e, byUser.get(e.dn.toLowerCase()) ?? []));
        } else {
          const byMember = await this.openLdapGroupsOf(c, pageEntries.map((e) => e.dn));
          for (const e of pageEntries) {
            const groups = new Map<string, GroupRef>();
            for (const m of all(e['memberOf'])) groups.set(m.toLowerCase(), { dn: m, sid: null, id: null });
            for (const g of byMember.get(e.dn.toLowerCase()) ?? []) groups.set(g.dn.toLowerCase(), g);
            users.push(this.toUser(e, [...groups.values()]));
          }
        }
        const last = keyPage[keyPage.length - 1];
        const lastKey = last ? first(last[key]) : undefined;
        // A full page may be the last one: the next call then answers an empty page and a null cursor. (Asking for
        // size + 1 to know would exceed a server's size limit, e.g. slapd's default 500, at the largest page size.)
        return { users, cursor: keyPage.length === size && lastKey !== undefined ? encodeCursor(lastKey) : null };
      });
    } catch (e) {
      throw this.wrap(e, 'The directory could not be scanned');
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.withClient(async () => undefined);
      return true;
    } catch {
      return false;
    }
  }

  private get userClassFilter(): string {
    return this.options.dialect === 'ad' ? '(objectCategory=person)(objectClass=user)' : '(objectClass=inetOrgPerson)';
  }

  private get userAttributes(): string[] {
    return this.options.dialect === 'ad'
      ? ['displayName', 'givenName', 'sn', 'userPrincipalName', 'mail', 'mobile', 'telephoneNumber', 'otherMailbox', 'userAccountControl', 'lockoutTime', 'pwdLastSet', 'replPropertyMetaData', 'adminCount', 'objectSid', 'memberOf', this.idAttribute]
      : ['uid', 'cn', 'displayName', 'givenName', 'sn', 'mail', 'mobile', 'telephoneNumber', 'memberOf', 'pwdAccountLockedTime', 'pwdChangedTime', this.idAttribute, ...(this.options.disabledMarker ? [this.options.disabledMarker.attribute] : [])];
  }

  private get scanKey(): string {
    return this.options.scanKeyAttribute ?? (this.options.dialect === 'ad' ? 'sAMAccountName' : 'entryUUID');
  }

  /** AD: the DC's own computed expiry (fine-grained policies included); else pwdLastSet + the domain's maxPwdAge. */
  private async adExpiry(c: Client, dn: string): Promise<number | null> {
    const e = await this.readEntry(c, dn, ['msDS-UserPasswordExpiryTimeComputed', 'pwdLastSet', 'userAccountControl', 'msDS-ResultantPSO']);
    if (!e) throw new SsprError('directory_not_found', 'The user is not in the directory');
    if ((Number(first(e['userAccountControl']) ?? '0') & UAC_DONT_EXPIRE) !== 0) return null;
    const pwdLastSet = first(e['pwdLastSet']);
    // pwdLastSet 0: must change at next sign-in, i.e. expired now.
    if (pwdLastSet === '0') return this.clock.now();
    const computed = first(e['msDS-UserPasswordExpiryTimeComputed']);
    if (computed !== undefined && /^\d+$/.test(computed)) {
      if (BigInt(computed) >= FILETIME_NEVER) return null;
      return computed === '0' ? this.clock.now() : parseFileTime(computed);
    }
    const changed = parseFileTime(pwdLastSet);
    if (changed === null) return null;
    const pso = first(e['msDS-ResultantPSO']);
    const maxAge = pso
      ? first((await this.readEntry(c, pso, ['msDS-MaximumPasswordAge']))?.['msDS-MaximumPasswordAge'])
      : first((await this.readEntry(c, this.domainDn, ['maxPwdAge']))?.['maxPwdAge']);
    const ageMs = intervalMs(maxAge);
    return ageMs === null ? null : changed + ageMs;
  }

  /** OpenLDAP ppolicy: pwdChangedTime + pwdMaxAge of the user's policy (pwdPolicySubentry or the configured default). */
  private async ppolicyExpiry(c: Client, dn: string): Promise<number | null> {
    const e = await this.readEntry(c, dn, ['pwdChangedTime', 'pwdPolicySubentry', 'pwdReset']);
    if (!e) throw new SsprError('directory_not_found', 'The user is not in the directory');
    if (first(e['pwdReset'])?.toUpperCase() === 'TRUE') return this.clock.now();
    const changed = parseGeneralizedTime(first(e['pwdChangedTime']));
    const policyDn = first(e['pwdPolicySubentry']) ?? this.options.passwordPolicyDn;
    if (changed === null || !policyDn) return null;
    const maxAge = Number(first((await this.readEntry(c, policyDn, ['pwdMaxAge']))?.['pwdMaxAge']) ?? '0');
    return Number.isFinite(maxAge) && maxAge > 0 ? changed + maxAge * 1000 : null;
  }

  private get domainDn(): string {
    return this.options.baseDn.split(',').filter((p) => /^\s*dc=/i.test(p)).join(',') || this.options.baseDn;
  }

  private async findOne(idFilter: string): Promise<DirectoryUser | null> {
    const filter = `(&${this.userClassFilter}${idFilter})`;
    const attributes = this.userAttributes;
    try {
      return await this.withClient(async (c) => {
        await this.refreshDomainPolicy(c);
        const { searchEntries } = await c.search(this.options.baseDn, { scope: 'sub', filter, attributes, sizeLimit: 2, explicitBufferAttributes: BINARY_ATTRIBUTES });
        // An id that matches two entries is a data problem: refuse rather than act on the wrong account (R2).
        if (searchEntries.length !== 1) return null;
        const e = searchEntries[0] as Record<string, unknown> & { dn: string };
        const groups = await this.groupsOf(c, e.dn, all(e['memberOf']));
        return this.toUser(e, groups);
      });
    } catch (e) {
      throw this.wrap(e, 'The directory could not be searched');
    }
  }

  /**
   * AD: every group any user of the page is in, transitively, in one IN_CHAIN search; then each user's groups are
   * the closure over those groups' direct members (every group on a path is itself in the answer).
   */
  private async transitiveGroupsOfPage(c: Client, dns: string[]): Promise<Map<string, GroupRef[]>> {
    const out = new Map<string, GroupRef[]>();
    if (dns.length === 0) return out;
    const any = dns.map((d) => `(member:${IN_CHAIN}:=${escapeValue(d)})`).join('');
    const { searchEntries } = await c.search(this.options.groupBaseDn ?? this.domainDn, {
      scope: 'sub',
      filter: `(&(objectClass=group)(|${any}))`,
      attributes: ['objectGUID', 'objectSid', 'member'],
      explicitBufferAttributes: GROUP_BINARY_ATTRIBUTES,
    });
    const groups = new Map<string, { ref: GroupRef; members: string[] }>();
    for (const g of searchEntries) {
      groups.set(g.dn.toLowerCase(), { ref: this.groupRef(g), members: all(g['member']).map((m) => m.toLowerCase()) });
    }
    // parentsOf: member DN → groups that list it directly.
    const parentsOf = new Map<string, string[]>();
    for (const [gdn, g] of groups) for (const m of g.members) parentsOf.set(m, [...(parentsOf.get(m) ?? []), gdn]);
    for (const dn of dns) {
      const seen = new Set<string>();
      const queue = [...(parentsOf.get(dn.toLowerCase()) ?? [])];
      while (queue.length) {
        const gdn = queue.shift()!;
        if (seen.has(gdn)) continue;
        seen.add(gdn);
        queue.push(...(parentsOf.get(gdn) ?? []));
      }
      out.set(dn.toLowerCase(), [...seen].map((gdn) => groups.get(gdn)!.ref));
    }
    return out;
  }

  /**
   * OpenLDAP: every group (groupOfNames / groupOfUniqueNames) any of these DNs is in, transitively — the groups
   * naming them as members, then the groups naming those groups, up to MAX_NESTING levels — with each group's
   * entryUUID (R32: by id or DN, never cn). One search per level for the whole page.
   */
  private async openLdapGroupsOf(c: Client, dns: readonly string[]): Promise<Map<string, GroupRef[]>> {
    const out = new Map<string, GroupRef[]>();
    if (dns.length === 0) return out;
    const refs = new Map<string, GroupRef>();
    const parentsOf = new Map<string, string[]>(); // member DN (lower) → group DNs (lower) that list it
    let frontier = [...new Set(dns.map((d) => d.toLowerCase()))];
    const asked = new Set(frontier);
    for (let level = 0; level < MAX_NESTING && frontier.length > 0; level++) {
      const any = frontier.map((d) => `(member=${escapeValue(d)})(uniqueMember=${escapeValue(d)})`).join('');
      const { searchEntries } = await c.search(this.options.groupBaseDn ?? this.domainDn, {
        scope: 'sub',
        filter: `(&(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))(|${any}))`,
        attributes: ['entryUUID', 'member', 'uniqueMember'],
      });
      const wanted = new Set(frontier);
      const next: string[] = [];
      for (const g of searchEntries) {
        const gdn = g.dn.toLowerCase();
        refs.set(gdn, this.groupRef(g));
        for (const m of [...all(g['member']), ...all(g['uniqueMember'])]) {
          const key = m.toLowerCase();
          if (wanted.has(key)) parentsOf.set(key, [...(parentsOf.get(key) ?? []), gdn]);
        }
        if (!asked.has(gdn)) {
          asked.add(gdn);
          next.push(gdn);
        }
      }
      frontier = next;
    }
    for (const dn of dns) {
      const seen = new Set<string>();
      const queue = [...(parentsOf.get(dn.toLowerCase()) ?? [])];
      while (queue.length) {
        const gdn = queue.shift()!;
        if (seen.has(gdn)) continue;
        seen.add(gdn);
        queue.push(...(parentsOf.get(gdn) ?? []));
      }
      out.set(dn.toLowerCase(), [...seen].flatMap((gdn) => refs.get(gdn) ?? []));
    }
    return out;
  }

  /** Every group the user is in, transitively: AD by LDAP_MATCHING_RULE_IN_CHAIN (with SIDs), OpenLDAP level by level. */
  private async groupsOf(c: Client, dn: string, memberOf: string[]): Promise<GroupRef[]> {
    const out = new Map<string, GroupRef>();
    // memberOf (AD, or OpenLDAP's memberof overlay) names direct groups by DN; the searches add ids and nesting.
    for (const m of memberOf) out.set(m.toLowerCase(), { dn: m, sid: null, id: null });
    if (this.options.dialect === 'ad') {
      const { searchEntries } = await c.search(this.options.groupBaseDn ?? this.domainDn, {
        scope: 'sub',
        filter: `(&(objectClass=group)(member:${IN_CHAIN}:=${escapeValue(dn)}))`,
        attributes: ['objectGUID', 'objectSid'],
        explicitBufferAttributes: GROUP_BINARY_ATTRIBUTES,
      });
      for (const g of searchEntries) out.set(g.dn.toLowerCase(), this.groupRef(g));
    } else {
      for (const g of (await this.openLdapGroupsOf(c, [dn])).get(dn.toLowerCase()) ?? []) out.set(g.dn.toLowerCase(), g);
    }
    return [...out.values()];
  }

  /** A group entry as the membership checks see it: DN, SID (AD), and object id (AD objectGUID, OpenLDAP entryUUID). */
  private groupRef(g: Record<string, unknown> & { dn: string }): GroupRef {
    const guid = g['objectGUID'];
    const raw = Array.isArray(guid) ? (guid as unknown[])[0] : guid;
    const id = Buffer.isBuffer(raw) ? guidFromBytes(raw) : normaliseGroupUuid(first(g['entryUUID']));
    return { dn: g.dn, sid: sidOf(g['objectSid']), id };
  }

  /**
   * R3: privileged when in a configured group (by DN or object id — never cn — transitively), and on AD also when adminCount=1
   * (AdminSDHolder-protected), in a protected built-in group by SID (Domain/Enterprise/Schema Admins,
   * Administrators, Account/Server/Print/Backup Operators, …) or the built-in Administrator account itself.
   */
  private toUser(e: Record<string, unknown> & { dn: string }, groups: GroupRef[]): DirectoryUser {
    const ad = this.options.dialect === 'ad';
    // R32: a group is its DN or its object id — never its cn, which a group elsewhere in the tree can share.
    const groupKeys = [...new Set(groups.flatMap((g) => [g.dn, ...(g.id ? [g.id] : [])]))];
    const configured = inAnyGroup(groupKeys, this.options.privilegedGroups ?? []);
    const userSid = ad ? sidOf(e['objectSid']) : null;
    const protectedByAd =
      ad &&
      (first(e['adminCount']) === '1' ||
        (userSid !== null && PROTECTED_USER_RIDS.has(ridOf(userSid))) ||
        groups.some((g) => g.sid !== null && (PROTECTED_BUILTIN_SIDS.has(g.sid) || (g.sid.startsWith('S-1-5-21-') && PROTECTED_DOMAIN_RIDS.has(ridOf(g.sid))))));
    const privileged = configured || protectedByAd;
    let enabled = true;
    let locked: boolean;
    let changedAt: number | null;
    if (ad) {
      enabled = (Number(first(e['userAccountControl']) ?? '0') & UAC_DISABLED) === 0;
      locked = Number(first(e['lockoutTime']) ?? '0') > 0;
      changedAt = adPasswordChangedAt(e);
    } else {
      const lockTime = first(e['pwdAccountLockedTime']);
      locked = lockTime !== undefined && lockTime !== ADMIN_LOCK;
      if (lockTime === ADMIN_LOCK) enabled = false;
      const marker = this.options.disabledMarker;
      if (marker && all(e[marker.attribute]).some((v) => v.toLowerCase() === marker.value.toLowerCase())) enabled = false;
      changedAt = parseGeneralizedTime(first(e['pwdChangedTime']));
    }
    const mail = first(e['mail']);
    const upn = (ad ? first(e['userPrincipalName']) : undefined) ?? mail ?? first(e['uid']) ?? e.dn;
    const givenName = first(e['givenName']);
    const surname = first(e['sn']);
    const mobile = first(e['mobile']);
    const office = first(e['telephoneNumber']);
    const altMail = ad ? first(e['otherMailbox']) : undefined;
    return {
      directoryId: e.dn,
      objectId: normaliseObjectId(first(e[this.idAttribute]) ?? ''),
      userPrincipalName: upn,
      displayName: first(e['displayName']) ?? first(e['cn']) ?? upn,
      ...(givenName !== undefined ? { givenName } : {}),
      ...(surname !== undefined ? { surname } : {}),
      enabled,
      locked,
      privileged,
      groups: groupKeys,
      passwordChangedAt: changedAt,
      ...(mobile !== undefined ? { mobilePhone: mobile } : {}),
      ...(office !== undefined ? { officePhone: office } : {}),
      ...(altMail !== undefined ? { alternateEmail: altMail } : {}),
    };
  }

  private async readEntry(c: Client, dn: string, attributes: string[], buffers: string[] = []): Promise<Record<string, unknown> | undefined> {
    const { searchEntries } = await c.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes, explicitBufferAttributes: buffers });
    return searchEntries[0];
  }

  private async withClient<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const o = this.options;
    const timeout = o.timeoutMs ?? 5000;
    const client = new Client({
      url: o.url,
      timeout,
      connectTimeout: o.connectTimeoutMs ?? timeout,
      ...(o.url.startsWith('ldaps:') && this.tlsOptions ? { tlsOptions: this.tlsOptions } : {}),
    });
    try {
      if (o.startTls && !o.url.startsWith('ldaps:')) await client.startTLS(this.tlsOptions ?? {});
      await client.bind(o.bindDn, o.bindPassword);
      return await fn(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  /**
   * F13: AD answers every policy refusal with 0000052D. Samba adds the reason in words; Windows does not, so the
   * reason is worked out from the domain policy the adapter read (length, complexity; a recent change with a
   * minimum age; otherwise the history).
   */
  private mapRefusal(e: unknown, password: string): SetPasswordRefusal | null {
    if (!(e instanceof ResultCodeError)) return null;
    const msg = e.message;
    if (this.options.dialect === 'ad') {
      if (!/0000052D/i.test(msg)) return null;
      if (/too short/i.test(msg)) return 'too_short';
      if (/complexity/i.test(msg)) return 'complexity';
      if (/history|already used/i.test(msg)) return 'history';
      if (/too young|minimum password age/i.test(msg)) return 'min_age';
      const p = this.adPolicy;
      if (p && [...password].length < p.minLength) return 'too_short';
      if (p?.complexity && !meetsAdComplexity(password)) return 'complexity';
      if (p && p.minAgeMs > 0) return 'policy';
      return p && p.history > 0 ? 'history' : 'policy';
    }
    if (e.code !== 19) return null; // constraintViolation
    if (/history|not being changed/i.test(msg)) return 'history';
    if (/too short/i.test(msg)) return 'too_short';
    if (/too young/i.test(msg)) return 'min_age';
    if (this.ppolicyMinLength !== null && [...password].length < this.ppolicyMinLength) return 'too_short';
    return 'policy';
  }

  /**
   * R14: the AD domain's own rules (minPwdLength, pwdProperties complexity, history, minimum age) read from the
   * domain object, at most every 10 minutes, so the bot says them up front instead of after verification.
   * A fine-grained policy (PSO) on a user may be stricter; its refusal is still mapped (F13).
   */
  private async refreshDomainPolicy(c: Client): Promise<void> {
    if (this.clock.now() - this.policyReadAt < POLICY_TTL_MS) return;
    if (this.options.dialect !== 'ad') return this.refreshPpolicy(c);
    const e = await this.readEntry(c, this.domainDn, ['minPwdLength', 'pwdProperties', 'pwdHistoryLength', 'minPwdAge']);
    if (!e) return;
    const minLength = Number(first(e['minPwdLength']) ?? '0') || 0;
    const complexity = (Number(first(e['pwdProperties']) ?? '0') & 1) === 1;
    this.adPolicy = {
      minLength,
      complexity,
      history: Number(first(e['pwdHistoryLength']) ?? '0') || 0,
      minAgeMs: intervalMs(first(e['minPwdAge'])) ?? 0,
    };
    this.caps = {
      ...this.caps,
      passwordMinLength: Math.max(this.options.passwordMinLength ?? 1, minLength, 1),
      requiresThreeOfFourClasses: complexity,
    };
    this.policyReadAt = this.clock.now();
  }

  /**
   * R14 on OpenLDAP: the default ppolicy entry's pwdMinLength (when LDAP_PPOLICY_DN names it), so the length is said
   * up front and a "fails quality checking" refusal of a shorter password is told as "too short" (F13). A user with
   * their own pwdPolicySubentry may have another length; their refusal is still mapped, less precisely.
   */
  private async refreshPpolicy(c: Client): Promise<void> {
    const dn = this.options.passwordPolicyDn;
    this.policyReadAt = this.clock.now();
    if (!dn) return;
    const e = await this.readEntry(c, dn, ['pwdMinLength']).catch(() => undefined);
    const minLength = Number(first(e?.['pwdMinLength']) ?? '0') || 0;
    this.ppolicyMinLength = minLength > 0 ? minLength : null;
    this.caps = { ...this.caps, passwordMinLength: Math.max(this.options.passwordMinLength ?? 8, minLength, 1) };
  }

  private wrap(e: unknown, message: string): SsprError {
    if (e instanceof SsprError) return e;
    if (e instanceof ResultCodeError) {
      // 49 invalidCredentials (service account), 50 insufficientAccessRights.
      if (e.code === 49 || e.code === 50) return new SsprError('directory_denied', message, { cause: e });
      if (e.code === 32) return new SsprError('directory_not_found', message, { cause: e });
      if (e.code === 51 || e.code === 52) return new SsprError('directory_unavailable', message, { cause: e });
      return new SsprError('directory_unavailable', message, { cause: e });
    }
    if (isTimeout(e)) return new SsprError('directory_timeout', message, { cause: e });
    return new SsprError('directory_unavailable', message, { cause: e });
  }
}

class AdminLockError extends Error {}

/**
 * LDAP_SERVER_POLICY_HINTS (1.2.840.113556.1.4.2239, flags 1): the DC applies the password policy — history
 * included — to an administrator's reset as it does to a user's own change. Not critical: a DC that does not know
 * it still resets (without the history check).
 */
class PolicyHintsControl extends Control {
  constructor() {
    super('1.2.840.113556.1.4.2239', { critical: false });
  }
  protected override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(1);
    value.endSequence();
    writer.writeBuffer(value.buffer, 4);
  }
}

interface GroupRef {
  readonly dn: string;
  /** The group's objectSid (AD), for protected-group recognition. */
  readonly sid: string | null;
  /** The group's object id: AD objectGUID, OpenLDAP entryUUID (lower-case GUID); null when only the DN is known. */
  readonly id: string | null;
}

const GROUP_BINARY_ATTRIBUTES = ['objectSid', 'objectGUID'];
/** Nesting levels followed on OpenLDAP (AD's in-chain rule has no limit). */
const MAX_NESTING = 8;

/** AD objectGUID bytes → the GUID string (the first three groups are little-endian). */
export function guidFromBytes(b: Buffer): string | null {
  if (b.length !== 16) return null;
  const h = (i: number, n: number, le: boolean) => {
    const part = Buffer.from(b.subarray(i, i + n));
    return (le ? part.reverse() : part).toString('hex');
  };
  return `${h(0, 4, true)}-${h(4, 2, true)}-${h(6, 2, true)}-${h(8, 2, false)}-${h(10, 6, false)}`;
}

function normaliseGroupUuid(v: string | undefined): string | null {
  return v && GUID.test(v.trim()) ? v.trim().toLowerCase() : null;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const POLICY_TTL_MS = 10 * 60_000;
const BINARY_ATTRIBUTES = ['replPropertyMetaData', 'objectSid'];

/** `{guid}` and `User_guid` → the bare lower-case GUID; other values unchanged. */
export function normaliseObjectId(v: string): string {
  const m = /^(?:User_)?\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i.exec(v.trim());
  return m?.[1] ? m[1].toLowerCase() : v;
}

/** Binary objectSid → S-1-5-21-… */
export function sidToString(b: Buffer): string | null {
  if (b.length < 8) return null;
  const count = b.readUInt8(1);
  if (b.length < 8 + count * 4) return null;
  const authority = b.readUIntBE(2, 6);
  const subs: number[] = [];
  for (let i = 0; i < count; i++) subs.push(b.readUInt32LE(8 + i * 4));
  return `S-${b.readUInt8(0)}-${authority}${subs.map((x) => `-${x}`).join('')}`;
}

function sidOf(v: unknown): string | null {
  const b = Array.isArray(v) ? (v as unknown[])[0] : v;
  return Buffer.isBuffer(b) ? sidToString(b) : null;
}

function ridOf(sid: string): number {
  return Number(sid.slice(sid.lastIndexOf('-') + 1));
}

/**
 * When the DC last wrote unicodePwd (from replPropertyMetaData; 1 s resolution), or pwdLastSet when later.
 * replPropertyMetaDataBlob: version, reserved, count, reserved (4 × uint32), then 48-byte entries
 * { attid uint32, version uint32, originating_change_time NTTIME, invocation id GUID, usn, local usn }.
 */
export function adPasswordChangedAt(e: Record<string, unknown>): number | null {
  const fromPwdLastSet = parseFileTime(first(e['pwdLastSet']));
  const raw = e['replPropertyMetaData'];
  const blob = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
  let fromMeta: number | null = null;
  if (Buffer.isBuffer(blob) && blob.length >= 16) {
    const count = blob.readUInt32LE(8);
    for (let i = 0; i < count; i++) {
      const at = 16 + i * 48;
      if (at + 48 > blob.length) break;
      if (blob.readUInt32LE(at) !== ATTID_UNICODE_PWD) continue;
      // originating_change_time: whole seconds since 1601 (NTTIME_1sec).
      const t = blob.readBigUInt64LE(at + 8);
      fromMeta = t > 0n ? Number(t) * 1000 - FILETIME_EPOCH_OFFSET_MS : null;
    }
  }
  if (fromMeta === null) return fromPwdLastSet;
  return fromPwdLastSet === null ? fromMeta : Math.max(fromMeta, fromPwdLastSet);
}

/** AD complexity: three of upper case, lower case, digits, symbols, other letters (no case). */
export function meetsAdComplexity(password: string): boolean {
  let classes = 0;
  if (/\p{Lu}/u.test(password)) classes++;
  if (/\p{Ll}/u.test(password)) classes++;
  if (/\p{Nd}/u.test(password)) classes++;
  if (/[^\p{L}\p{Nd}]/u.test(password)) classes++;
  if (/(?![\p{Lu}\p{Ll}])\p{L}/u.test(password)) classes++;
  return classes >= 3;
}

/** AD negative 100 ns interval (maxPwdAge) → ms; 0 or "never" → null. */
function intervalMs(v: string | undefined): number | null {
  if (!v || !/^-?\d+$/.test(v)) return null;
  const n = BigInt(v);
  const abs = n < 0n ? -n : n;
  if (abs === 0n || abs >= FILETIME_NEVER || n === -0x8000000000000000n) return null;
  return Number(abs / 10_000n);
}

function distinct(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) {
    const t = v.trim();
    if (!t || seen.has(t.toLowerCase())) continue;
    seen.add(t.toLowerCase());
    out.push(t);
  }
  return out;
}

const cursorSchema = z.object({ v: z.literal(1), after: z.string().min(1) });

function encodeCursor(after: string): string {
  return Buffer.from(JSON.stringify({ v: 1, after }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).after;
  } catch (cause) {
    throw new SsprError('invalid_input', 'The scan cursor is not one this directory gave out', { cause });
  }
}

function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new SsprError('config_invalid', 'LDAP_CA_FILE could not be read', { cause });
  }
}

function replace(type: string, value: string): Change {
  return new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) });
}

function remove(type: string): Change {
  return new Change({ operation: 'delete', modification: new Attribute({ type }) });
}

/** RFC 4515 escaping of one assertion value. */
export function escapeValue(v: string): string {
  return v.replace(/[\\*()\0]/g, (ch) => `\\${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
