import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphDirectory } from '../../adapters/directory/graphDirectory';
import { LdapDirectory } from '../../adapters/directory/ldapDirectory';
import { Slapd, SLAPD_BASE, SLAPD_PRIVILEGED_GROUP, SLAPD_SERVICE_DN, SLAPD_SERVICE_PASSWORD } from '../support/slapd';
import { startApp, type RunningApp } from '../support/appHarness';
import { GraphStub } from '../support/graphStub';
import { startRedis, type RedisServer } from '../support/redisServer';
import { runHelpdeskKeys } from '../../scripts/helpdeskKeys';

/**
 * R32 "a display name never authorises anything", performed as an attacker would on Entra: any user may create a
 * group, so Mallory creates one called "SSPR Helpdesk" — the display name of the real helpdesk group — and one
 * whose display name is the helpdesk group's object id (the form the policy names groups in), and joins both. The real app with the real Graph adapter (against a local Graph that speaks the documented API: Graph
 * is not reachable from here), a private real Redis, and the ITSM API over HTTP naming her as the agent.
 */
const HELPDESK_GROUP = '5fc16da7-8e90-4cbf-8d34-60718293a4b5';
const TIER1_GROUP = '7a3e9c1d-2b4f-4e6a-8c0d-1f2e3d4c5b6a'; // nested in the helpdesk group
const IMPOSTOR_GROUP = '9d8c7b6a-5f4e-4d3c-8b2a-1a0f9e8d7c6b';
const IMPOSTOR_GROUP2 = '9d8c7b6a-5f4e-4d3c-8b2a-1a0f9e8d7c6c';
const GROUP_NAME = 'SSPR Helpdesk';
const MALLORY = { id: 'aaaaaaaa-0000-4000-8000-000000000001', upn: 'mallory@contoso.example' };
const DIEGO = { id: 'aaaaaaaa-0000-4000-8000-000000000002', upn: 'diego@contoso.example' };
const NESTOR = { id: 'aaaaaaaa-0000-4000-8000-000000000003', upn: 'nestor@contoso.example' };
const MEGAN = { id: 'aaaaaaaa-0000-4000-8000-000000000004', upn: 'megan@contoso.example' };

let graph: GraphStub;
let redis: RedisServer;
let running: RunningApp;
let dir: string;
let key: string;

beforeAll(async () => {
  graph = new GraphStub([
    {
      id: MALLORY.id,
      displayName: 'Mallory',
      userPrincipalName: MALLORY.upn,
      // Her groups: one named like the helpdesk group, one whose display name is the helpdesk group's object id.
      groups: [
        { id: IMPOSTOR_GROUP, displayName: GROUP_NAME },
        { id: IMPOSTOR_GROUP2, displayName: HELPDESK_GROUP },
      ],
      password: 'x-Mallory-1',
    },
    {
      id: DIEGO.id,
      displayName: 'Diego',
      userPrincipalName: DIEGO.upn,
      groups: [{ id: HELPDESK_GROUP, displayName: GROUP_NAME }],
      password: 'x-Diego-1',
    },
    {
      id: NESTOR.id,
      displayName: 'Nestor',
      userPrincipalName: NESTOR.upn,
      groups: [{ id: TIER1_GROUP, displayName: 'Service Desk Tier 1' }],
      nestedGroups: [{ id: HELPDESK_GROUP, displayName: GROUP_NAME }],
      password: 'x-Nestor-1',
    },
    { id: MEGAN.id, displayName: 'Megan', userPrincipalName: MEGAN.upn, password: 'x-Megan-1' },
  ]);
  await graph.start();
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'sspr-r32-'));
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ helpdesk: { agentGroups: [HELPDESK_GROUP.toUpperCase()] } }));
  const directory = new GraphDirectory({
    tenantId: graph.tenantId,
    clientId: graph.clientId,
    clientSecret: graph.clientSecret,
    baseUrl: graph.baseUrl,
    authorityHost: graph.authorityHost,
    timeoutMs: 2000,
  });
  running = await startApp(
    { REDIS_URL: redis.url, POLICY_FILE: policyFile, ALLOWED_TENANTS: graph.tenantId },
    { services: { directory } },
  );
  let out = '';
  expect(
    await runHelpdeskKeys(
      ['create', '--name', 'ServiceNow', '--scopes', 'handoffs:write', '--json'],
      { REDIS_URL: redis.url },
      { out: (s) => (out += s), err: () => undefined },
    ),
  ).toBe(0);
  key = (JSON.parse(out) as { key: string }).key;
});

afterAll(async () => {
  await running?.close();
  await redis?.destroy();
  await graph?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function handoff(
  agent: string,
  app: RunningApp = running,
  apiKey: string = key,
  user: string = MEGAN.upn,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${app.baseUrl}/api/helpdesk/handoffs`, {
    method: 'POST',
    headers: {
      authorization: `ApiKey ${apiKey}`,
      'content-type': 'application/json',
      'idempotency-key': `idem-${Math.random().toString(36).slice(2)}`,
    },
    body: JSON.stringify({ user, purpose: 'reset', agent }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('R32: helpdesk agents by group object id, transitively (Graph)', () => {
  test("R32 attack: groups created with the helpdesk group's display name, or with its object id as display name, make no agent; the real member and a member through a nested group still are", async () => {
    expect(await handoff(MALLORY.upn)).toEqual({ status: 403, body: { error: 'agent_not_allowed' } });
    // The adapter asks for ids only, transitively: no display name is even read.
    const groupReads = graph.requests.filter((r) => r.path.includes('MemberOf/microsoft.graph.group'));
    expect(groupReads.length).toBeGreaterThan(0);
    for (const r of groupReads)
      expect(decodeURIComponent(r.path)).toMatch(/\/transitiveMemberOf\/microsoft\.graph\.group\?\$select=id$/);
    const direct = await handoff(DIEGO.upn);
    expect(direct.status).toBe(201);
    const nested = await handoff(NESTOR.upn);
    expect(nested.status).toBe(201);
  });
});

/**
 * The same on OpenLDAP (a real slapd): Mallory may create groups in the `ou=projects` subtree, so she creates
 * `cn=SSPR Helpdesk,ou=projects,…` — the real helpdesk group's cn, in another OU — and joins it. The policy names the
 * real group by DN and by entryUUID; membership is followed through a nested group.
 */
describe('R32: helpdesk agents by group DN / entryUUID, transitively (OpenLDAP)', () => {
  const groups = `ou=groups,${SLAPD_BASE}`;
  const people = `ou=people,${SLAPD_BASE}`;
  const realGroup = `cn=SSPR Helpdesk,${groups}`;
  const users = [
    {
      uid: 'mallory',
      objectId: 'bbbbbbbb-0000-4000-8000-000000000001',
      givenName: 'Mallory',
      surname: 'Attacker',
      password: 'x-Mallory-Pass-1',
    },
    {
      uid: 'diego',
      objectId: 'bbbbbbbb-0000-4000-8000-000000000002',
      givenName: 'Diego',
      surname: 'Siciliani',
      password: 'x-Diego-Pass-1',
    },
    {
      uid: 'nestor',
      objectId: 'bbbbbbbb-0000-4000-8000-000000000003',
      givenName: 'Nestor',
      surname: 'Tier',
      password: 'x-Nestor-Pass-1',
    },
    {
      uid: 'megan',
      objectId: 'bbbbbbbb-0000-4000-8000-000000000004',
      givenName: 'Megan',
      surname: 'Bowen',
      password: 'x-Megan-Pass-1',
    },
  ];
  let slapd: Slapd;
  let ldapRedis: RedisServer;
  let app: RunningApp;
  let ldapKey: string;
  let ldapDir: string;
  let directory: LdapDirectory;

  beforeAll(async () => {
    slapd = new Slapd({
      users,
      extraEntries: [
        `dn: ou=projects,${SLAPD_BASE}\nobjectClass: organizationalUnit\nou: projects`,
        `dn: cn=SSPR Helpdesk,ou=projects,${SLAPD_BASE}\nobjectClass: groupOfNames\ncn: SSPR Helpdesk\nmember: uid=mallory,${people}`,
        `dn: cn=Service Desk Tier 1,${groups}\nobjectClass: groupOfNames\ncn: Service Desk Tier 1\nmember: uid=nestor,${people}`,
        `dn: ${realGroup}\nobjectClass: groupOfNames\ncn: SSPR Helpdesk\nmember: uid=diego,${people}\nmember: cn=Service Desk Tier 1,${groups}`,
      ],
    });
    await slapd.start();
    const uuid = (await slapd.rootRead(realGroup, ['entryUUID'])).entryUUID?.[0] ?? '';
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    ldapRedis = await startRedis();
    ldapDir = mkdtempSync(join(tmpdir(), 'sspr-r32-ldap-'));
    const policyFile = join(ldapDir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ helpdesk: { agentGroups: [uuid, realGroup.toUpperCase()] } }));
    directory = new LdapDirectory({
      url: slapd.url,
      dialect: 'openldap',
      bindDn: SLAPD_SERVICE_DN,
      bindPassword: SLAPD_SERVICE_PASSWORD,
      baseDn: people,
      allowInsecure: true,
      privilegedGroups: [SLAPD_PRIVILEGED_GROUP],
      timeoutMs: 3000,
    });
    app = await startApp(
      { REDIS_URL: ldapRedis.url, POLICY_FILE: policyFile, ALLOWED_TENANTS: graph.tenantId },
      { services: { directory } },
    );
    let out = '';
    expect(
      await runHelpdeskKeys(
        ['create', '--name', 'ServiceNow', '--scopes', 'handoffs:write', '--json'],
        { REDIS_URL: ldapRedis.url },
        { out: (s) => (out += s), err: () => undefined },
      ),
    ).toBe(0);
    ldapKey = (JSON.parse(out) as { key: string }).key;
  });

  afterAll(async () => {
    await app?.close();
    await ldapRedis?.destroy();
    await slapd?.stop();
    rmSync(ldapDir, { recursive: true, force: true });
  });

  test("R32 attack: a group with the helpdesk group's cn in another OU makes no agent; the real member and a member through a nested group still are", async () => {
    const mallory = await directory.findByPrincipalName('mallory@contoso.example');
    expect(mallory!.groups).toContain(`cn=SSPR Helpdesk,ou=projects,${SLAPD_BASE}`);
    expect(mallory!.groups).not.toContain('SSPR Helpdesk');
    expect(await handoff('mallory@contoso.example', app, ldapKey, 'megan@contoso.example')).toEqual({
      status: 403,
      body: { error: 'agent_not_allowed' },
    });
    expect((await handoff('diego@contoso.example', app, ldapKey, 'megan@contoso.example')).status).toBe(201);
    expect((await handoff('nestor@contoso.example', app, ldapKey, 'megan@contoso.example')).status).toBe(201);
  });
});
