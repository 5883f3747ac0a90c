import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import type { LdapDirectoryOptions } from '../../adapters/directory/ldapDirectory';

/**
 * A throwaway Samba 4 Active Directory domain controller for tests (Debian's samba-ad-dc, a real AD DC).
 *
 * - Installs samba when missing (as root with apt-get, waiting for the dpkg lock) or fails with the exact command.
 * - Provisions once per machine into a cached template (/var/tmp/sspr-samba-<hash>, ~30 s), then every run copies
 *   the template and starts `samba -i -M single` with only the LDAP service, bound to its own loopback address
 *   (127.0.0.53 and up; Samba's ports are fixed, so it needs an address of its own).
 * - The domain SSPR.TEST has a password policy (complexity, length 10, history 5, minimum age 0, maximum age 42
 *   days, lockout after 3 bad passwords for 30 min), OUs Staff / Bulk / Services / Groups, fixture users per
 *   "set" (so test files sharing one DC never touch each other's accounts), 1,000 bulk users, a fine-grained
 *   password policy (PSO), and a least-privilege service account with ACEs on the Staff and Bulk OUs only:
 *   reset password, write lockoutTime and pwdLastSet — never a member of any privileged group.
 * - Samba does not run SDProp (AdminSDHolder), so the helper does what SDProp does on Windows: protected
 *   accounts (Domain Admins members, adminCount=1, and a "vip" account) get an explicit, inheritance-protected
 *   security descriptor, so the OU delegation does not reach them.
 * - One DC per jest run: `sharedSamba()` starts it lazily in the first worker that needs it (a lock in the run
 *   directory that test/support/globalSetup.js creates); test/support/globalTeardown.js stops it.
 */

export const SAMBA_REALM = 'SSPR.TEST';
export const SAMBA_NETBIOS = 'SSPR';
export const SAMBA_FQDN = 'dc1.sspr.test';
export const SAMBA_BASE = 'DC=sspr,DC=test';
export const SAMBA_STAFF_OU = `OU=Staff,${SAMBA_BASE}`;
export const SAMBA_BULK_OU = `OU=Bulk,${SAMBA_BASE}`;
export const SAMBA_GROUPS_OU = `OU=Groups,${SAMBA_BASE}`;
export const SAMBA_SERVICES_OU = `OU=Services,${SAMBA_BASE}`;
export const SAMBA_SERVICE_DN = `CN=svc-sspr,${SAMBA_SERVICES_OU}`;
export const SAMBA_SERVICE_UPN = `svc-sspr@sspr.test`;
export const SAMBA_SERVICE_PASSWORD = 'Svc-Delegated-Only-2026!';
/** Only used by the template build (provisioning needs it); the bot and the tests' assertions never bind as it. */
const ADMIN_PASSWORD = 'Adm1n-Only-For-Provisioning!';
/** Comma-containing DN of the organisation's own privileged group (the R3 config-parsing defect). */
export const SAMBA_PRIVILEGED_GROUP = `CN=SSPR Privileged,${SAMBA_GROUPS_OU}`;
export const SAMBA_SCOPE_GROUP = `CN=SSPR Users,${SAMBA_GROUPS_OU}`;
export const SAMBA_AGENT_GROUP = `CN=SSPR Helpdesk,${SAMBA_GROUPS_OU}`;
export const SAMBA_BULK_USERS = 1000;
/** Domain policy, as provisioned. */
export const SAMBA_POLICY = { minLength: 10, history: 5, lockoutThreshold: 3, maxAgeDays: 42, psoMaxAgeDays: 10 } as const;

export type SambaRole =
  | 'normal'
  | 'locked'
  | 'disabled'
  | 'mustchange'
  | 'domadmin'
  | 'admincount'
  | 'nested'
  | 'agent'
  | 'vip'
  | 'pso'
  | 'outscope'
  | 'spare';
export const SAMBA_ROLES: readonly SambaRole[] = ['normal', 'locked', 'disabled', 'mustchange', 'domadmin', 'admincount', 'nested', 'agent', 'vip', 'pso', 'outscope', 'spare'];
/** Fixture sets: one per test file that writes to the DC. */
export const SAMBA_SETS = ['ls', 'st', 'e2e', 'svc', 'rd'] as const;
export type SambaSet = (typeof SAMBA_SETS)[number];

export interface SambaUser {
  readonly sam: string;
  readonly dn: string;
  readonly upn: string;
  /** employeeNumber: the Entra object id the bot maps users by. */
  readonly objectId: string;
  readonly password: string;
  readonly givenName: string;
  readonly surname: string;
  readonly mobile: string;
  readonly otherMobile: string;
  readonly telephone: string;
  readonly otherMailbox: string;
}

function guidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The fixture user of one set and role (deterministic). */
export function sambaUser(set: SambaSet, role: SambaRole): SambaUser {
  const sam = `${set}-${role}`;
  const n = SAMBA_SETS.indexOf(set) * 100 + SAMBA_ROLES.indexOf(role);
  const ou = role === 'outscope' ? `CN=Users,${SAMBA_BASE}` : SAMBA_STAFF_OU;
  return {
    sam,
    dn: `CN=${sam},${ou}`,
    upn: `${sam}@sspr.test`,
    objectId: guidFrom(`sspr-samba-${sam}`),
    password: `Start-${set}-${role}-2026!`,
    givenName: role[0]!.toUpperCase() + role.slice(1),
    surname: set.toUpperCase(),
    mobile: `+31 6 1${String(n).padStart(3, '0')} 0001`,
    otherMobile: `+32 470 ${String(n).padStart(3, '0')} 002`,
    telephone: `+31 20 ${String(n).padStart(3, '0')} 0003`,
    otherMailbox: `${sam}@home.example`,
  };
}

export function bulkUser(i: number): { sam: string; dn: string; objectId: string } {
  const sam = `bulk${String(i).padStart(5, '0')}`;
  return { sam, dn: `CN=${sam},${SAMBA_BULK_OU}`, objectId: guidFrom(`sspr-samba-${sam}`) };
}

// ---------------------------------------------------------------------------------------------------------------
// Installation

const SAMBA_PACKAGES = ['samba', 'samba-ad-dc', 'samba-ad-provision', 'winbind', 'ldb-tools', 'krb5-user'];
const INSTALL_COMMAND = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=600 ${SAMBA_PACKAGES.join(' ')}`;
const SYSTEM_PYTHON = '/usr/bin/python3';

function sambaInstalled(): boolean {
  return existsSync('/usr/sbin/samba') && existsSync('/usr/bin/samba-tool') && spawnSync(SYSTEM_PYTHON, ['-c', 'import samba.samdb'], { stdio: 'ignore' }).status === 0;
}

/** Installs samba as root (waiting for the dpkg lock) or throws with the exact command to run. */
export function ensureSambaInstalled(): void {
  if (sambaInstalled()) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) {
    execFileSync('sh', ['-c', INSTALL_COMMAND], { stdio: 'pipe', timeout: 900_000 });
    if (sambaInstalled()) return;
  }
  throw new Error(`The Active Directory tests need a Samba AD DC. Install it with:\n  sudo sh -c '${INSTALL_COMMAND}'`);
}

// ---------------------------------------------------------------------------------------------------------------
// Template (provision once per machine)

/** Runs with Samba's own Python bindings (SamDB, system session), straight on the template's sam.ldb. */
const POPULATE_PY = String.raw`
import base64, json, sys
from samba.samdb import SamDB
from samba.auth import system_session
from samba.param import LoadParm
from samba.sd_utils import SDUtils
from samba.dcerpc import security
from samba.ndr import ndr_unpack

spec = json.load(sys.stdin)
lp = LoadParm(); lp.load(spec['conf'])
db = SamDB(url=spec['samldb'], session_info=system_session(), lp=lp)
base = spec['base']
def nt_interval(seconds):
    return str(-int(seconds) * 10000000)
def pw(p):
    return base64.b64encode(('"%s"' % p).encode('utf-16-le')).decode()
def add(ldif):
    db.add_ldif(ldif)
def modify(ldif):
    db.modify_ldif(ldif)

pol = spec['policy']
modify("""dn: %s
changetype: modify
replace: pwdProperties
pwdProperties: 1
-
replace: minPwdLength
minPwdLength: %d
-
replace: pwdHistoryLength
pwdHistoryLength: %d
-
replace: minPwdAge
minPwdAge: 0
-
replace: maxPwdAge
maxPwdAge: %s
-
replace: lockoutThreshold
lockoutThreshold: %d
-
replace: lockoutDuration
lockoutDuration: %s
-
replace: lockOutObservationWindow
lockOutObservationWindow: %s
""" % (base, pol['minLength'], pol['history'], nt_interval(pol['maxAgeDays'] * 86400), pol['lockoutThreshold'], nt_interval(1800), nt_interval(1800)))

for ou in spec['ous']:
    add("dn: %s\nobjectClass: organizationalUnit\n" % ou)

def add_user(u, enabled=True, password=True, extra=""):
    ldif = "dn: %s\nobjectClass: user\nsAMAccountName: %s\nuserPrincipalName: %s\nemployeeNumber: %s\n" % (u['dn'], u['sam'], u['upn'], u['objectId'])
    for k in ('givenName', 'sn', 'displayName', 'mail', 'mobile', 'otherMobile', 'telephoneNumber', 'otherMailbox'):
        if u.get(k):
            ldif += "%s: %s\n" % (k, u[k])
    if password:
        ldif += "unicodePwd:: %s\n" % pw(u['password'])
    ldif += "userAccountControl: %d\n" % (512 if enabled else 514)
    add(ldif + extra)

svc = spec['service']
add_user(svc)
for u in spec['users']:
    add_user(u, enabled=(u['role'] != 'disabled'))
    if u['role'] == 'mustchange':
        modify("dn: %s\nchangetype: modify\nreplace: pwdLastSet\npwdLastSet: 0\n" % u['dn'])
    if u['role'] == 'admincount':
        modify("dn: %s\nchangetype: modify\nreplace: adminCount\nadminCount: 1\n" % u['dn'])

for g in spec['groups']:
    add("dn: %s\nobjectClass: group\nsAMAccountName: %s\n" % (g['dn'], g['sam']) + "".join("member: %s\n" % m for m in g['members']))
for g, members in spec['addMembers'].items():
    for m in members:
        modify("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n" % (g, m))

for i in range(spec['bulk']):
    sam = 'bulk%05d' % i
    add("dn: CN=%s,%s\nobjectClass: user\nsAMAccountName: %s\nemployeeNumber: %s\nuserAccountControl: 514\n" % (sam, spec['bulkOu'], sam, spec['bulkIds'][i]))

# A fine-grained password policy (PSO) for the 'pso' users: shorter maximum age than the domain's.
pso = "CN=SSPR Short Expiry,CN=Password Settings Container,CN=System,%s" % base
add("""dn: %s
objectClass: msDS-PasswordSettings
msDS-PasswordSettingsPrecedence: 10
msDS-PasswordReversibleEncryptionEnabled: FALSE
msDS-PasswordHistoryLength: %d
msDS-PasswordComplexityEnabled: TRUE
msDS-MinimumPasswordLength: %d
msDS-MinimumPasswordAge: 0
msDS-MaximumPasswordAge: %s
msDS-LockoutThreshold: %d
msDS-LockoutObservationWindow: %s
msDS-LockoutDuration: %s
""" % (pso, pol['history'], pol['minLength'], nt_interval(pol['psoMaxAgeDays'] * 86400), pol['lockoutThreshold'], nt_interval(1800), nt_interval(1800))
    + "".join("msDS-PSOAppliesTo: %s\n" % d for d in spec['psoUsers']))

# Delegation: the service account may reset passwords and write lockoutTime / pwdLastSet on user objects
# below the OUs, and read them. Nothing else; it is in no group besides Domain Users.
sdu = SDUtils(db)
res = db.search(base=svc['dn'], scope=0, attrs=['objectSid'])
sid = str(ndr_unpack(security.dom_sid, res[0]['objectSid'][0]))
USER_CLASS = 'bf967aba-0de6-11d0-a285-00aa003049e2'
RESET_PASSWORD = '00299570-246d-11d0-a768-00aa006e0529'
LOCKOUT_TIME = '28630ebf-41d5-11d1-a9c1-0000f80367c1'
PWD_LAST_SET = 'bf967a0a-0de6-11d0-a285-00aa003049e2'
aces = "(OA;CIIO;CR;%s;%s;%s)(OA;CIIO;WP;%s;%s;%s)(OA;CIIO;WP;%s;%s;%s)(A;CI;RPLCLORC;;;%s)" % (
    RESET_PASSWORD, USER_CLASS, sid, LOCKOUT_TIME, USER_CLASS, sid, PWD_LAST_SET, USER_CLASS, sid, sid)
for ou in spec['delegatedOus']:
    sdu.dacl_add_ace(ou, aces)

# What SDProp does on Windows: protected accounts get AdminSDHolder-like explicit ACEs, inheritance blocked.
protected = "O:DAG:DAD:P(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;DA)(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;SY)(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;EA)(A;;RPWPCRCCLCLORCWOWDSDSW;;;BA)(A;;RPLCLORC;;;AU)(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;PS)"
for dn in spec['protected']:
    sdu.modify_sd_on_dn(dn, protected)
print(json.dumps({'serviceSid': sid}))
`;

function templateSpec(): Record<string, unknown> {
  const users = SAMBA_SETS.flatMap((set) =>
    SAMBA_ROLES.map((role) => {
      const u = sambaUser(set, role);
      return {
        role,
        dn: u.dn,
        sam: u.sam,
        upn: u.upn,
        objectId: u.objectId,
        password: u.password,
        givenName: u.givenName,
        sn: u.surname,
        displayName: `${u.givenName} ${u.surname}`,
        mail: `${u.sam}@sspr.test`,
        mobile: u.mobile,
        otherMobile: u.otherMobile,
        telephoneNumber: u.telephone,
        otherMailbox: u.otherMailbox,
      };
    }),
  );
  const of = (role: SambaRole) => SAMBA_SETS.map((s) => sambaUser(s, role).dn);
  const inScope = SAMBA_SETS.flatMap((s) => SAMBA_ROLES.filter((r) => r !== 'outscope').map((r) => sambaUser(s, r).dn));
  return {
    base: SAMBA_BASE,
    policy: SAMBA_POLICY,
    ous: [SAMBA_STAFF_OU, SAMBA_BULK_OU, SAMBA_GROUPS_OU, SAMBA_SERVICES_OU],
    service: {
      dn: SAMBA_SERVICE_DN,
      sam: 'svc-sspr',
      upn: SAMBA_SERVICE_UPN,
      objectId: guidFrom('sspr-samba-svc'),
      password: SAMBA_SERVICE_PASSWORD,
      displayName: 'SSPR service account',
    },
    users,
    groups: [
      // Nested: nested → Tier0 Operators → SSPR Privileged (the organisation's own privileged group, R3).
      { dn: `CN=Tier0 Operators,${SAMBA_GROUPS_OU}`, sam: 'tier0-operators', members: of('nested') },
      { dn: SAMBA_PRIVILEGED_GROUP, sam: 'sspr-privileged', members: [`CN=Tier0 Operators,${SAMBA_GROUPS_OU}`] },
      // Scope: users → Sales → SSPR Users (transitive scope group).
      { dn: `CN=Sales,${SAMBA_GROUPS_OU}`, sam: 'sales', members: inScope },
      { dn: SAMBA_SCOPE_GROUP, sam: 'sspr-users', members: [`CN=Sales,${SAMBA_GROUPS_OU}`] },
      // Agents: agent → Service Desk Tier 1 → SSPR Helpdesk.
      { dn: `CN=Service Desk Tier 1,${SAMBA_GROUPS_OU}`, sam: 'sd-tier1', members: of('agent') },
      { dn: SAMBA_AGENT_GROUP, sam: 'sspr-helpdesk', members: [`CN=Service Desk Tier 1,${SAMBA_GROUPS_OU}`] },
    ],
    addMembers: { [`CN=Domain Admins,CN=Users,${SAMBA_BASE}`]: of('domadmin') },
    bulk: SAMBA_BULK_USERS,
    bulkOu: SAMBA_BULK_OU,
    bulkIds: Array.from({ length: SAMBA_BULK_USERS }, (_, i) => bulkUser(i).objectId),
    psoUsers: of('pso'),
    delegatedOus: [SAMBA_STAFF_OU, SAMBA_BULK_OU],
    protected: [...of('domadmin'), ...of('admincount'), ...of('vip')],
  };
}

const TEMPLATE_VERSION = createHash('sha256').update(POPULATE_PY).update(JSON.stringify(templateSpec())).digest('hex').slice(0, 12);
const TEMPLATE_DIR = join('/var/tmp', `sspr-samba-${TEMPLATE_VERSION}`);

function smbConf(dir: string, address: string): string {
  return [
    '[global]',
    `\tnetbios name = DC1`,
    `\trealm = ${SAMBA_REALM}`,
    `\tworkgroup = ${SAMBA_NETBIOS}`,
    '\tserver role = active directory domain controller',
    `\tinterfaces = ${address}`,
    '\tbind interfaces only = yes',
    // LDAP only: no SMB, DNS, Kerberos or replication servers (fewer fixed ports, faster start).
    '\tserver services = ldap',
    `\tdns forwarder = 127.0.0.1`,
    `\tprivate dir = ${dir}/private`,
    `\tlock directory = ${dir}`,
    `\tstate directory = ${dir}/state`,
    `\tcache directory = ${dir}/cache`,
    `\tpid directory = ${dir}/run`,
    `\tbinddns dir = ${dir}/bind-dns`,
    `\tlog file = ${dir}/log.%m`,
    '\tlogging = file',
    '\tidmap_ldb:use rfc2307 = yes',
    // Samba, like Windows for NTLM, accepts the previous password for 60 minutes after a reset by default; the
    // tests check at once that the old one is refused, so the grace period is off here (see the admin guide).
    '\told password allowed period = 0',
    '',
  ].join('\n');
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** mkdir-based lock across processes; a lock older than staleMs is taken over. */
function withLock<T>(lockDir: string, staleMs: number, fn: () => T): T {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      try {
        const age = Date.now() - Number(readFileSync(join(lockDir, 'at'), 'utf8'));
        if (age > staleMs) rmSync(lockDir, { recursive: true, force: true });
      } catch {
        /* being created */
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for the lock ${lockDir}`);
      sleepSync(250);
    }
  }
  writeFileSync(join(lockDir, 'at'), String(Date.now()));
  try {
    return fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Provisions the template once per machine (cached by a hash of this file's fixture definition). */
export function ensureSambaTemplate(): string {
  ensureSambaInstalled();
  if (existsSync(join(TEMPLATE_DIR, 'ready'))) return TEMPLATE_DIR;
  withLock(`${TEMPLATE_DIR}.lock`, 10 * 60_000, () => {
    if (existsSync(join(TEMPLATE_DIR, 'ready'))) return;
    const build = `${TEMPLATE_DIR}.build`;
    rmSync(build, { recursive: true, force: true });
    mkdirSync(build, { recursive: true });
    execFileSync(
      'samba-tool',
      [
        'domain',
        'provision',
        `--realm=${SAMBA_REALM}`,
        `--domain=${SAMBA_NETBIOS}`,
        '--server-role=dc',
        '--dns-backend=SAMBA_INTERNAL',
        '--use-rfc2307',
        `--adminpass=${ADMIN_PASSWORD}`,
        '--host-name=dc1',
        '--host-ip=127.0.0.53',
        `--targetdir=${build}`,
        '--option=interfaces=127.0.0.53',
        '--option=bind interfaces only=yes',
        '--option=dns forwarder=127.0.0.1',
        `--option=log file=${build}/log.%m`,
      ],
      { stdio: 'pipe', timeout: 300_000 },
    );
    writeFileSync(join(build, 'etc', 'smb.conf'), smbConf(build, '127.0.0.53'));
    const spec = { ...templateSpec(), conf: join(build, 'etc', 'smb.conf'), samldb: join(build, 'private', 'sam.ldb') };
    execFileSync(SYSTEM_PYTHON, ['-c', POPULATE_PY], { input: JSON.stringify(spec), stdio: ['pipe', 'pipe', 'pipe'], timeout: 600_000 });
    writeFileSync(join(build, 'ready'), TEMPLATE_VERSION);
    rmSync(TEMPLATE_DIR, { recursive: true, force: true });
    renameSync(build, TEMPLATE_DIR);
  });
  return TEMPLATE_DIR;
}

// ---------------------------------------------------------------------------------------------------------------
// Running DC

export interface SambaInfo {
  readonly address: string;
  readonly dir: string;
  readonly pid: number;
  readonly caFile: string;
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(300, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Claims a free loopback address 127.0.0.53+ (a lock file holds the owner's pid) and puts it on lo. */
async function claimAddress(ownerPid: () => number): Promise<{ address: string; release: () => void }> {
  for (let last = 53; last < 90; last++) {
    const address = `127.0.0.${last}`;
    const lock = join('/var/tmp', `sspr-samba-addr-${address}.pid`);
    try {
      const holder = Number(readFileSync(lock, 'utf8'));
      if (holder && pidAlive(holder)) continue;
      rmSync(lock, { force: true });
    } catch {
      /* free */
    }
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
    } catch {
      continue;
    }
    if (await portOpen(address, 636)) {
      rmSync(lock, { force: true });
      continue;
    }
    const shown = spawnSync('ip', ['-o', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' }).stdout ?? '';
    if (!shown.includes(` ${address}/`)) {
      const r = spawnSync('ip', ['addr', 'add', `${address}/32`, 'dev', 'lo'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`Samba needs its own loopback address; run as root: ip addr add ${address}/32 dev lo (${r.stderr})`);
    }
    return {
      address,
      release: () => {
        // Hand the lock to the samba process so a stale owner is detected by pid.
        writeFileSync(lock, String(ownerPid()));
      },
    };
  }
  throw new Error('No free loopback address for Samba in 127.0.0.53–127.0.0.89');
}

async function waitForDc(address: string, ca: Buffer, pid: number, dir: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (!pidAlive(pid)) throw new Error(`samba exited during start-up:\n${readLog(dir)}`);
    const c = new Client({ url: `ldaps://${address}:636`, connectTimeout: 1000, timeout: 5000, tlsOptions: { ca: [ca], servername: SAMBA_FQDN } });
    try {
      await c.bind(SAMBA_SERVICE_UPN, SAMBA_SERVICE_PASSWORD);
      await c.search('', { scope: 'base', attributes: ['dnsHostName'] });
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`samba did not answer over LDAPS: ${String(e)}\n${readLog(dir)}`);
      await new Promise((r) => setTimeout(r, 250));
    } finally {
      await c.unbind().catch(() => undefined);
    }
  }
}

function readLog(dir: string): string {
  for (const f of ['samba.out', 'log.samba']) {
    try {
      return readFileSync(join(dir, f), 'utf8').slice(-3000);
    } catch {
      /* next */
    }
  }
  return '(no log)';
}

/** Copies the template and starts a DC; resolves when the service account can bind over LDAPS. */
export async function startSambaProcess(runDir: string): Promise<SambaInfo> {
  const template = ensureSambaTemplate();
  let pid = 0;
  const { address, release } = await claimAddress(() => pid);
  rmSync(runDir, { recursive: true, force: true });
  cpSync(template, runDir, { recursive: true });
  mkdirSync(join(runDir, 'run'), { recursive: true });
  const conf = join(runDir, 'etc', 'smb.conf');
  writeFileSync(conf, smbConf(runDir, address));
  const child = spawn('samba', ['-i', '-M', 'single', '-s', conf], { detached: true, stdio: ['ignore', 'ignore', 'ignore'] });
  child.unref();
  pid = child.pid ?? 0;
  release();
  // The CA is created at the first start of a template copy when it has none yet.
  const caFile = join(runDir, 'private', 'tls', 'ca.pem');
  const until = Date.now() + 120_000;
  while (!existsSync(caFile)) {
    if (!pidAlive(pid) || Date.now() > until) throw new Error(`samba made no CA:\n${readLog(runDir)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 200));
  await waitForDc(address, readFileSync(caFile), pid, runDir);
  const info: SambaInfo = { address, dir: runDir, pid, caFile };
  writeFileSync(join(runDir, 'info.json'), JSON.stringify(info));
  return info;
}

/** Stops a DC started by startSambaProcess (by its pid) and removes its directory. */
export function stopSambaProcess(info: Pick<SambaInfo, 'pid' | 'dir'>): void {
  if (info.pid && pidAlive(info.pid)) {
    try {
      process.kill(-info.pid, 'SIGTERM');
    } catch {
      process.kill(info.pid, 'SIGTERM');
    }
    const until = Date.now() + 10_000;
    while (pidAlive(info.pid) && Date.now() < until) sleepSync(50);
    if (pidAlive(info.pid)) process.kill(info.pid, 'SIGKILL');
  }
  rmSync(info.dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------------------
// The test-facing handle

export class SambaDc {
  constructor(readonly info: SambaInfo) {}

  get address(): string {
    return this.info.address;
  }
  get ca(): Buffer {
    return readFileSync(this.info.caFile);
  }
  get caFile(): string {
    return this.info.caFile;
  }
  /** LDAPS by address; connect with tlsServerName SAMBA_FQDN so the certificate's host name is checked. */
  get ldapsUrl(): string {
    return `ldaps://${this.info.address}:636`;
  }
  get ldapUrl(): string {
    return `ldap://${this.info.address}:389`;
  }

  /**
   * The bot's LdapDirectory settings for this DC: the delegated service account over LDAPS (or StartTLS on 389),
   * Samba's CA trusted and the DC's host name checked, users under OU=Staff, the SSPR Privileged group.
   */
  serviceDirectory(transport: 'ldaps' | 'starttls' = 'ldaps'): LdapDirectoryOptions {
    return {
      url: transport === 'ldaps' ? this.ldapsUrl : this.ldapUrl,
      startTls: transport === 'starttls',
      dialect: 'ad',
      bindDn: SAMBA_SERVICE_UPN,
      bindPassword: SAMBA_SERVICE_PASSWORD,
      baseDn: SAMBA_STAFF_OU,
      ca: this.ca,
      tlsServerName: SAMBA_FQDN,
      privilegedGroups: [SAMBA_PRIVILEGED_GROUP],
    };
  }

  private client(): Client {
    return new Client({ url: this.ldapsUrl, timeout: 10_000, connectTimeout: 5000, tlsOptions: { ca: [this.ca], servername: SAMBA_FQDN } });
  }

  /** A real simple bind over LDAPS: 'ok', or the AD sub-code (775 locked, 533 disabled, 773 must change, 52e bad). */
  async bind(upnOrDn: string, password: string): Promise<string> {
    const c = this.client();
    try {
      await c.bind(upnOrDn, password);
      await c.search('', { scope: 'base', attributes: ['dnsHostName'] });
      return 'ok';
    } catch (e) {
      const m = /data ([0-9a-f]+)/i.exec(String((e as Error).message));
      return m?.[1] ?? String((e as Error).message);
    } finally {
      await c.unbind().catch(() => undefined);
    }
  }

  /** Reads attributes as the delegated service account (what the bot may see). */
  async read(dn: string, attributes: string[]): Promise<Record<string, string[]>> {
    const c = this.client();
    try {
      await c.bind(SAMBA_SERVICE_UPN, SAMBA_SERVICE_PASSWORD);
      const { searchEntries } = await c.search(dn, { scope: 'base', attributes });
      const e = (searchEntries[0] ?? {}) as Record<string, unknown>;
      const out: Record<string, string[]> = {};
      for (const a of attributes) {
        const v = e[a];
        out[a] = v === undefined ? [] : (Array.isArray(v) ? (v as unknown[]) : [v]).map((x) => (Buffer.isBuffer(x) ? x.toString() : String(x)));
      }
      return out;
    } finally {
      await c.unbind().catch(() => undefined);
    }
  }

  /** Locks an account the way users do: wrong passwords until the domain's threshold. */
  async lockOut(u: SambaUser): Promise<void> {
    for (let i = 0; i < SAMBA_POLICY.lockoutThreshold; i++) await this.bind(u.upn, `Wrong-${i}-password!`);
    const result = await this.bind(u.upn, u.password);
    if (result !== '775') throw new Error(`${u.sam} did not lock out (bind answered ${result})`);
  }
}

let shared: Promise<SambaDc> | null = null;

/**
 * The one Samba DC of this jest run (started by the first worker that asks; stopped by globalTeardown). Outside
 * jest's globalSetup it starts a private DC and stops it when the process exits.
 */
export function sharedSamba(): Promise<SambaDc> {
  shared ??= (async () => {
    const runRoot = process.env['SSPR_TEST_RUN_DIR'];
    if (!runRoot) {
      const info = await startSambaProcess(join(tmpdir(), `sspr-samba-${process.pid}`));
      process.once('exit', () => stopSambaProcess(info));
      return new SambaDc(info);
    }
    const dir = join(runRoot, 'samba');
    const infoFile = join(dir, 'info.json');
    const lock = join(runRoot, 'samba.lock');
    // First worker starts it; the others wait for info.json.
    let mine = false;
    try {
      mkdirSync(lock);
      mine = true;
    } catch {
      /* another worker starts it */
    }
    if (mine) {
      try {
        return new SambaDc(await startSambaProcess(dir));
      } catch (e) {
        writeFileSync(join(runRoot, 'samba.failed'), String(e));
        throw e;
      }
    }
    const until = Date.now() + 15 * 60_000;
    for (;;) {
      if (existsSync(join(runRoot, 'samba.failed'))) throw new Error(`The shared Samba DC failed to start: ${readFileSync(join(runRoot, 'samba.failed'), 'utf8')}`);
      if (existsSync(infoFile)) return new SambaDc(JSON.parse(readFileSync(infoFile, 'utf8')) as SambaInfo);
      if (Date.now() > until) throw new Error('Timed out waiting for the shared Samba DC');
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return shared;
}
