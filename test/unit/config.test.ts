import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parsePolicy, splitDnList } from '../../bot/config';
import { DEFAULT_POLICY } from '../../domain/policy/policy';

const key = (id: string) => `${id}:${Buffer.alloc(32, 7).toString('base64')}`;
const SECRET_VALUE = 'S3cr3t-value-that-must-not-print';

/** A complete, valid production environment. Each refusal test removes or breaks one thing. */
const prodEnv = (): NodeJS.ProcessEnv => ({
  SSPR_MODE: 'production',
  MicrosoftAppId: '2f1e5c4a-0000-4000-8000-000000000001',
  MicrosoftAppPassword: SECRET_VALUE,
  MicrosoftAppTenantId: '2f1e5c4a-0000-4000-8000-000000000002',
  MicrosoftAppType: 'SingleTenant',
  ALLOWED_TENANTS: '2f1e5c4a-0000-4000-8000-000000000002',
  REDIS_URL: `redis://:${SECRET_VALUE}@127.0.0.1:6379`,
  CODE_HMAC_KEYS: key('k1'),
  FIELD_ENCRYPTION_KEYS: key('f1'),
  AUDIT_PSEUDONYM_KEY: SECRET_VALUE,
  PUBLIC_BASE_URL: 'https://sspr.contoso.example',
  SSO_APP_ID: '2f1e5c4a-0000-4000-8000-000000000001',
  DIRECTORY: 'graph',
  GRAPH_TENANT_ID: '2f1e5c4a-0000-4000-8000-000000000002',
  GRAPH_CLIENT_ID: '2f1e5c4a-0000-4000-8000-000000000003',
  GRAPH_CLIENT_SECRET: SECRET_VALUE,
  SENDERS: 'real',
  SMTP_URL: `smtp://user:${SECRET_VALUE}@mail.contoso.example:587`,
  MAIL_FROM: 'sspr@contoso.example',
  SMS_API_BASE_URL: 'https://sms.example',
  SMS_ACCOUNT_SID: 'AC123',
  SMS_AUTH_TOKEN: SECRET_VALUE,
  SMS_FROM: '+3197000000000',
});

function refusal(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const msg = (e as Error).message;
    expect(msg).not.toContain(SECRET_VALUE);
    return msg;
  }
  throw new Error('expected the configuration to be refused');
}

describe('config', () => {
  test('development defaults need no environment at all (embedded mode)', () => {
    const c = loadConfig({});
    expect(c.mode).toBe('development');
    expect(c.redis.url).toBeUndefined();
    expect(c.directory.kind).toBe('memory');
    expect(c.senders.kind).toBe('outbox');
    expect(c.keys.ephemeral).toBe(true);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.policy.methods)).toBe(true);
  });

  test('a complete production environment is accepted', () => {
    const c = loadConfig(prodEnv());
    expect(c.mode).toBe('production');
    expect(c.bot.appType).toBe('SingleTenant');
    expect(c.keys.codeHmac[0]!.id).toBe('k1');
  });

  test('production with an empty environment lists every missing variable, no value', () => {
    const msg = refusal({ SSPR_MODE: 'production' });
    for (const v of ['MicrosoftAppId', 'MicrosoftAppPassword', 'MicrosoftAppTenantId', 'ALLOWED_TENANTS', 'REDIS_URL', 'CODE_HMAC_KEYS', 'FIELD_ENCRYPTION_KEYS', 'AUDIT_PSEUDONYM_KEY', 'PUBLIC_BASE_URL', 'DIRECTORY', 'SENDERS'])
      expect(msg).toContain(v);
  });

  test.each([
    ['MicrosoftAppId', 'authentication disabled'],
    ['ALLOWED_TENANTS', 'empty tenant allow-list'],
    ['REDIS_URL', 'state in memory'],
    ['CODE_HMAC_KEYS', 'missing code key'],
    ['FIELD_ENCRYPTION_KEYS', 'missing encryption key'],
    ['AUDIT_PSEUDONYM_KEY', 'missing audit key'],
  ])('production refuses without %s (%s), naming it', (name) => {
    const env = prodEnv();
    delete env[name];
    const msg = refusal(env);
    expect(msg).toContain(name);
  });

  test('production refuses the demo directory, the dev outbox and plain http', () => {
    const msg = refusal({ ...prodEnv(), DIRECTORY: 'memory', SENDERS: 'outbox', PUBLIC_BASE_URL: 'http://sspr.example' });
    expect(msg).toContain('DIRECTORY');
    expect(msg).toContain('SENDERS');
    expect(msg).toContain('PUBLIC_BASE_URL');
  });

  test('R29: plain LDAP is refused in production and needs an explicit flag in development', () => {
    const ldap = { DIRECTORY: 'ldap', LDAP_URL: 'ldap://dc.contoso.example', LDAP_BIND_DN: 'cn=svc', LDAP_BIND_PASSWORD: SECRET_VALUE, LDAP_BASE_DN: 'dc=contoso' };
    expect(refusal({ ...prodEnv(), ...ldap })).toContain('LDAP_URL');
    expect(refusal({ ...prodEnv(), ...ldap, LDAP_ALLOW_INSECURE: 'true' })).toContain('LDAP_ALLOW_INSECURE');
    expect(refusal(ldap)).toContain('LDAP_ALLOW_INSECURE');
    expect(loadConfig({ ...ldap, LDAP_ALLOW_INSECURE: 'true' }).directory.ldap.allowInsecure).toBe(true);
    expect(loadConfig({ ...prodEnv(), ...ldap, LDAP_URL: 'ldaps://dc.contoso.example' }).directory.kind).toBe('ldap');
  });

  test('malformed key rings are refused by name without echoing the value', () => {
    const msg = refusal({ CODE_HMAC_KEYS: `k1:${SECRET_VALUE}` });
    expect(msg).toContain('CODE_HMAC_KEYS');
  });

  test('the policy file may tighten but not loosen past the caps', () => {
    expect(parsePolicy({ codes: { lifetimeSeconds: 120 } }).codes.lifetimeSeconds).toBe(120);
    expect(() => parsePolicy({ codes: { lifetimeSeconds: 3600 } })).toThrow(/codes.lifetimeSeconds/);
    expect(() => parsePolicy({ methods: { requiredForReset: 3 } })).toThrow(/methods.requiredForReset/);
    expect(() => parsePolicy({ securityQuestions: { register: 3, answer: 5 } })).toThrow(/securityQuestions.answer/);
    expect(() => parsePolicy({ unknownSetting: true })).toThrow(ConfigError);
    expect(parsePolicy({})).toEqual(DEFAULT_POLICY);
  });

  test('POLICY_FILE is read, and a broken file is refused by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const good = join(dir, 'p.json');
    writeFileSync(good, JSON.stringify({ methods: { requiredForReset: 1 } }));
    expect(loadConfig({ POLICY_FILE: good }).policy.methods.requiredForReset).toBe(1);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    expect(refusal({ POLICY_FILE: bad })).toContain('POLICY_FILE');
  });

  test('the shipped default policy file parses', () => {
    expect(loadConfig({}).policy.password.bannedTerms.length).toBeGreaterThan(0);
  });
});

describe('LDAP_PRIVILEGED_GROUPS: comma-separated DNs (which contain commas themselves)', () => {
  test('R3: a list of DNs splits where one DN ends (after its DC= parts) and the next begins; names split on commas', () => {
    expect(splitDnList('CN=SSPR Privileged,OU=Groups,DC=sspr,DC=test')).toEqual(['CN=SSPR Privileged,OU=Groups,DC=sspr,DC=test']);
    expect(splitDnList('CN=SSPR Privileged,OU=Groups,DC=sspr,DC=test, CN=Tier0,OU=Admin,DC=sspr,DC=test')).toEqual([
      'CN=SSPR Privileged,OU=Groups,DC=sspr,DC=test',
      'CN=Tier0,OU=Admin,DC=sspr,DC=test',
    ]);
    expect(splitDnList('CN=A\\, Team,OU=G,DC=x;Domain Admins, Tier0 Operators')).toEqual(['CN=A\\, Team,OU=G,DC=x', 'Domain Admins', 'Tier0 Operators']);
    expect(splitDnList('')).toEqual([]);
  });

  test('R3: loadConfig keeps a whole DN as one group (the issue-12 defect split it into four pieces)', () => {
    const env = { DIRECTORY: 'ldap', LDAP_URL: 'ldaps://dc1.sspr.test', LDAP_DIALECT: 'ad', LDAP_BIND_DN: 'svc-sspr@sspr.test', LDAP_BIND_PASSWORD: SECRET_VALUE, LDAP_BASE_DN: 'OU=Staff,DC=sspr,DC=test', LDAP_PRIVILEGED_GROUPS: 'CN=SSPR Privileged,OU=Groups,DC=sspr,DC=test', LDAP_TLS_SERVER_NAME: 'dc1.sspr.test' };
    const c = loadConfig(env);
    expect(c.directory.ldap.privilegedGroups).toEqual(['CN=SSPR Privileged,OU=Groups,DC=sspr,DC=test']);
    expect(c.directory.ldap.tlsServerName).toBe('dc1.sspr.test');
  });
});
