import { GraphDirectory } from '../../../adapters/directory/graphDirectory';
import { LdapDirectory } from '../../../adapters/directory/ldapDirectory';
import type { Directory, DirectoryUser } from '../../../domain/ports/directory';
import { GraphStub } from '../../support/graphStub';
import {
  SAMBA_BULK_OU,
  SAMBA_BULK_USERS,
  SAMBA_FQDN,
  SAMBA_ROLES,
  SAMBA_SERVICE_PASSWORD,
  SAMBA_SERVICE_UPN,
  bulkUser,
  sambaUser,
  sharedSamba,
} from '../../support/samba';
import { Slapd, SLAPD_BASE, SLAPD_SERVICE_DN, SLAPD_SERVICE_PASSWORD, type SlapdUser } from '../../support/slapd';

/**
 * The directory reads campaigns and pre-fill build on (password expiry, lockout, contacts) and the resumable paged
 * scan, against real servers: OpenLDAP (slapd with ppolicy and sssvlv, 10,000 users), Samba AD (1,000 users in
 * OU=Bulk) and the Graph adapter against the local Graph server (test/support/graphStub.ts, documented protocol).
 * The AD reads of single users are in activeDirectory.test.ts.
 */

const DAY = 86_400_000;
const SCAN_USERS = 10_000;

/** Scans `pagesBefore` pages with one instance, then finishes with a fresh one from the stored cursor ("restart"). */
async function scanAcrossRestart(make: () => Directory, pageSize: number, pagesBefore: number): Promise<{ ids: string[]; pages: number; maxPage: number; maxCursor: number }> {
  const ids: string[] = [];
  let pages = 0;
  let maxPage = 0;
  let maxCursor = 0;
  let dir = make();
  let cursor: string | null = null;
  do {
    const page = await dir.scanUsers(cursor, pageSize);
    ids.push(...page.users.map((u: DirectoryUser) => u.objectId));
    maxPage = Math.max(maxPage, page.users.length);
    cursor = page.cursor;
    maxCursor = Math.max(maxCursor, cursor?.length ?? 0);
    pages++;
    // The cursor is all the state there is: a new process continues from it.
    if (pages === pagesBefore) dir = make();
  } while (cursor !== null);
  return { ids, pages, maxPage, maxCursor };
}

describe('OpenLDAP (slapd, ppolicy + sssvlv): reads and a 10,000-user scan', () => {
  let slapd: Slapd;
  const users: SlapdUser[] = Array.from({ length: SCAN_USERS }, (_, i) => ({
    uid: `u${String(i).padStart(5, '0')}`,
    objectId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    givenName: 'User',
    surname: String(i),
    password: `Initial-Pass-${i}-x`,
    mobile: `+3161${String(i).padStart(7, '0')}`,
  }));
  const dir = () =>
    new LdapDirectory({
      url: slapd.url,
      allowInsecure: true,
      dialect: 'openldap',
      bindDn: SLAPD_SERVICE_DN,
      bindPassword: SLAPD_SERVICE_PASSWORD,
      baseDn: `ou=people,${SLAPD_BASE}`,
      passwordPolicyDn: `cn=default,ou=policies,${SLAPD_BASE}`,
      timeoutMs: 30_000,
    });
  beforeAll(async () => {
    slapd = new Slapd({ users, sort: true, pwdMaxAge: 30 * 86_400, pwdMaxFailure: 3 });
    await slapd.start();
  }, 120_000);
  afterAll(async () => {
    await slapd?.stop();
  });

  test('password expiry = pwdChangedTime + pwdMaxAge of the ppolicy; lockout with pwdAccountLockedTime; mobile for pre-fill', async () => {
    const d = dir();
    const u = (await d.findUser({ tenantId: 't', objectId: users[1]!.objectId }))!;
    expect(await d.readPasswordExpiry(u)).toBeNull(); // slapadd sets no pwdChangedTime: the policy cannot say
    expect((await d.setPassword(u, 'Changed-Pass-Orchid-1', { forceChangeAtNextSignIn: false })).ok).toBe(true);
    const changed = await d.readPasswordChangedAt(u);
    expect(await d.readPasswordExpiry(u)).toBe(changed! + 30 * DAY);
    expect(await d.readLockout(u)).toEqual({ locked: false, lockedAt: null });
    for (let i = 0; i < 3; i++) await slapd.canBind(users[1]!.uid, 'wrong-password');
    const lockout = await d.readLockout(u);
    expect(lockout.locked).toBe(true);
    expect(Math.abs(lockout.lockedAt! - Date.now())).toBeLessThan(120_000);
    expect(await d.unlock(u)).toEqual({ ok: true });
    expect(await d.readLockout(u)).toEqual({ locked: false, lockedAt: null });
    expect(await d.readContacts(u)).toEqual({ mobilePhones: [users[1]!.mobile], officePhones: [], emails: [] });
  });

  test('scan: 10,000 users, each exactly once, across a restart from the cursor; pages bounded, cursor tiny', async () => {
    const r = await scanAcrossRestart(dir, 500, 7);
    expect(r.ids).toHaveLength(SCAN_USERS);
    expect(new Set(r.ids).size).toBe(SCAN_USERS);
    expect(new Set(r.ids)).toEqual(new Set(users.map((u) => u.objectId)));
    expect(r.maxPage).toBeLessThanOrEqual(500);
    expect(r.pages).toBe(SCAN_USERS / 500 + 1); // the last full page is followed by an empty one that ends the scan
    expect(r.maxCursor).toBeLessThan(200);
  }, 300_000);

  test('scan: a forged cursor is refused', async () => {
    await expect(dir().scanUsers('bm90LWEtY3Vyc29y', 10)).rejects.toMatchObject({ code: 'invalid_input' });
  });
});

describe('Active Directory (Samba AD DC): a 1,000-user scan of OU=Bulk', () => {
  test('scan: every user in scope exactly once across a restart from the cursor (sAMAccountName keyset, server-side sort)', async () => {
    const dc = await sharedSamba();
    const make = () =>
      new LdapDirectory({
        url: dc.ldapsUrl,
        dialect: 'ad',
        bindDn: SAMBA_SERVICE_UPN,
        bindPassword: SAMBA_SERVICE_PASSWORD,
        baseDn: SAMBA_BULK_OU,
        ca: dc.ca,
        tlsServerName: SAMBA_FQDN,
        timeoutMs: 30_000,
      });
    const r = await scanAcrossRestart(make, 100, 3);
    const expected = Array.from({ length: SAMBA_BULK_USERS }, (_, i) => bulkUser(i).objectId);
    expect(r.ids).toHaveLength(SAMBA_BULK_USERS);
    expect(new Set(r.ids)).toEqual(new Set(expected));
    expect(r.maxPage).toBeLessThanOrEqual(100);
    expect(r.pages).toBe(SAMBA_BULK_USERS / 100 + 1);
  }, 600_000);

  test('R3: a scanned page resolves groups transitively in one search, with the same groups and privilege as a lookup', async () => {
    const dc = await sharedSamba();
    const d = new LdapDirectory(dc.serviceDirectory());
    const scanned: DirectoryUser[] = [];
    let cursor: string | null = null;
    do {
      const page = await d.scanUsers(cursor, 50);
      scanned.push(...page.users);
      cursor = page.cursor;
    } while (cursor !== null);
    for (const role of SAMBA_ROLES.filter((r) => r !== 'outscope')) {
      const u = sambaUser('rd', role);
      const viaScan = scanned.find((x) => x.objectId === u.objectId)!;
      const viaFind = (await d.findUser({ tenantId: 't', objectId: u.objectId }))!;
      expect([role, viaScan.privileged, [...viaScan.groups].sort()]).toEqual([role, viaFind.privileged, [...viaFind.groups].sort()]);
    }
    expect(scanned.find((x) => x.objectId === sambaUser('rd', 'nested').objectId)?.privileged).toBe(true);
    expect(scanned.find((x) => x.objectId === sambaUser('rd', 'normal').objectId)?.privileged).toBe(false);
  }, 300_000);
});

describe('Graph (local Graph server): expiry, contacts, PIM-eligible roles, nextLink scan', () => {
  let stub: GraphStub;
  const ids = Array.from({ length: 25 }, (_, i) => `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`);
  const dir = () =>
    new GraphDirectory({ tenantId: stub.tenantId, clientId: stub.clientId, clientSecret: stub.clientSecret, baseUrl: stub.baseUrl, authorityHost: stub.authorityHost, timeoutMs: 5000 });
  beforeAll(async () => {
    stub = new GraphStub(
      ids.map((id, i) => ({
        id,
        displayName: `User ${i}`,
        userPrincipalName: `user${i}@contoso.example`,
        mobilePhone: `+3161000${String(i).padStart(4, '0')}`,
        businessPhones: ['+31201234567'],
        otherMails: [`user${i}@home.example`, `USER${i}@home.example`],
        password: 'Initial-Pass-1!',
        ...(i === 1 ? { passwordPolicies: 'DisablePasswordExpiration' } : {}),
        ...(i === 2 ? { eligibleRoles: ['62e90394-69f5-4237-9190-012177145e10'] } : {}),
        ...(i === 3 ? { groups: [{ id: 'g-pim', displayName: 'PIM Admins' }] } : {}),
      })),
    );
    stub.eligibleGroups.add('g-pim');
    await stub.start();
  });
  afterAll(async () => {
    await stub?.stop();
  });

  test('password expiry = lastPasswordChangeDateTime + the domain\'s passwordValidityPeriodInDays; never with DisablePasswordExpiration', async () => {
    const d = dir();
    const u0 = (await d.findUser({ tenantId: 't', objectId: ids[0]! }))!;
    expect(await d.readPasswordExpiry(u0)).toBe(Date.parse('2026-01-01T08:00:00Z') + 90 * DAY);
    expect(await d.readPasswordExpiry((await d.findUser({ tenantId: 't', objectId: ids[1]! }))!)).toBeNull();
    stub.domains.set('contoso.example', 2147483647);
    expect(await dir().readPasswordExpiry(u0)).toBeNull();
    stub.domains.set('contoso.example', 90);
    // Entra smart lockout is not exposed: unknown, not "unlocked" (E4: the poll must not end a webhook-reported lock).
    expect(await d.readLockout(u0)).toEqual({ locked: null, lockedAt: null });
  });

  test('R31: contacts: mobilePhone, businessPhones, otherMails (duplicates removed)', async () => {
    const d = dir();
    const u = (await d.findUser({ tenantId: 't', objectId: ids[4]! }))!;
    expect(await d.readContacts(u)).toEqual({ mobilePhones: ['+31610000004'], officePhones: ['+31201234567'], emails: ['user4@home.example'] });
  });

  test('R3: a PIM-eligible role (not active) makes a user privileged, directly or through a role-assignable group', async () => {
    const d = dir();
    expect((await d.findUser({ tenantId: 't', objectId: ids[2]! }))!.privileged).toBe(true);
    expect((await d.findUser({ tenantId: 't', objectId: ids[3]! }))!.privileged).toBe(true);
    expect((await d.findUser({ tenantId: 't', objectId: ids[0]! }))!.privileged).toBe(false);
  });

  test('scan: @odata.nextLink pages, every user once, resumable from the cursor in a new instance', async () => {
    const r = await scanAcrossRestart(dir, 10, 1);
    expect(r.ids).toHaveLength(25);
    expect(new Set(r.ids)).toEqual(new Set(ids));
    expect(r.pages).toBe(3);
    expect(stub.requests.some((q) => q.path.includes('$skiptoken='))).toBe(true);
  });
});
