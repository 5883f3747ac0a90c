import { GraphDirectory, retryAfterMs, type GraphDirectoryOptions } from '../../../adapters/directory/graphDirectory';
import { SsprError } from '../../../domain/errors';
import type { DirectoryUser } from '../../../domain/ports/directory';
import { FixedClock } from '../../support/fixedClock';
import { GraphStub } from '../../support/graphStub';

const MEGAN = '6e7b768e-07e2-4810-8459-485f84f8f204';
const ADELE = 'a1f0e0c4-5d2b-4a8e-b0f3-9c6d2e7f1b33';
const LIDIA = 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21';
const DIEGO = 'f5a3c1e9-7b2d-4c6e-8f0a-1b3d5e7f9c66';
const TENANT = '00000000-0000-0000-0000-000000000001';

let stub: GraphStub;

function options(over: Partial<GraphDirectoryOptions> = {}): GraphDirectoryOptions {
  return {
    tenantId: stub.tenantId,
    clientId: stub.clientId,
    clientSecret: stub.clientSecret,
    baseUrl: stub.baseUrl,
    authorityHost: stub.authorityHost,
    timeoutMs: 2000,
    ...over,
  };
}

async function find(dir: GraphDirectory, id: string): Promise<DirectoryUser> {
  const u = await dir.findUser({ tenantId: TENANT, objectId: id });
  if (!u) throw new Error('fixture missing');
  return u;
}

beforeAll(async () => {
  stub = new GraphStub([
    {
      id: MEGAN,
      displayName: 'Megan Bowen',
      givenName: 'Megan',
      surname: 'Bowen',
      userPrincipalName: 'megan.bowen@contoso.example',
      mobilePhone: '+31612345678',
      businessPhones: ['+31201234567'],
      otherMails: ['megan.bowen@fabrikam.example'],
      groups: [{ id: 'g-staff', displayName: 'All Staff' }],
      password: 'Old-Megan-Pass-1',
    },
    { id: ADELE, displayName: 'Adele Vance', userPrincipalName: 'adele.vance@contoso.example', roles: ['Global Administrator'], password: 'Old-Adele-Pass-1' },
    { id: LIDIA, displayName: 'Lidia Holloway', userPrincipalName: 'lidia.holloway@contoso.example', accountEnabled: false, password: 'Old-Lidia-Pass-1' },
    { id: DIEGO, displayName: 'Diego Siciliani', userPrincipalName: 'diego.siciliani@contoso.example', password: 'Old-Diego-Pass-1' },
  ]);
  await stub.start();
});

afterAll(async () => {
  await stub?.stop();
});

describe('GraphDirectory against a local Graph + token endpoint', () => {
  test('R2: reads the user with names, UPN, accountEnabled, last change, phones and alternate mail via a client-credentials token', async () => {
    const dir = new GraphDirectory(options());
    const u = await find(dir, MEGAN);
    expect(u).toEqual({
      directoryId: MEGAN,
      objectId: MEGAN,
      userPrincipalName: 'megan.bowen@contoso.example',
      displayName: 'Megan Bowen',
      givenName: 'Megan',
      surname: 'Bowen',
      enabled: true,
      locked: null,
      privileged: false,
      groups: ['g-staff'], // R32: object ids only, never the display name
      passwordChangedAt: Date.parse('2026-01-01T08:00:00Z'),
      mobilePhone: '+31612345678',
      officePhone: '+31201234567',
      alternateEmail: 'megan.bowen@fabrikam.example',
    });
    const userGet = stub.requests.find((r) => r.method === 'GET' && r.path.startsWith(`/v1.0/users/${MEGAN}?`))!;
    expect(decodeURIComponent(userGet.path)).toContain('$select=id,displayName,givenName,surname,userPrincipalName,accountEnabled,lastPasswordChangeDateTime,mobilePhone,businessPhones,otherMails');
    expect(userGet.authorization).toMatch(/^Bearer stub-/);
    const tokenReq = stub.requests.find((r) => r.method === 'POST')!;
    expect(tokenReq.path).toBe(`/${stub.tenantId}/oauth2/v2.0/token`);
    expect(tokenReq.body).toMatchObject({ grant_type: 'client_credentials', client_id: stub.clientId, scope: 'https://graph.microsoft.com/.default' });
    expect((await dir.findUser({ tenantId: TENANT, objectId: LIDIA }))?.enabled).toBe(false);
    expect((await dir.findByPrincipalName('diego.siciliani@contoso.example'))?.objectId).toBe(DIEGO);
  });

  test('R2: unknown ids answer null; a non-GUID id never reaches Graph', async () => {
    const dir = new GraphDirectory(options());
    expect(await dir.findUser({ tenantId: TENANT, objectId: '11111111-2222-3333-4444-555555555555' })).toBeNull();
    const before = stub.requests.length;
    expect(await dir.findUser({ tenantId: TENANT, objectId: '../users?$filter=x' })).toBeNull();
    expect(stub.requests.length).toBe(before);
  });

  test('R3: a holder of an admin role (transitiveMemberOf directoryRole) is privileged', async () => {
    const dir = new GraphDirectory(options());
    expect((await find(dir, ADELE)).privileged).toBe(true);
    expect((await find(dir, DIEGO)).privileged).toBe(false);
  });

  test('R28: Entra cloud accounts offer no unlock; capabilities state the Entra password rules', async () => {
    const dir = new GraphDirectory(options());
    expect(await dir.unlock(await find(dir, DIEGO))).toEqual({ ok: false, reason: 'not_supported' });
    expect(dir.capabilities()).toEqual({
      kind: 'graph',
      canUnlock: false,
      passwordMinLength: 8,
      passwordMaxLength: 256,
      requiresThreeOfFourClasses: true,
      asciiOnly: true,
    });
  });

  test('R27: a reset PATCHes passwordProfile with the bearer token; the token is cached; change time read back', async () => {
    const clock = new FixedClock(Date.now());
    const dir = new GraphDirectory(options({ clock }));
    const u = await find(dir, MEGAN);
    const tokensBefore = stub.tokensIssued;
    const r = await dir.setPassword(u, 'Lamp canal violet 7', { forceChangeAtNextSignIn: true });
    expect(r.ok).toBe(true);
    expect(stub.passwordIs(MEGAN, 'Lamp canal violet 7')).toBe(true);
    expect(stub.forceChange(MEGAN)).toBe(true);
    expect(stub.passwordChanges(MEGAN)).toBe(1);
    const patch = stub.requests.filter((x) => x.method === 'PATCH').at(-1)!;
    expect(patch.path).toBe(`/v1.0/users/${MEGAN}`);
    expect(patch.body).toEqual({ passwordProfile: { password: '[redacted]', forceChangePasswordNextSignIn: true } });
    expect(patch.authorization).toMatch(/^Bearer stub-/);
    expect(stub.tokensIssued).toBe(tokensBefore); // cached from findUser
    const readBack = await dir.readPasswordChangedAt(u);
    expect(readBack).not.toBe(Date.parse('2026-01-01T08:00:00Z'));
    if (r.ok) expect(r.changedAt).toBe(readBack);
    // Near expiry the token is renewed.
    clock.advance(3600_000 - 60_000);
    await dir.readPasswordChangedAt(u);
    expect(stub.tokensIssued).toBe(tokensBefore + 1);
  });

  test('R27: a revoked token (401) is refreshed once and the call succeeds', async () => {
    const dir = new GraphDirectory(options());
    await find(dir, DIEGO);
    stub.revokeTokens();
    expect((await find(dir, DIEGO)).objectId).toBe(DIEGO);
  });

  test('F13: a 400 password-complexity answer maps to { ok:false, reason:"complexity" } and changes nothing', async () => {
    const dir = new GraphDirectory(options());
    const u = await find(dir, DIEGO);
    const before = stub.passwordChanges(DIEGO);
    expect(await dir.setPassword(u, 'alllowercase', { forceChangeAtNextSignIn: false })).toEqual({ ok: false, reason: 'complexity' });
    expect(stub.passwordChanges(DIEGO)).toBe(before);
  });

  test('F14: 429 Retry-After: 7 → waits at least 7 s, at most 3 tries, exactly one effective change', async () => {
    const dir = new GraphDirectory(options());
    const u = await find(dir, DIEGO);
    const before = stub.passwordChanges(DIEGO);
    const patchesBefore = stub.requests.filter((x) => x.method === 'PATCH').length;
    stub.throttle = { remaining: 1, retryAfter: '7' };
    const r = await dir.setPassword(u, 'Orchid thunder 42', { forceChangeAtNextSignIn: false });
    expect(r.ok).toBe(true);
    const patches = stub.requests.filter((x) => x.method === 'PATCH').slice(patchesBefore);
    expect(patches.map((p) => p.status)).toEqual([429, 204]);
    expect(patches[1]!.at - patches[0]!.at).toBeGreaterThanOrEqual(7000);
    expect(stub.passwordChanges(DIEGO)).toBe(before + 1);
  }, 20_000);

  test('F14: still throttled after 3 tries → directory_throttled, no change (waits observed through an injected sleep)', async () => {
    const waits: number[] = [];
    const dir = new GraphDirectory(options({ sleep: async (ms) => void waits.push(ms) }));
    const u = await find(dir, DIEGO);
    const before = stub.passwordChanges(DIEGO);
    stub.throttle = { remaining: 5, retryAfter: '7' };
    const patchesBefore = stub.requests.filter((x) => x.method === 'PATCH').length;
    await expect(dir.setPassword(u, 'Orchid thunder 43', { forceChangeAtNextSignIn: false })).rejects.toMatchObject({ code: 'directory_throttled' });
    expect(stub.requests.filter((x) => x.method === 'PATCH').length - patchesBefore).toBe(3);
    expect(waits).toEqual([7000, 7000]);
    expect(stub.passwordChanges(DIEGO)).toBe(before);
    stub.throttle = { remaining: 0, retryAfter: '1' };
  });

  test('F12: the PATCH is applied but the answer comes too late → unknown; the read-back shows the change; no second write', async () => {
    const dir = new GraphDirectory(options({ timeoutMs: 500 }));
    const u = await find(dir, MEGAN);
    const before = await dir.readPasswordChangedAt(u);
    const changes = stub.passwordChanges(MEGAN);
    stub.delayAfterApplyMs = 1500;
    try {
      expect(await dir.setPassword(u, 'Tulip harbour 77 orbit', { forceChangeAtNextSignIn: false })).toEqual({ ok: false, reason: 'unknown' });
    } finally {
      stub.delayAfterApplyMs = 0;
    }
    expect(stub.passwordChanges(MEGAN)).toBe(changes + 1);
    const after = await dir.readPasswordChangedAt(u);
    expect(after).not.toBeNull();
    expect(after).toBeGreaterThan(before ?? 0);
    expect(stub.passwordIs(MEGAN, 'Tulip harbour 77 orbit')).toBe(true);
  });

  test('403 and 404 map to SsprError codes; bad client credentials are directory_denied', async () => {
    const dir = new GraphDirectory(options());
    const u = await find(dir, ADELE);
    stub.forbidReset = true;
    try {
      await expect(dir.setPassword(u, 'Orchid thunder 44', { forceChangeAtNextSignIn: false })).rejects.toMatchObject({ code: 'directory_denied' });
    } finally {
      stub.forbidReset = false;
    }
    const ghost: DirectoryUser = { ...u, directoryId: '11111111-2222-3333-4444-555555555555' };
    await expect(dir.setPassword(ghost, 'Orchid thunder 44', { forceChangeAtNextSignIn: false })).rejects.toMatchObject({ code: 'directory_not_found' });
    await expect(dir.readPasswordChangedAt(ghost)).rejects.toBeInstanceOf(SsprError);
    const bad = new GraphDirectory(options({ clientSecret: 'wrong' }));
    await expect(bad.findUser({ tenantId: TENANT, objectId: DIEGO })).rejects.toMatchObject({ code: 'directory_denied' });
    expect(await bad.ping()).toBe(false);
    expect(await dir.ping()).toBe(true);
  });

  test('Retry-After parsing: seconds and HTTP dates', () => {
    expect(retryAfterMs('7', 0)).toBe(7000);
    expect(retryAfterMs(new Date(Date.UTC(2026, 0, 1, 0, 0, 9)).toUTCString(), Date.UTC(2026, 0, 1, 0, 0, 0))).toBe(9000);
    expect(retryAfterMs(null, 0)).toBe(1000);
  });
});
