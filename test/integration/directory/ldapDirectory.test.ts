import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Client, Change, Attribute } from 'ldapts';
import { LdapDirectory, parseFileTime, parseGeneralizedTime, type LdapDirectoryOptions } from '../../../adapters/directory/ldapDirectory';
import { SsprError } from '../../../domain/errors';
import type { DirectoryUser } from '../../../domain/ports/directory';
import { Slapd, SLAPD_BASE, SLAPD_PRIVILEGED_GROUP, SLAPD_ROOT_DN, SLAPD_ROOT_PASSWORD, SLAPD_SERVICE_DN, SLAPD_SERVICE_PASSWORD } from '../../support/slapd';
import { freePort } from '../../support/redisServer';

const TENANT = '00000000-0000-0000-0000-000000000001';
const users = [
  { uid: 'megan', objectId: '6e7b768e-07e2-4810-8459-485f84f8f204', givenName: 'Megan', surname: 'Bowen', password: 'Old-Megan-Pass-1', mobile: '+31612345678' },
  { uid: 'adele', objectId: 'a1f0e0c4-5d2b-4a8e-b0f3-9c6d2e7f1b33', givenName: 'Adele', surname: 'Vance', password: 'Old-Adele-Pass-1' },
  { uid: 'joni', objectId: '3d9c2b71-8e4f-4f0a-a6b2-5e1c7d9f0a44', givenName: 'Joni', surname: 'Sherman', password: 'Old-Joni-Pass-1' },
  { uid: 'lidia', objectId: 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21', givenName: 'Lidia', surname: 'Holloway', password: 'Old-Lidia-Pass-1' },
  { uid: 'pradeep', objectId: '8b4e6f2a-1c3d-4e5f-9a0b-7c8d9e0f1a55', givenName: 'Pradeep', surname: 'Gupta', password: 'Old-Pradeep-Pass-1' },
  { uid: 'diego', objectId: 'f5a3c1e9-7b2d-4c6e-8f0a-1b3d5e7f9c66', givenName: 'Diego', surname: 'Siciliani', password: 'Old-Diego-Pass-1' },  // The id forms other tools write into LDAP_USER_ID_ATTRIBUTE (employeeNumber here): braces + upper case, and
  // Entra Connect's msDS-ExternalDirectoryObjectId form User_<guid> (the attribute Samba 4.17's schema lacks).
  { uid: 'braces', objectId: '{0B1C2D3E-4F50-4612-8734-A5B6C7D8E9F0}', givenName: 'Brace', surname: 'Form', password: 'Old-Brace-Pass-1' },
  { uid: 'connect', objectId: 'User_9e8d7c6b-5a49-4837-a261-0f1e2d3c4b5a', givenName: 'Connect', surname: 'Form', password: 'Old-Connect-Pass-1' },
];
const byUid = (uid: string) => users.find((u) => u.uid === uid)!;

let slapd: Slapd;
let dir: LdapDirectory;

function options(over: Partial<LdapDirectoryOptions> = {}): LdapDirectoryOptions {
  return {
    url: slapd.url,
    dialect: 'openldap',
    bindDn: SLAPD_SERVICE_DN,
    bindPassword: SLAPD_SERVICE_PASSWORD,
    baseDn: `ou=people,${SLAPD_BASE}`,
    allowInsecure: true,
    privilegedGroups: [SLAPD_PRIVILEGED_GROUP],
    timeoutMs: 3000,
    ...over,
  };
}

async function find(uid: string, d: LdapDirectory = dir): Promise<DirectoryUser> {
  const u = await d.findUser({ tenantId: TENANT, objectId: byUid(uid).objectId });
  if (!u) throw new Error(`fixture ${uid} not found`);
  return u;
}

async function asRoot<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ url: slapd.url });
  try {
    await c.bind(SLAPD_ROOT_DN, SLAPD_ROOT_PASSWORD);
    return await fn(c);
  } finally {
    await c.unbind();
  }
}

beforeAll(async () => {
  slapd = new Slapd({ users, privileged: ['adele'], pwdMinLength: 10, pwdInHistory: 3, pwdMaxFailure: 3, tls: true });
  await slapd.start();
  dir = new LdapDirectory(options());
});

afterAll(async () => {
  await slapd?.stop();
});

describe('LdapDirectory against a real slapd with ppolicy', () => {
  test('R2: finds the user by the attribute holding the Entra object id, with names, mobile and groups', async () => {
    const u = await find('megan');
    expect(u).toMatchObject({
      directoryId: slapd.userDn('megan'),
      objectId: byUid('megan').objectId,
      userPrincipalName: 'megan@contoso.example',
      displayName: 'Megan Bowen',
      givenName: 'Megan',
      surname: 'Bowen',
      enabled: true,
      locked: false,
      privileged: false,
      mobilePhone: '+31612345678',
    });
    // R32: groups by DN and entryUUID, never by cn.
    expect(u.groups).toContain(`cn=Staff,ou=groups,${SLAPD_BASE}`);
    expect(u.groups).not.toContain('Staff');
    expect(await dir.findUser({ tenantId: TENANT, objectId: '00000000-dead-beef-0000-000000000000' })).toBeNull();
    expect((await dir.findByPrincipalName('lidia@contoso.example'))?.objectId).toBe(byUid('lidia').objectId);
  });

  test('R2: the object id is found in the forms directories hold it: bare in any case, {braces}, Entra Connect\'s User_<guid>', async () => {
    const found = async (id: string) => (await dir.findUser({ tenantId: TENANT, objectId: id }))?.directoryId ?? null;
    expect(await found('6E7B768E-07E2-4810-8459-485F84F8F204')).toBe(slapd.userDn('megan'));
    expect(await found('0b1c2d3e-4f50-4612-8734-a5b6c7d8e9f0')).toBe(slapd.userDn('braces'));
    expect(await found('9e8d7c6b-5a49-4837-a261-0f1e2d3c4b5a')).toBe(slapd.userDn('connect'));
    // …but only a GUID is looked up: the stored forms themselves, or the source anchor, are not an object id.
    expect(await found('User_9e8d7c6b-5a49-4837-a261-0f1e2d3c4b5a')).toBeNull();
    expect(await found('{0b1c2d3e-4f50-4612-8734-a5b6c7d8e9f0}')).toBeNull();
  });

  test('R2: filter values are escaped (RFC 4515): a wildcard or injected filter matches nobody', async () => {
    expect(await dir.findUser({ tenantId: TENANT, objectId: '*' })).toBeNull();
    expect(await dir.findUser({ tenantId: TENANT, objectId: `${byUid('megan').objectId})(|(uid=*)` })).toBeNull();
    expect(await dir.findByPrincipalName('*)(uid=*')).toBeNull();
  });
  test('R28: an account locked permanently by an administrator is reported disabled and not unlocked', async () => {
    const dn = slapd.userDn('pradeep');
    await asRoot((c) =>
      c.modify(dn, [new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdAccountLockedTime', values: ['000001010000Z'] }) })]),
    );
    const u = await find('pradeep');
    expect(u).toMatchObject({ enabled: false, locked: false });
    expect(await dir.unlock(u)).toEqual({ ok: false, reason: 'not_supported' });
    expect((await slapd.rootRead(dn, ['pwdAccountLockedTime']))['pwdAccountLockedTime']).toEqual(['000001010000Z']);
  });

  test('R29: plain ldap:// is refused without allowInsecure; root-like bind DNs and plain AD are refused', () => {
    const refused = (o: Partial<LdapDirectoryOptions>) => {
      try {
        new LdapDirectory(options(o));
        return null;
      } catch (e) {
        return e instanceof SsprError ? e.code : 'other';
      }
    };
    expect(refused({ allowInsecure: false })).toBe('config_invalid');
    expect(refused({ allowInsecure: undefined })).toBe('config_invalid');
    expect(refused({ bindDn: SLAPD_ROOT_DN })).toBe('config_invalid');
    expect(refused({ dialect: 'ad' })).toBe('config_invalid');
    expect(refused({ allowInsecure: false, startTls: true, ca: 'x' })).toBeNull();
    expect(refused({ url: `ldaps://localhost:1`, allowInsecure: false })).toBeNull();
  });

  test('R29: StartTLS and LDAPS with the self-signed CA work; without the CA the certificate is rejected', async () => {
    const ca = readFileSync(slapd.caFile);
    const startTls = new LdapDirectory(options({ url: slapd.url.replace('127.0.0.1', 'localhost'), startTls: true, allowInsecure: false, caFile: slapd.caFile }));
    expect(await startTls.ping()).toBe(true);
    expect((await find('adele', startTls)).privileged).toBe(true);
    const ldaps = new LdapDirectory(options({ url: slapd.ldapsUrl, allowInsecure: false, ca }));
    expect(await ldaps.ping()).toBe(true);
    const untrusted = new LdapDirectory(options({ url: slapd.ldapsUrl, allowInsecure: false }));
    expect(await untrusted.ping()).toBe(false);
    await expect(untrusted.findUser({ tenantId: TENANT, objectId: byUid('adele').objectId })).rejects.toMatchObject({ code: 'directory_unavailable' });
  });

  test('R29: a wrong service-account password is a clear directory_denied error', async () => {
    const bad = new LdapDirectory(options({ bindPassword: 'wrong' }));
    await expect(bad.findUser({ tenantId: TENANT, objectId: byUid('adele').objectId })).rejects.toMatchObject({ code: 'directory_denied' });
    expect(await bad.ping()).toBe(false);
  });

  test('F12: the directory applies the change but the answer never arrives → unknown, then the read-back shows the change', async () => {
    const proxy = await startBlackholeProxy(slapd.port);
    try {
      const slow = new LdapDirectory(options({ url: `ldap://127.0.0.1:${proxy.port}`, timeoutMs: 800 }));
      const u = await find('adele');
      const before = await dir.readPasswordChangedAt(u);
      const r = await slow.setPassword(u, 'Tulip harbour 77 orbit', { forceChangeAtNextSignIn: false });
      expect(r).toEqual({ ok: false, reason: 'unknown' });
      const readBack = await dir.readPasswordChangedAt(u);
      expect(readBack).not.toBeNull();
      expect(readBack).not.toBe(before);
      expect(await slapd.canBind('adele', 'Tulip harbour 77 orbit')).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  test('time attribute parsing: generalized time and AD FILETIME', () => {
    expect(parseGeneralizedTime('20261125093000Z')).toBe(Date.UTC(2026, 10, 25, 9, 30, 0));
    expect(parseGeneralizedTime('20261125093000.250Z')).toBe(Date.UTC(2026, 10, 25, 9, 30, 0, 250));
    expect(parseFileTime('0')).toBeNull();
    expect(parseFileTime('134116542000000000')).toBe(Date.UTC(2025, 11, 31, 11, 30, 0));
  });
});

/** A TCP proxy that passes the first server answer (the bind) and then swallows every later one. */
async function startBlackholeProxy(targetPort: number): Promise<{ port: number; close: () => Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let answers = 0;
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (answers++ === 0) client.write(d);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
