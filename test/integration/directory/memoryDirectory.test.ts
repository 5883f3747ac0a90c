import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryDirectory } from '../../../adapters/directory/memoryDirectory';
import type { DirectoryUser } from '../../../domain/ports/directory';
import { DEFAULT_CAMPAIGN_POLICY } from '../../../domain/campaigns/campaignPolicy';
import { ExpiryReminderScanner } from '../../../domain/campaigns/expiryReminders';
import { FixedClock } from '../../support/fixedClock';

const FILE = join(__dirname, '..', '..', '..', 'config', 'demo-directory.json');
const TENANT = '00000000-0000-0000-0000-000000000001';
const MEGAN = '6e7b768e-07e2-4810-8459-485f84f8f204';
const ADELE = 'a1f0e0c4-5d2b-4a8e-b0f3-9c6d2e7f1b33';
const JONI = '3d9c2b71-8e4f-4f0a-a6b2-5e1c7d9f0a44';
const PRADEEP = '8b4e6f2a-1c3d-4e5f-9a0b-7c8d9e0f1a55';
const DIEGO = 'f5a3c1e9-7b2d-4c6e-8f0a-1b3d5e7f9c66';

let clock: FixedClock;
let dir: MemoryDirectory;

async function find(id: string): Promise<DirectoryUser> {
  const u = await dir.findUser({ tenantId: TENANT, objectId: id });
  if (!u) throw new Error('fixture missing');
  return u;
}

beforeEach(async () => {
  clock = new FixedClock();
  dir = await MemoryDirectory.load(FILE, { clock });
});

describe('MemoryDirectory (demo directory for npm start)', () => {
  test('R2: demo users load from config/demo-directory.json: privileged, locked, disabled and helpdesk fixtures', async () => {
    expect(await find(MEGAN)).toMatchObject({ displayName: 'Megan Bowen', userPrincipalName: 'megan.bowen@contoso.example', mobilePhone: '+31612345678', enabled: true, locked: false, privileged: false });
    expect((await find(ADELE)).privileged).toBe(true);
    expect((await find(JONI)).locked).toBe(true);
    expect((await find(PRADEEP)).enabled).toBe(false);
    expect((await find(DIEGO)).groups).toContain('5fc16da7-8e90-4cbf-8d34-60718293a4b5') // Helpdesk, through Helpdesk Tier 1 (nested, R32);
    // Another tenant's caller with the same object id is nobody here.
    expect(await dir.findUser({ tenantId: '99999999-0000-0000-0000-000000000000', objectId: MEGAN })).toBeNull();
    expect((await dir.findByPrincipalName('MEGAN.BOWEN@contoso.example'))?.objectId).toBe(MEGAN);
  });

  test('R15: the demo passwords are kept only as hashes', () => {
    const raw = JSON.parse(readFileSync(FILE, 'utf8')) as { users: { initialPassword: string }[] };
    const dump = JSON.stringify(dir, (_k, v: unknown) => (v instanceof Map ? [...v.entries()] : v));
    for (const u of raw.users) expect(dump).not.toContain(u.initialPassword);
  });

  test('R27: after a reset the demo directory accepts the new password and not the old one; one write counted', async () => {
    const u = await find(MEGAN);
    expect(await dir.verifyPassword(MEGAN, 'Demo-Megan-Start-2026')).toBe(true);
    const r = await dir.setPassword(u, 'lamp canal violet thunder', { forceChangeAtNextSignIn: true });
    expect(r).toEqual({ ok: true, changedAt: clock.now() });
    expect(await dir.verifyPassword(MEGAN, 'lamp canal violet thunder')).toBe(true);
    expect(await dir.verifyPassword(MEGAN, 'Demo-Megan-Start-2026')).toBe(false);
    expect(await dir.readPasswordChangedAt(u)).toBe(clock.now());
    expect(dir.passwordWrites(MEGAN)).toBe(1);
    expect(dir.mustChangeAtNextSignIn(MEGAN)).toBe(true);
  });

  test('F13: refusals: the current password (history), too short, and an injected policy refusal', async () => {
    const u = await find(MEGAN);
    expect(await dir.setPassword(u, 'Demo-Megan-Start-2026', { forceChangeAtNextSignIn: false })).toEqual({ ok: false, reason: 'history' });
    expect(await dir.setPassword(u, 'short', { forceChangeAtNextSignIn: false })).toEqual({ ok: false, reason: 'too_short' });
    dir.setFaults({ refuse: 'policy' });
    expect(await dir.setPassword(u, 'lamp canal violet thunder', { forceChangeAtNextSignIn: false })).toEqual({ ok: false, reason: 'policy' });
    expect(dir.passwordWrites(MEGAN)).toBe(0);
  });

  test('R28: wrong passwords lock the account; unlock clears it without changing the password', async () => {
    for (let i = 0; i < 5; i++) expect(await dir.verifyPassword(MEGAN, `wrong-${i}`)).toBe(false);
    expect(await dir.verifyPassword(MEGAN, 'Demo-Megan-Start-2026')).toBe(false);
    const locked = await find(MEGAN);
    expect(locked.locked).toBe(true);
    expect(await dir.unlock(locked)).toEqual({ ok: true });
    expect((await find(MEGAN)).locked).toBe(false);
    expect(await dir.verifyPassword(MEGAN, 'Demo-Megan-Start-2026')).toBe(true);
    expect(dir.passwordWrites(MEGAN)).toBe(0);
    expect(await dir.unlock(await find(JONI))).toEqual({ ok: true });
    expect(await dir.verifyPassword(JONI, 'Demo-Joni-Start-2026')).toBe(true);
  });

  test('F12: timeout after apply answers unknown but the read-back shows the change', async () => {
    const u = await find(DIEGO);
    dir.setFaults({ timeoutAfterApply: true });
    expect(await dir.setPassword(u, 'orchid thunder river', { forceChangeAtNextSignIn: false })).toEqual({ ok: false, reason: 'unknown' });
    expect(await dir.readPasswordChangedAt(u)).toBe(clock.now());
    expect(dir.passwordWrites(DIEGO)).toBe(1);
  });

  test('R26: slowMs delays the answer (observed through an injected sleep); unavailable fails closed', async () => {
    const waits: number[] = [];
    const slow = await MemoryDirectory.load(FILE, { clock, sleep: async (ms) => void waits.push(ms), faults: { slowMs: 2500 } });
    const u = await slow.findUser({ tenantId: TENANT, objectId: MEGAN });
    expect((await slow.setPassword(u!, 'orchid thunder river', { forceChangeAtNextSignIn: false })).ok).toBe(true);
    expect(waits).toEqual([2500]);
    dir.setFaults({ unavailable: true });
    expect(await dir.ping()).toBe(false);
    await expect(dir.findUser({ tenantId: TENANT, objectId: MEGAN })).rejects.toMatchObject({ code: 'directory_unavailable' });
  });
});

describe('MemoryDirectory: the reads campaigns and pre-fill build on', () => {
  test('password expiry: passwordChangedAt + maxPasswordAgeDays; never for passwordNeverExpires; now after a forced change', async () => {
    const megan = await find(MEGAN);
    // Relative to the clock at load (passwordChangedDaysAgo 355): ten days left whenever the demo starts.
    expect(await dir.readPasswordExpiry(megan)).toBe(clock.now() + 10 * 86_400_000);
    expect(await dir.readPasswordExpiry(await find(DIEGO))).toBeNull();
    await dir.setPassword(megan, 'lamp canal violet thunder', { forceChangeAtNextSignIn: false });
    expect(await dir.readPasswordExpiry(megan)).toBe(clock.now() + 365 * 86_400_000);
    await dir.setPassword(megan, 'harbour quiet maple ember', { forceChangeAtNextSignIn: true });
    expect(await dir.readPasswordExpiry(megan)).toBe(clock.now());
  });

  test('E3: the demo never ages — loaded on any date, Megan\'s password is inside a reminder step and Joni was locked minutes ago', async () => {
    for (const at of [Date.now(), Date.UTC(2031, 6, 1, 12, 0, 0)]) {
      const c = new FixedClock(at);
      const d = await MemoryDirectory.load(FILE, { clock: c });
      const megan = (await d.findUser({ tenantId: TENANT, objectId: MEGAN }))!;
      const expiresAt = (await d.readPasswordExpiry(megan))!;
      expect(expiresAt).toBeGreaterThan(at);
      expect(ExpiryReminderScanner.step(expiresAt, at, DEFAULT_CAMPAIGN_POLICY.expiry.daysBefore)).not.toBeNull();
      const joni = (await d.findUser({ tenantId: TENANT, objectId: JONI }))!;
      expect((await d.readLockout(joni)).lockedAt).toBe(at - 30 * 60_000);
    }
    // An absolute date and a relative one for the same fact is a mistake in the file, refused at load.
    const raw = JSON.parse(readFileSync(FILE, 'utf8')) as { users: Record<string, unknown>[] };
    raw.users[0]!['passwordChangedAt'] = '2025-12-12T08:15:00Z';
    await expect(MemoryDirectory.create(raw as never)).rejects.toMatchObject({ code: 'config_invalid' });
  });

  test('R28: lockout read fresh with its time; wrong passwords lock now; unlock clears both', async () => {
    const joni = await find(JONI);
    expect(await dir.readLockout(joni)).toEqual({ locked: true, lockedAt: clock.now() - 30 * 60_000 });
    await dir.unlock(joni);
    expect(await dir.readLockout(joni)).toEqual({ locked: false, lockedAt: null });
    const megan = await find(MEGAN);
    for (let i = 0; i < 5; i++) await dir.verifyPassword(MEGAN, 'wrong');
    expect(await dir.readLockout(megan)).toEqual({ locked: true, lockedAt: clock.now() });
  });

  test('R31: contact data for pre-fill: every mobile, office phone and non-sign-in address, without duplicates', async () => {
    const lidia = await dir.findByPrincipalName('lidia.holloway@contoso.example');
    expect(await dir.readContacts(lidia!)).toEqual({ mobilePhones: ['+31623456789', '+32470123456'], officePhones: ['+31201234567'], emails: ['lidia.h@outlook.example'] });
    expect(await dir.readContacts(await find(MEGAN))).toEqual({ mobilePhones: ['+31612345678'], officePhones: [], emails: ['megan.bowen@fabrikam.example', 'megan@bowen-family.example'] });
  });

  test('scan: pages visit every user exactly once, resume from a persisted cursor in a fresh instance, and refuse a forged cursor', async () => {
    const seen: string[] = [];
    const first = await dir.scanUsers(null, 4);
    seen.push(...first.users.map((u) => u.objectId));
    expect(first.cursor).not.toBeNull();
    // "Restart": a new directory instance continues from the stored cursor.
    const restarted = await MemoryDirectory.load(FILE, { clock });
    let cursor = first.cursor;
    while (cursor !== null) {
      const page = await restarted.scanUsers(cursor, 4);
      seen.push(...page.users.map((u) => u.objectId));
      cursor = page.cursor;
    }
    const all = dir.listUsers().map((u) => u.objectId);
    expect([...seen].sort()).toEqual([...all].sort());
    expect(new Set(seen).size).toBe(seen.length);
    await expect(dir.scanUsers('not-a-cursor', 4)).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
