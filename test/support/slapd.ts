import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { freePort } from './redisServer';

export const SLAPD_BASE = 'dc=contoso,dc=example';
export const SLAPD_SERVICE_DN = `cn=sspr-service,ou=services,${SLAPD_BASE}`;
export const SLAPD_SERVICE_PASSWORD = 'Service-Account-Pw-1';
export const SLAPD_ROOT_DN = `cn=admin,${SLAPD_BASE}`;
export const SLAPD_ROOT_PASSWORD = 'root-secret-not-for-the-bot';
export const SLAPD_PRIVILEGED_GROUP = `cn=Domain Admins,ou=groups,${SLAPD_BASE}`;

export interface SlapdUser {
  uid: string;
  objectId: string;
  givenName: string;
  surname: string;
  password: string;
  mail?: string;
  mobile?: string;
}

export interface SlapdOptions {
  users: SlapdUser[];
  /** uids placed in the privileged group. */
  privileged?: string[];
  pwdMinLength?: number;
  pwdInHistory?: number;
  pwdMaxFailure?: number;
  /** Also listen on ldaps:// with a self-signed CA (paths exposed as caFile). */
  tls?: boolean;
  /** Load the sssvlv overlay (server-side sort control), which LdapDirectory.scanUsers needs on OpenLDAP. */
  sort?: boolean;
  /** Policy values for expiry tests (seconds; 0 = never). */
  pwdMaxAge?: number;
  /** More entries (LDIF, one string per entry), loaded after the users and the built-in groups. */
  extraEntries?: string[];
}

const SCHEMA = '/etc/ldap/schema';

/**
 * A throwaway OpenLDAP server (mdb backend, ppolicy overlay) on a free loopback port.
 * A least-privilege service account may write password and lockout attributes; the bot never uses the root DN.
 */
export class Slapd {
  readonly dir: string;
  port = 0;
  tlsPort = 0;
  caFile = '';
  private proc: ChildProcess | null = null;

  constructor(private readonly options: SlapdOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'sspr-slapd-'));
  }

  get url(): string {
    return `ldap://127.0.0.1:${this.port}`;
  }
  get ldapsUrl(): string {
    return `ldaps://localhost:${this.tlsPort}`;
  }

  userDn(uid: string): string {
    return `uid=${uid},ou=people,${SLAPD_BASE}`;
  }

  async start(): Promise<void> {
    const o = this.options;
    const db = join(this.dir, 'db');
    mkdirSync(db);
    this.port = await freePort();
    let tlsConf = '';
    if (o.tls) {
      this.tlsPort = await freePort();
      this.makeCertificates();
      tlsConf = [
        `TLSCACertificateFile ${join(this.dir, 'ca.pem')}`,
        `TLSCertificateFile ${join(this.dir, 'server.pem')}`,
        `TLSCertificateKeyFile ${join(this.dir, 'server.key')}`,
      ].join('\n');
      this.caFile = join(this.dir, 'ca.pem');
    }
    const svc = SLAPD_SERVICE_DN;
    const conf = `
include ${SCHEMA}/core.schema
include ${SCHEMA}/cosine.schema
include ${SCHEMA}/inetorgperson.schema
include ${SCHEMA}/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
${o.sort ? 'moduleload sssvlv' : ''}
pidfile ${join(this.dir, 'slapd.pid')}
argsfile ${join(this.dir, 'slapd.args')}
${tlsConf}

database mdb
maxsize 209715200
suffix "${SLAPD_BASE}"
rootdn "${SLAPD_ROOT_DN}"
rootpw ${SLAPD_ROOT_PASSWORD}
directory ${db}

${o.sort ? 'overlay sssvlv\n' : ''}overlay ppolicy
ppolicy_default "cn=default,ou=policies,${SLAPD_BASE}"
ppolicy_hash_cleartext
ppolicy_use_lockout

access to attrs=userPassword
  by dn.exact="${svc}" =w
  by anonymous auth
  by self =w
  by * none
access to attrs=pwdAccountLockedTime,pwdFailureTime,pwdReset
  by dn.exact="${svc}" manage
  by * read
access to dn.subtree="ou=policies,${SLAPD_BASE}"
  by dn.exact="${svc}" read
  by * none
access to *
  by dn.exact="${svc}" read
  by self read
  by * none
`;
    writeFileSync(join(this.dir, 'slapd.conf'), conf);
    writeFileSync(join(this.dir, 'base.ldif'), this.baseLdif());
    execFileSync('slapadd', ['-q', '-f', join(this.dir, 'slapd.conf'), '-l', join(this.dir, 'base.ldif')], { stdio: 'pipe' });
    const urls = [`ldap://127.0.0.1:${this.port}/`];
    if (o.tls) urls.push(`ldaps://127.0.0.1:${this.tlsPort}/`);
    this.proc = spawn('slapd', ['-d', '0', '-f', join(this.dir, 'slapd.conf'), '-h', urls.join(' ')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    this.proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await this.waitReady(() => stderr);
  }

  private makeCertificates(): void {
    const d = this.dir;
    const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe', cwd: d });
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=SSPR Test CA']);
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
    writeFileSync(join(d, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf']);
  }

  private async waitReady(stderr: () => string): Promise<void> {
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      if (this.proc?.exitCode !== null) throw new Error(`slapd exited: ${stderr()}`);
      const c = new Client({ url: this.url, connectTimeout: 500 });
      try {
        await c.bind(SLAPD_SERVICE_DN, SLAPD_SERVICE_PASSWORD);
        await c.unbind();
        return;
      } catch {
        await c.unbind().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    throw new Error(`slapd did not start: ${stderr()}`);
  }

  private baseLdif(): string {
    const o = this.options;
    const b = SLAPD_BASE;
    const entries: string[] = [
      `dn: ${b}\nobjectClass: dcObject\nobjectClass: organization\ndc: contoso\no: Contoso`,
      `dn: ou=people,${b}\nobjectClass: organizationalUnit\nou: people`,
      `dn: ou=groups,${b}\nobjectClass: organizationalUnit\nou: groups`,
      `dn: ou=services,${b}\nobjectClass: organizationalUnit\nou: services`,
      `dn: ou=policies,${b}\nobjectClass: organizationalUnit\nou: policies`,
      [
        `dn: cn=default,ou=policies,${b}`,
        'objectClass: pwdPolicy',
        'objectClass: device',
        'cn: default',
        'pwdAttribute: userPassword',
        `pwdMinLength: ${o.pwdMinLength ?? 8}`,
        'pwdCheckQuality: 2',
        `pwdInHistory: ${o.pwdInHistory ?? 3}`,
        'pwdLockout: TRUE',
        `pwdMaxFailure: ${o.pwdMaxFailure ?? 3}`,
        'pwdLockoutDuration: 0',
        'pwdFailureCountInterval: 0',
        'pwdAllowUserChange: TRUE',
        'pwdMustChange: FALSE',
        `pwdMaxAge: ${o.pwdMaxAge ?? 0}`,
      ].join('\n'),
      `dn: ${SLAPD_SERVICE_DN}\nobjectClass: applicationProcess\nobjectClass: simpleSecurityObject\ncn: sspr-service\nuserPassword: ${SLAPD_SERVICE_PASSWORD}`,
    ];
    for (const u of o.users) {
      const lines = [
        `dn: ${this.userDn(u.uid)}`,
        'objectClass: inetOrgPerson',
        `uid: ${u.uid}`,
        `cn: ${u.givenName} ${u.surname}`,
        `displayName: ${u.givenName} ${u.surname}`,
        `givenName: ${u.givenName}`,
        `sn: ${u.surname}`,
        `employeeNumber: ${u.objectId}`,
        `mail: ${u.mail ?? `${u.uid}@contoso.example`}`,
        `userPassword: ${u.password}`,
      ];
      if (u.mobile) lines.push(`mobile: ${u.mobile}`);
      entries.push(lines.join('\n'));
    }
    const priv = o.privileged ?? [];
    entries.push(
      [
        `dn: ${SLAPD_PRIVILEGED_GROUP}`,
        'objectClass: groupOfNames',
        'cn: Domain Admins',
        ...(priv.length ? priv : ['__none__']).map((uid) => `member: ${uid === '__none__' ? SLAPD_SERVICE_DN : this.userDn(uid)}`),
      ].join('\n'),
      [`dn: cn=Staff,ou=groups,${b}`, 'objectClass: groupOfNames', 'cn: Staff', ...o.users.map((u) => `member: ${this.userDn(u.uid)}`)].join('\n'),
    );
    entries.push(...(o.extraEntries ?? []));
    return entries.join('\n\n') + '\n';
  }

  /** Read attributes (operational ones too) as the root DN — test inspection only. */
  async rootRead(dn: string, attributes: string[]): Promise<Record<string, string[]>> {
    const c = new Client({ url: this.url });
    try {
      await c.bind(SLAPD_ROOT_DN, SLAPD_ROOT_PASSWORD);
      const { searchEntries } = await c.search(dn, { scope: 'base', attributes });
      const e = searchEntries[0] ?? {};
      const out: Record<string, string[]> = {};
      for (const a of attributes) {
        const v = (e as Record<string, unknown>)[a];
        out[a] = v === undefined ? [] : (Array.isArray(v) ? (v as unknown[]) : [v]).map((x) => (Buffer.isBuffer(x) ? x.toString() : `${x as string}`));
      }
      return out;
    } finally {
      await c.unbind();
    }
  }

  /** True when a simple bind with these credentials succeeds. */
  async canBind(uid: string, password: string): Promise<boolean> {
    const c = new Client({ url: this.url });
    try {
      await c.bind(this.userDn(uid), password);
      return true;
    } catch {
      return false;
    } finally {
      await c.unbind().catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (p && p.exitCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await gone;
    }
    if (existsSync(this.dir)) rmSync(this.dir, { recursive: true, force: true });
  }
}
