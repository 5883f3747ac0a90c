import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { LdapDirectory } from '../../adapters/directory/ldapDirectory';
import { DEFAULT_POLICY } from '../../domain/policy/policy';
import { parsePolicy } from '../../bot/config';
import { CONVERSATION_BURST, CONVERSATION_INTERVAL_MS } from '../../adapters/redis/redisSendPacer';
import { SECURITY_ALERT_KINDS } from '../../domain/campaigns/model';
import type { DirectoryUser } from '../../domain/ports/directory';
import { ENV_OVERRIDES, MANIFEST_VERSION, REPO_ROOT } from '../../scripts/lib/appPackage';

const guide = readFileSync(join(REPO_ROOT, 'docs', 'admin-guide.md'), 'utf8');
const configSource = readFileSync(join(REPO_ROOT, 'bot', 'config.ts'), 'utf8');

/** Section of the guide starting at the heading `## n.` up to the next `## `. */
function section(n: number): string {
  const start = guide.indexOf(`\n## ${n}. `);
  if (start < 0) throw new Error(`no section ${n}`);
  const end = guide.indexOf('\n## ', start + 1);
  return guide.slice(start, end < 0 ? undefined : end);
}

/** Names of the EnvSchema keys in bot/config.ts. */
function envNames(): string[] {
  const body = /const EnvSchema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(configSource)?.[1] ?? '';
  return [...body.matchAll(/^\s{2}(\w+):/gm)].map((m) => m[1]!);
}

function policyLeaves(node: unknown, prefix = ''): string[] {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return [prefix];
  return Object.entries(node).flatMap(([k, v]) => policyLeaves(v, prefix ? `${prefix}.${k}` : k));
}

describe('docs/admin-guide.md names only settings that exist, and all of them', () => {
  test('every environment variable of bot/config.ts is documented, and every documented one exists', () => {
    const known = envNames();
    expect(known.length).toBeGreaterThan(40);
    const documented = new Set(
      [...section(6).matchAll(/`([A-Za-z][A-Za-z0-9_]*)`/g)]
        .map((m) => m[1]!)
        .filter((n) => /^[A-Z][A-Z0-9_]+$|^Microsoft/.test(n)),
    );
    for (const name of known) expect([name, documented.has(name)]).toEqual([name, true]);
    for (const name of documented) expect([name, known.includes(name)]).toEqual([name, true]);
  });

  test('every variable named anywhere in the guide exists in bot/config.ts or the package command', () => {
    // MANIFEST_VERSION is the package command's constant, named where the guide explains the version choice; the
    // other two are LDAP protocol names (a control and a matching rule) the Active Directory chapter explains.
    const known = new Set([...envNames(), ...Object.keys(ENV_OVERRIDES), 'MANIFEST_VERSION', 'LDAP_SERVER_POLICY_HINTS', 'LDAP_MATCHING_RULE_IN_CHAIN']);
    const named = [...guide.matchAll(/`([A-Z][A-Z0-9]*_[A-Z0-9_]+|Microsoft[A-Za-z]+)(?:=[^`]*)?`/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(40);
    for (const name of new Set(named)) expect([name, known.has(name)]).toEqual([name, true]);
  });

  test('every policy setting is documented with its default, and every documented setting exists', () => {
    const leaves = policyLeaves(DEFAULT_POLICY);
    const table = section(5);
    const firstCells = [...table.matchAll(/^\| ([^|]+) \|/gm)].map((m) => m[1]!);
    const documented = firstCells.flatMap((cell) => [...cell.matchAll(/`([a-zA-Z]+\.[a-zA-Z.]+)`/g)].map((m) => m[1]!));
    for (const leaf of leaves) expect([leaf, documented.includes(leaf)]).toEqual([leaf, true]);
    for (const d of documented) expect([d, leaves.includes(d)]).toEqual([d, true]);
  });

  test('the Teams client ids, the SSO scope and the manifest version of the package are the ones in the guide', () => {
    expect(guide).toContain('1fec8e78-bce4-4aaf-ab1b-5451cc387264');
    expect(guide).toContain('5e3ce6c0-2b1f-4285-8d4b-75ee78787346');
    expect(guide).toContain('access_as_user');
    expect(guide).toContain(`manifest **v${MANIFEST_VERSION}**`);
  });
});

/** The guide's subsection `### <id>` (up to the next `### ` or `## `). */
function subsection(id: string): string {
  const start = guide.indexOf(`\n### ${id}`);
  if (start < 0) throw new Error(`no subsection ${id}`);
  const rest = guide.slice(start + 1);
  const end = rest.search(/\n##{1,2} /);
  return end < 0 ? rest : rest.slice(0, end);
}
/** A `#### title` part of a subsection. */
function part(text: string, title: string): string {
  const start = text.indexOf(`\n#### ${title}`);
  if (start < 0) throw new Error(`no part "${title}"`);
  const rest = text.slice(start + 1);
  const end = rest.indexOf('\n#### ', 1);
  return end < 0 ? rest : rest.slice(0, end);
}
/** Inline code spans (fenced blocks left out: their backticks would pair up the wrong spans). */
const ticks = (text: string): string[] => [...text.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

describe('docs/admin-guide.md, Active Directory chapter (3c), against the code and the test domain', () => {
  const ad = subsection('3c. Active Directory');

  test('issue 12: it covers rights, certificate trust, reads/writes, fine-grained policies, privileged users, the user mapping and Samba\'s old-password window', () => {
    for (const title of ['The service account', 'The rights to delegate', 'Transport and certificate trust', 'What the bot reads and writes', 'Password policy and fine-grained password policies', 'How privileged users are recognised (R3)', 'Which attribute maps the Teams user (user mapping)', 'Samba as the domain controller: the old password for 60 minutes']) {
      expect(ad).toContain(`#### ${title}`);
    }
    expect(ad).toMatch(/Delegate Control/);
    expect(ad).toMatch(/msDS-ExternalDirectoryObjectId[\s\S]*Samba 4\.17's schema does not have it/);
    expect(ad).toMatch(/old password allowed period/);
  });

  test('R29: the dsacls rights in the guide are exactly the ones the tests\' service account holds on the Samba DC (test/support/samba.ts)', () => {
    // The guide's table names each right with its GUID; the dsacls lines name them as dsacls does.
    const rights = part(ad, 'The rights to delegate');
    const byGuid = new Map<string, string>();
    for (const row of rights.matchAll(/^\| ([^|]+?) +\| [^|]+\| `([0-9a-f-]{36})` +\|/gm)) byGuid.set(row[2]!, row[1]!.replace(/`/g, '').replace(/^Write /, ''));
    const userClass = /The user object class is `([0-9a-f-]{36})`/.exec(rights)?.[1];
    expect(userClass).toBeDefined();
    byGuid.set(userClass!, 'user');
    const documented = new Set(
      [...rights.matchAll(/^dsacls "[^"]+" \/I:([ST]) \/G "[^:]+:([A-Z]+);?([^;"]*);?([^"]*)"$/gm)].map(([, inherit, perm, object, cls]) =>
        [perm === 'CA' ? 'CR' : perm, object, cls, inherit].join(':'),
      ),
    );
    // What the test domain actually delegates: the SDDL ACEs of the populate script, GUIDs resolved by the guide's table.
    const samba = readFileSync(join(REPO_ROOT, 'test', 'support', 'samba.ts'), 'utf8');
    const constants = new Map([...samba.matchAll(/^([A-Z_]+) = '([0-9a-f-]{36})'$/gm)].map((m) => [m[1]!, m[2]!]));
    const format = /^aces = "([^"]+)" % \(\n?\s*([^)]+)\)/m.exec(samba);
    expect(format).not.toBeNull();
    const args = format![2]!.split(',').map((a) => a.trim());
    let next = 0;
    const sddl = format![1]!.replace(/%s/g, () => {
      const name = args[next++]!;
      return name === 'sid' ? 'SID' : constants.get(name) ?? name;
    });
    const granted = new Set(
      [...sddl.matchAll(/\((O?A);([A-Z]*);([A-Z]+);([^;]*);([^;]*);SID\)/g)].map(([, , flags, perms, object, inherited]) => {
        const inherit = flags === 'CIIO' && inherited ? 'S' : flags === 'CI' ? 'T' : `?${flags}`;
        const perm = perms === 'RPLCLORC' ? 'GR' : perms;
        return [perm, object ? byGuid.get(object) ?? object : '', inherited ? byGuid.get(inherited) ?? inherited : '', inherit].join(':');
      }),
    );
    expect(granted.size).toBe(4);
    expect([...documented].sort()).toEqual([...granted].sort());
    expect([...granted].sort()).toEqual(['CR:Reset Password:user:S', 'GR:::T', 'WP:lockoutTime:user:S', 'WP:pwdLastSet:user:S']);
  });

  test('R28 R29: "what the bot reads and writes" lists exactly the attributes the AD dialect asks a DC for and the ones it modifies', async () => {
    const read = new Set<string>();
    const written = new Set<string>();
    const entry = (pso: boolean) => ({
      dn: 'CN=u1,OU=Staff,DC=contoso,DC=example',
      userAccountControl: '512',
      pwdLastSet: '133000000000000000',
      sAMAccountName: 'u1',
      ...(pso ? { 'msDS-ResultantPSO': 'CN=PSO,CN=Password Settings Container,CN=System,DC=contoso,DC=example' } : {}),
      employeeNumber: '6e7b768e-07e2-4810-8459-485f84f8f204',
    });
    let withPso = true;
    const spies = [
      jest.spyOn(Client.prototype, 'bind').mockResolvedValue(undefined),
      jest.spyOn(Client.prototype, 'unbind').mockResolvedValue(undefined),
      jest.spyOn(Client.prototype, 'search').mockImplementation(async (_base, o) => {
        for (const a of o?.attributes ?? []) read.add(a);
        return { searchEntries: [entry(withPso)], searchReferences: [] };
      }),
      jest.spyOn(Client.prototype, 'searchPaginated').mockImplementation(async function* (_base: string, o?: { attributes?: string[] }) {
        for (const a of o?.attributes ?? []) read.add(a);
        yield { searchEntries: [entry(withPso)], searchReferences: [] } as never;
      } as never),
      jest.spyOn(Client.prototype, 'modify').mockImplementation(async (_dn, changes) => {
        for (const c of Array.isArray(changes) ? changes : [changes]) written.add(c.modification.type);
      }),
    ];
    try {
      const dir = new LdapDirectory({ url: 'ldaps://dc1.contoso.example', dialect: 'ad', bindDn: 'svc-sspr@contoso.example', bindPassword: 'x', baseDn: 'OU=Staff,DC=contoso,DC=example', privilegedGroups: ['CN=SSPR Privileged,OU=Groups,DC=contoso,DC=example'] });
      const user = (await dir.findUser({ tenantId: 't', objectId: '6e7b768e-07e2-4810-8459-485f84f8f204' })) as DirectoryUser;
      expect(user).not.toBeNull();
      await dir.readPasswordChangedAt(user);
      await dir.readPasswordExpiry(user);
      withPso = false;
      await dir.readPasswordExpiry(user);
      await dir.readLockout(user);
      await dir.readContacts(user);
      await dir.scanUsers(null, 10);
      await dir.setPassword(user, 'New-Password-Long-1', { forceChangeAtNextSignIn: true });
      await dir.unlock(user);
    } finally {
      for (const s of spies) s.mockRestore();
    }
    const text = part(ad, 'What the bot reads and writes');
    const [readsText, writesText] = text.split('\nWrites, one modify per action:');
    const documentedReads = new Set(ticks(readsText!).filter((n) => /^[a-zA-Z][\w-]*$/.test(n) && n !== 'LDAP_MATCHING_RULE_IN_CHAIN' && n !== 'LDAP_BASE_DN' && n !== 'LDAP_USER_ID_ATTRIBUTE'));
    documentedReads.add('employeeNumber'); // the default of LDAP_USER_ID_ATTRIBUTE, named there by the variable
    const documentedWrites = new Set(ticks(writesText!.split('\nNothing else')[0]!).filter((n) => /^[a-zA-Z]+$/.test(n) && n !== 'LDAP_SERVER_POLICY_HINTS'));
    expect([...read].sort()).toEqual([...documentedReads].sort());
    expect([...written].sort()).toEqual([...documentedWrites].sort());
  });

  test('every policy setting and variable the AD chapter names exists', () => {
    const leaves = policyLeaves(DEFAULT_POLICY);
    const policyNames = ticks(ad).filter((n) => /^[a-z]+\.[a-zA-Z]+$/.test(n) && Object.keys(DEFAULT_POLICY).includes(n.split('.')[0]!));
    expect(policyNames.length).toBeGreaterThan(1);
    for (const n of policyNames) expect([n, leaves.includes(n)]).toEqual([n, true]);
    const vars = ticks(ad).map((n) => n.split('=')[0]!).filter((n) => /^LDAP_[A-Z_]+$/.test(n) && !['LDAP_SERVER_POLICY_HINTS', 'LDAP_MATCHING_RULE_IN_CHAIN'].includes(n));
    expect(vars.length).toBeGreaterThan(4);
    for (const n of vars) expect([n, envNames().includes(n)]).toEqual([n, true]);
  });
});

/** A policy file that sets one leaf (a dotted path) to a value. */
function policyWith(path: string, value: unknown): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const parts = path.split('.');
  let node = root;
  for (const p of parts.slice(0, -1)) node = (node[p] = {});
  node[parts[parts.length - 1]!] = value;
  return root;
}
function leafValue(path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], DEFAULT_POLICY);
}

describe('docs/admin-guide.md, proactive campaigns (issue 13 acceptance 5), against the config schema and the code', () => {
  const campaigns = section(11);
  const leaves = policyLeaves(DEFAULT_POLICY);

  test('every campaigns.* setting in the policy table is one the policy file schema accepts (a renamed setting fails here)', () => {
    const documented = [...section(5).matchAll(/^\| `(campaigns\.[a-zA-Z.]+)` \|/gm)].map((m) => m[1]!);
    expect(documented.length).toBeGreaterThan(25);
    for (const path of documented) {
      // The schema is strict: an unknown (renamed) key is refused; the default value must pass its own bounds.
      let problem = '';
      try {
        parsePolicy(policyWith(path, path.endsWith('audience.groups') ? ['0a7c1e52-3f4b-4d6a-9e8f-1b2c3d4e5f60'] : leafValue(path)));
      } catch (e) {
        problem = (e as Error).message;
      }
      expect([path, problem]).toEqual([path, '']);
    }
    // And the check can fail: a name that is not in the schema is refused.
    expect(() => parsePolicy(policyWith('campaigns.expiry.daysAhead', [14]))).toThrow(/campaigns\.expiry/);
  });

  test('every setting the campaigns chapter names exists: dotted paths are policy settings, bare names are the last part of one', () => {
    const named = ticks(campaigns);
    const dotted = named.filter((n) => /^[a-z][a-zA-Z]*(\.[a-z][a-zA-Z]*)+$/.test(n));
    const bare = named.filter((n) => /^[a-z]+[A-Z][a-zA-Z]*$/.test(n));
    expect(dotted.length).toBeGreaterThan(5);
    expect(bare.length).toBeGreaterThan(5);
    // A dotted name is a full path (`campaigns.expiry.daysBefore`) or the tail of one (`audience.excludeGroups`).
    for (const n of dotted) expect([n, leaves.some((l) => l === n || l.endsWith(`.${n}`))]).toEqual([n, true]);
    // Other names in code spans are the delivery code's (activity fields, client options) — not policy settings, so
    // a renamed setting still fails: the worker and the pacer never spell a policy leaf.
    const deliveryCode = ['bot/worker/delivery.ts', 'bot/worker/connectorChannel.ts', 'bot/teamsSender.ts', 'bot/api/campaignWebhook.ts', 'domain/campaigns/inDoubt.ts', 'domain/campaigns/model.ts']
      .map((f) => readFileSync(join(REPO_ROOT, f), 'utf8'))
      .join('\n');
    const codeName = (n: string): boolean => new RegExp(`\\b${n}\\b`).test(deliveryCode);
    for (const n of bare) expect([n, leaves.some((l) => l.endsWith(`.${n}`)) || codeName(n)]).toEqual([n, true]);
  });

  test('it documents each campaign, every E2 alert kind, the worker deployment (how many, where) and the Teams limits the pacer holds', () => {
    for (const c of ['E3 expiry', 'E4 lockout', 'A4 registration', 'A4 re-confirmation', 'E2 security alerts']) expect(campaigns).toContain(`| ${c} |`);
    for (const k of SECURITY_ALERT_KINDS) expect([k, campaigns.includes(`\`${k}\``) || section(5).includes(`\`${k}\``)]).toEqual([k, true]);
    const deployment = /\*\*Deployment\.\*\*([\s\S]*?)\n\n/.exec(campaigns)?.[1] ?? '';
    expect(deployment).toContain('npm run worker');
    expect(deployment).toMatch(/as many as\s+you like/);
    expect(deployment).toMatch(/Two workers are enough/);
    expect(deployment).toMatch(/same network as Redis/);
    expect(deployment).toContain('CAMPAIGN_WORKER_ROLES');
    const limits = /\*\*Teams limits it respects\.\*\*([\s\S]*?)\n\n/.exec(campaigns)?.[1] ?? '';
    for (const l of ['7 per second', '8 per 2 s', '60 per 30 s', '1,800 per hour', 'Retry-After', 'CAMPAIGN_TENANT_RATE']) expect(limits).toContain(l);
    // The GCRA numbers in the guide are the pacer's.
    expect(limits).toContain(`a send every ${(CONVERSATION_INTERVAL_MS / 1000).toFixed(2)} s with a burst of ${CONVERSATION_BURST}`);
  });
});
