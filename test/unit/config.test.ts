import { statSync, mkdtempSync, writeFileSync } from 'node:fs';
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
  REDIS_URL: `rediss://:${SECRET_VALUE}@redis.contoso.example:6380`,
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
  SMTP_REQUIRE_TLS: 'true',
  METRICS_TOKEN: 'metrics-token-0123456789abcdef',
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
    expect(refusal({ ...ldap, DEV_ALLOW_REAL_SYSTEMS: 'true' })).toContain('LDAP_ALLOW_INSECURE');
    expect(loadConfig({ ...ldap, LDAP_ALLOW_INSECURE: 'true', DEV_ALLOW_REAL_SYSTEMS: 'true' }).directory.ldap.allowInsecure).toBe(true);
    expect(loadConfig({ ...prodEnv(), ...ldap, LDAP_URL: 'ldaps://dc.contoso.example' }).directory.kind).toBe('ldap');
  });

  test.each([
    ['GRAPH_BASE_URL', { GRAPH_BASE_URL: 'http://graph.contoso.example/v1.0' }],
    ['GRAPH_AUTHORITY_HOST', { GRAPH_AUTHORITY_HOST: 'http://login.contoso.example' }],
    ['SSO_JWKS_URL', { SSO_JWKS_URL: 'http://login.contoso.example/keys' }],
    ['SMS_API_BASE_URL', { SMS_API_BASE_URL: 'http://sms.example' }],
    ['HELPDESK_WEBHOOK_URL', { HELPDESK_WEBHOOK_URL: 'http://itsm.contoso.example/hook', HELPDESK_WEBHOOK_SECRET: SECRET_VALUE }],
    ['TEAMS_SERVICE_URL', { TEAMS_SERVICE_URL: 'http://smba.example/teams/' }],
    ['SMTP_URL', { SMTP_URL: 'smtp://mail.contoso.example:587', SMTP_REQUIRE_TLS: '' }],
    ['REDIS_URL', { REDIS_URL: 'redis://redis.contoso.example:6379' }],
    ['HELPDESK_WEBHOOK_SECRET', { HELPDESK_WEBHOOK_URL: 'https://itsm.contoso.example/hook' }],
    ['METRICS_TOKEN', { METRICS_TOKEN: '' }],
  ] as const)('R36: production refuses plaintext or open %s, naming it and never the value', (name, bad) => {
    const msg = refusal({ ...prodEnv(), ...bad });
    expect(msg).toContain(name);
    expect(msg).not.toContain(SECRET_VALUE);
    expect(msg).not.toMatch(/contoso\.example|sms\.example|smba\.example/);
  });

  test.each([
    ['LOCKOUT_WEBHOOK_SECRET', { LOCKOUT_WEBHOOK_SECRET: 'siem-Secret-2026' }],
    ['HELPDESK_WEBHOOK_SECRET', { HELPDESK_WEBHOOK_URL: 'https://itsm.contoso.example/hook', HELPDESK_WEBHOOK_SECRET: 'itsm-Secret-2026' }],
  ] as const)('R36 attack: production refuses a guessable %s (under 32 characters: a guessed HMAC key signs any lockout report or hand-off outcome), naming it and never the value', (name, bad) => {
    const msg = refusal({ ...prodEnv(), ...bad });
    expect(msg).toContain(name);
    expect(msg).not.toContain('Secret-2026');
    expect(loadConfig({ ...prodEnv(), ...bad, [name]: 'x'.repeat(32) }).mode).toBe('production');
  });

  test('R36: the legitimate forms are accepted — smtps://, rediss:// or the private-network override, a metrics port, https everywhere', () => {
    expect(loadConfig({ ...prodEnv(), SMTP_URL: 'smtps://mail.contoso.example', SMTP_REQUIRE_TLS: '' }).senders.smtpUrl).toMatch(/^smtps:/);
    expect(loadConfig({ ...prodEnv(), REDIS_URL: 'redis://10.0.0.5:6379', REDIS_ALLOW_PLAINTEXT: 'true' }).redis.url).toMatch(/^redis:/);
    expect(loadConfig({ ...prodEnv(), METRICS_TOKEN: '', METRICS_PORT: '9464' }).metrics.port).toBe(9464);
    expect(loadConfig(prodEnv()).ssoAllowedClientIds).toEqual(['1fec8e78-bce4-4aaf-ab1b-5451cc387264', '5e3ce6c0-2b1f-4285-8d4b-75ee78787346']);
    expect(loadConfig({ ...prodEnv(), SSO_ALLOWED_CLIENT_IDS: '2F1E5C4A-0000-4000-8000-00000000000A' }).ssoAllowedClientIds).toEqual(['2f1e5c4a-0000-4000-8000-00000000000a']);
    expect(loadConfig(prodEnv()).host).toBe('0.0.0.0');
  });

  test('F20: REDIS_CLUSTER needs REDIS_URL (a seed node), in every mode; the queue prefix must start with its hash tag', () => {
    expect(refusal({ REDIS_CLUSTER: 'true' })).toContain('REDIS_CLUSTER: needs REDIS_URL');
    expect(refusal({ ...prodEnv(), REDIS_URL: undefined, REDIS_CLUSTER: 'true' })).toContain('REDIS_CLUSTER: needs REDIS_URL');
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:7000', REDIS_CLUSTER: 'true' }).redis.cluster).toBe(true);
    expect(loadConfig({ ...prodEnv(), REDIS_CLUSTER: 'true' }).redis.cluster).toBe(true);
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:7000' }).redis.cluster).toBe(false);
    // Redis Cluster hashes the first {…} only: an empty or late tag puts a queue's keys in many slots (CROSSSLOT).
    for (const bad of ['sspr-jobs', '{}{sspr-jobs}', 'a}{sspr-jobs}'])
      expect(refusal({ CAMPAIGN_QUEUE_PREFIX: bad })).toContain('CAMPAIGN_QUEUE_PREFIX');
    for (const good of ['{sspr-jobs}', 'sspr:{jobs}', '{t1}:jobs']) expect(loadConfig({ CAMPAIGN_QUEUE_PREFIX: good }).campaigns.queuePrefix).toBe(good);
  });

  test('R36: a webhook URL without a secret is refused in development too (never silently unsigned)', () => {
    expect(refusal({ HELPDESK_WEBHOOK_URL: 'http://127.0.0.1:9/hook' })).toContain('HELPDESK_WEBHOOK_SECRET');
  });

  test('R37: development binds 127.0.0.1 unless HOST is set; a real directory or real senders need DEV_ALLOW_REAL_SYSTEMS', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    const graph = { DIRECTORY: 'graph', GRAPH_TENANT_ID: 't', GRAPH_CLIENT_ID: 'c', GRAPH_CLIENT_SECRET: SECRET_VALUE };
    expect(refusal(graph)).toContain('DEV_ALLOW_REAL_SYSTEMS');
    expect(loadConfig({ ...graph, DEV_ALLOW_REAL_SYSTEMS: 'true' }).directory.kind).toBe('graph');
    const real = { SENDERS: 'real', SMTP_URL: 'smtp://127.0.0.1:25', MAIL_FROM: 'a@b.example', SMS_API_BASE_URL: 'http://127.0.0.1:9', SMS_ACCOUNT_SID: 'AC', SMS_AUTH_TOKEN: SECRET_VALUE, SMS_FROM: '+31970000' };
    expect(refusal(real)).toContain('SENDERS');
    expect(loadConfig({ ...real, DEV_ALLOW_REAL_SYSTEMS: 'true' }).senders.kind).toBe('real');
  });

  test('R37: development with DEV_ALLOW_REAL_SYSTEMS refuses a HOST that is not loopback (the chat page and X-Dev-User act as any real user)', () => {
    const graph = { DIRECTORY: 'graph', GRAPH_TENANT_ID: 't', GRAPH_CLIENT_ID: 'c', GRAPH_CLIENT_SECRET: SECRET_VALUE, DEV_ALLOW_REAL_SYSTEMS: 'true' };
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'devbox.contoso.example']) expect(refusal({ ...graph, HOST: host })).toContain('HOST');
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) expect(loadConfig({ ...graph, HOST: host }).host).toBe(host);
    // The demo directory and the outbox on a LAN address stay possible (demo users only).
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  test('R37: development generates its own keys on first start into DEV_KEYS_FILE (0600) and keeps them; no published keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'devkeys-'));
    const file = join(dir, 'nested', 'dev-keys.json');
    const a = loadConfig({ DEV_KEYS_FILE: file });
    const b = loadConfig({ DEV_KEYS_FILE: file });
    expect(a.keys.ephemeral).toBe(true);
    expect(b.keys.codeHmac[0]!.key.equals(a.keys.codeHmac[0]!.key)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const other = loadConfig({ DEV_KEYS_FILE: join(dir, 'other.json') });
    expect(other.keys.codeHmac[0]!.key.equals(a.keys.codeHmac[0]!.key)).toBe(false);
    expect(other.keys.fieldEncryption[0]!.key.equals(a.keys.fieldEncryption[0]!.key)).toBe(false);
    // The old published development key (a fixed string) is gone.
    const published = Buffer.alloc(32);
    published.write('sspr-development-code'.padEnd(32, '.').slice(0, 32));
    expect(a.keys.codeHmac[0]!.key.equals(published)).toBe(false);
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
    const env = { DIRECTORY: 'ldap', LDAP_URL: 'ldaps://dc1.sspr.test', LDAP_DIALECT: 'ad', LDAP_BIND_DN: 'svc-sspr@sspr.test', LDAP_BIND_PASSWORD: SECRET_VALUE, LDAP_BASE_DN: 'OU=Staff,DC=sspr,DC=test', LDAP_PRIVILEGED_GROUPS: 'CN=SSPR Privileged,OU=Groups,DC=sspr,DC=test', LDAP_TLS_SERVER_NAME: 'dc1.sspr.test', DEV_ALLOW_REAL_SYSTEMS: 'true' };
    const c = loadConfig(env);
    expect(c.directory.ldap.privilegedGroups).toEqual(['CN=SSPR Privileged,OU=Groups,DC=sspr,DC=test']);
    expect(c.directory.ldap.tlsServerName).toBe('dc1.sspr.test');
  });
});
