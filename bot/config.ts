/**
 * Configuration: environment variables plus the policy file, parsed once with zod, frozen, failing fast.
 * This is the only file that reads process.env (architecture.md rule 4). Error messages name variables, never values.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_POLICY, POLICY_CAPS, type Policy } from '../domain/policy/policy';
import { METHOD_KINDS } from '../domain/model/methods';
import { SsprError } from '../domain/errors';
import type { CampaignPolicy } from '../domain/campaigns/campaignPolicy';
import { SECURITY_ALERT_KINDS } from '../domain/campaigns/model';
import { TEAMS_CLIENT_APP_IDS } from './auth/ssoToken';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optStr = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
/**
 * Group DNs or names, comma-separated. A DN holds commas itself, so a list is split where one DN ends (after its
 * DC= components) and the next begins; `;` or a new line also separates. Names without `=` split on commas.
 */
export function splitDnList(v: string): string[] {
  const out: string[] = [];
  for (const chunk of v.split(/[;\n]/)) {
    const parts = chunk.split(/(?<!\\),/).map((p) => p.trim()).filter(Boolean);
    let current: string[] = [];
    const flush = () => {
      if (current.length) out.push(current.join(','));
      current = [];
    };
    for (const part of parts) {
      const isRdn = /^[A-Za-z][\w-]*\s*=/.test(part);
      const prev = current[current.length - 1];
      const prevIsDc = prev !== undefined && /^dc\s*=/i.test(prev);
      if (!isRdn || (prevIsDc && !/^dc\s*=/i.test(part))) flush();
      current.push(part);
      if (!isRdn) flush();
    }
    flush();
  }
  return out;
}

const dnList = z
  .string()
  .optional()
  .transform((v) => splitDnList(v ?? ''));

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );
/** "id:base64key,id2:base64key" → ordered key ring; the first is the active key. */
const keyRing = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const entries = (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const keys: { id: string; key: Buffer }[] = [];
    for (const e of entries) {
      const i = e.indexOf(':');
      const id = i > 0 ? e.slice(0, i) : '';
      const key = Buffer.from(i > 0 ? e.slice(i + 1) : '', 'base64');
      if (!/^[A-Za-z0-9_-]{1,16}$/.test(id) || key.length !== 32) {
        ctx.addIssue({ code: 'custom', message: 'each entry must be "<id>:<base64 of 32 bytes>"' });
        return z.NEVER;
      }
      keys.push({ id, key });
    }
    return keys;
  });

const EnvSchema = z.object({
  SSPR_MODE: z.enum(['development', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3978),
  /** Default: 127.0.0.1 in development (R37), 0.0.0.0 in production. */
  HOST: optStr,
  PUBLIC_BASE_URL: optStr,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  POLICY_FILE: optStr,
  // Bot Framework
  MicrosoftAppId: optStr,
  MicrosoftAppPassword: optStr,
  MicrosoftAppTenantId: optStr,
  MicrosoftAppType: z.enum(['SingleTenant', 'MultiTenant', 'UserAssignedMSI']).optional(),
  ALLOWED_TENANTS: list,
  // State
  REDIS_URL: optStr,
  REDIS_KEY_PREFIX: z.string().default('sspr:'),
  REDIS_SKIP_DURABILITY_CHECK: bool,
  REDIS_CLUSTER: bool,
  STATE_TTL_SECONDS: z.coerce.number().int().min(60).max(30 * 86400).default(86400),
  // Keys
  CODE_HMAC_KEYS: keyRing,
  FIELD_ENCRYPTION_KEYS: keyRing,
  AUDIT_PSEUDONYM_KEY: optStr,
  // Directory
  DIRECTORY: z.enum(['memory', 'ldap', 'graph']).default('memory'),
  DEMO_DIRECTORY_FILE: optStr,
  LDAP_URL: optStr,
  LDAP_DIALECT: z.enum(['openldap', 'ad']).default('openldap'),
  LDAP_BIND_DN: optStr,
  LDAP_BIND_PASSWORD: optStr,
  LDAP_BASE_DN: optStr,
  LDAP_USER_ID_ATTRIBUTE: z.string().default('employeeNumber'),
  LDAP_STARTTLS: bool,
  LDAP_CA_FILE: optStr,
  LDAP_ALLOW_INSECURE: bool,
  LDAP_PRIVILEGED_GROUPS: dnList,
  LDAP_TLS_SERVER_NAME: optStr,
  LDAP_PPOLICY_DN: optStr,
  GRAPH_TENANT_ID: optStr,
  GRAPH_CLIENT_ID: optStr,
  GRAPH_CLIENT_SECRET: optStr,
  GRAPH_BASE_URL: z.string().default('https://graph.microsoft.com/v1.0'),
  GRAPH_AUTHORITY_HOST: z.string().default('https://login.microsoftonline.com'),
  // Senders
  SENDERS: z.enum(['outbox', 'real']).default('outbox'),
  SMTP_URL: optStr,
  MAIL_FROM: optStr,
  SMS_API_BASE_URL: optStr,
  SMS_ACCOUNT_SID: optStr,
  SMS_AUTH_TOKEN: optStr,
  SMS_FROM: optStr,
  // Teams app and SSO for the pages' API
  TEAMS_APP_ID: optStr,
  SSO_APP_ID: optStr,
  SSO_JWKS_URL: z.string().default('https://login.microsoftonline.com/common/discovery/v2.0/keys'),
  // Helpdesk
  HELPDESK_WEBHOOK_URL: optStr,
  HELPDESK_WEBHOOK_SECRET: optStr,
  HELPDESK_API_KEYS_FILE: z.string().default('data/helpdesk-api-keys.json'),
  // Reverse proxies in front of the bot (R33): only from these peers is the client-address header believed
  TRUSTED_PROXIES: list,
  TRUSTED_PROXY_HEADER: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9-]{1,64}$/, 'an HTTP header name')
    .default('x-forwarded-for'),
  // Audit trail sinks and the admin pages (issue 14)
  AUDIT_SINKS: list,
  AUDIT_FILE_DIR: z.string().default('data/audit'),
  AUDIT_FILE_MAX_MB: z.coerce.number().int().min(1).max(10_000).default(100),
  AUDIT_FILE_ROTATE_HOURS: z.coerce.number().int().min(1).max(24 * 31).default(24),
  AUDIT_FILE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(400),
  AUDIT_INSTANCE: optStr,
  AUDIT_SYSLOG_HOST: optStr,
  AUDIT_SYSLOG_PORT: z.coerce.number().int().min(1).max(65535).default(6514),
  AUDIT_SYSLOG_CA_FILE: optStr,
  AUDIT_SYSLOG_CERT_FILE: optStr,
  AUDIT_SYSLOG_KEY_FILE: optStr,
  AUDIT_SYSLOG_FACILITY: z.coerce.number().int().min(0).max(23).default(10),
  ADMIN_GROUP_IDS: list,
  // Destinations the bot posts to on its own (R32): team id + channel id, or bound once by an admin command
  HELPDESK_TEAM_ID: optStr,
  HELPDESK_CHANNEL_ID: optStr,
  SECURITY_ALERT_TEAM_ID: optStr,
  SECURITY_ALERT_CHANNEL_ID: optStr,
  SECURITY_ALERT_LOCALE: z.enum(['en', 'nl']).default('en'),
  TEAMS_SERVICE_URL: z.string().default('https://smba.trafficmanager.net/teams/'),
  AUDIT_PSEUDONYM_PREVIOUS_KEY: optStr,
  // Proactive campaigns (issue 13): the worker (`npm run worker`) and its delivery limits
  CAMPAIGNS_IN_PROCESS: z.enum(['true', 'false', '1', '0', 'yes', 'no']).optional(),
  CAMPAIGN_TENANT_RATE: z.coerce.number().min(1).max(50).default(30),
  CAMPAIGN_GLOBAL_RATE: z.coerce.number().int().min(0).max(100_000).default(0),
  CAMPAIGN_CONCURRENCY: z.coerce.number().int().min(1).max(2000).default(200),
  CAMPAIGN_POSTS_IN_FLIGHT: z.coerce.number().int().min(1).max(512).default(16),
  CAMPAIGN_DELIVERY_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  // Redis Cluster hashes the first `{…}` of a key, so the tag must come first and not be empty (else CROSSSLOT).
  CAMPAIGN_QUEUE_PREFIX: z
    .string()
    .regex(/^[^{}]*\{[^{}]+\}/, 'must start its hash tag before any other brace, such as {sspr-jobs} (BullMQ on Redis Cluster)')
    .default('{sspr-jobs}'),
  CAMPAIGN_WORKER_ROLES: z.string().regex(/^(delivery|scans)(,(delivery|scans))?$/).default('delivery,scans'),
  CAMPAIGN_TENANT_ID: optStr,
  CAMPAIGN_READBACK: z.enum(['true', 'false', '1', '0', 'yes', 'no']).default('true'),
  CAMPAIGN_READBACK_AFTER_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  SECURITY_ALERT_TEAM_GROUP_ID: optStr,
  LOCKOUT_WEBHOOK_SECRET: optStr,
  // Transport (R36) and development limits (R37)
  REDIS_ALLOW_PLAINTEXT: bool,
  SMTP_REQUIRE_TLS: bool,
  METRICS_TOKEN: optStr,
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  METRICS_HOST: z.string().default('127.0.0.1'),
  SSO_ALLOWED_CLIENT_IDS: list,
  DEV_ALLOW_REAL_SYSTEMS: bool,
  DEV_KEYS_FILE: z.string().default('data/dev-keys.json'),
});

/** The Teams clients (desktop/mobile and web) that ask for the SSO token (platform notes). */
const TEAMS_CLIENT_IDS = TEAMS_CLIENT_APP_IDS;

export type Env = z.infer<typeof EnvSchema>;

/** The demo directory's "Bot Admins" group (Adele Vance): the default ADMIN_GROUP_IDS in development with the demo directory. */
export const DEMO_ADMIN_GROUP_ID = '71e38fc9-a0b2-4ed1-8f56-8293a4b5c6d7';
export type KeyRing = readonly { readonly id: string; readonly key: Buffer }[];

export interface Config {
  readonly mode: 'development' | 'production';
  readonly port: number;
  readonly host: string;
  readonly publicBaseUrl: string;
  readonly logLevel: Env['LOG_LEVEL'];
  readonly bot: {
    readonly appId: string | undefined;
    readonly appPassword: string | undefined;
    readonly appTenantId: string | undefined;
    readonly appType: 'SingleTenant' | 'MultiTenant' | 'UserAssignedMSI';
    /** Empty in development = any tenant. */
    readonly allowedTenants: readonly string[];
  };
  readonly redis: {
    readonly url: string | undefined;
    readonly prefix: string;
    readonly skipDurabilityCheck: boolean;
    /** REDIS_CLUSTER: `url` is a seed node of a Redis Cluster (the bot's state, the worker and BullMQ alike). */
    readonly cluster: boolean;
    readonly stateTtlSeconds: number;
  };
  readonly keys: {
    readonly codeHmac: KeyRing;
    readonly fieldEncryption: KeyRing;
    readonly auditPseudonym: Buffer;
    /** The pseudonym key before the last rotation: the audit export still finds a user's older lines by it. */
    readonly auditPseudonymPrevious: Buffer | undefined;
    /** True when development keys were generated (into DEV_KEYS_FILE) because none were configured. */
    readonly ephemeral: boolean;
  };
  /** Who may read /metrics (R36): a bearer token, and/or a separate listener (internal port). */
  readonly metrics: { readonly token: string | undefined; readonly port: number | undefined; readonly host: string };
  /** SSO tokens are accepted only from these client apps (azp/appid, R36). */
  readonly ssoAllowedClientIds: readonly string[];
  readonly directory: {
    readonly kind: 'memory' | 'ldap' | 'graph';
    readonly demoFile: string;
    readonly ldap: {
      readonly url: string | undefined;
      readonly dialect: 'openldap' | 'ad';
      readonly bindDn: string | undefined;
      readonly bindPassword: string | undefined;
      readonly baseDn: string | undefined;
      readonly userIdAttribute: string;
      readonly startTls: boolean;
      readonly caFile: string | undefined;
      readonly allowInsecure: boolean;
      readonly privilegedGroups: readonly string[];
      readonly tlsServerName: string | undefined;
      readonly passwordPolicyDn: string | undefined;
    };
    readonly graph: {
      readonly tenantId: string | undefined;
      readonly clientId: string | undefined;
      readonly clientSecret: string | undefined;
      readonly baseUrl: string;
      readonly authorityHost: string;
    };
  };
  readonly senders: {
    readonly kind: 'outbox' | 'real';
    readonly smtpUrl: string | undefined;
    /** STARTTLS required (SMTP_REQUIRE_TLS, R36): the sender never falls back to plaintext. */
    readonly smtpRequireTls: boolean;
    readonly mailFrom: string;
    readonly sms: {
      readonly baseUrl: string | undefined;
      readonly accountSid: string | undefined;
      readonly authToken: string | undefined;
      readonly from: string | undefined;
    };
  };
  readonly teams: {
    readonly appId: string | undefined;
    readonly ssoAppId: string | undefined;
    readonly jwksUrl: string;
  };
  readonly helpdesk: {
    readonly webhookUrl: string | undefined;
    readonly webhookSecret: string | undefined;
    /** ITSM API keys when there is no Redis (with Redis they live there). */
    readonly apiKeysFile: string;
  };
  /**
   * Where the bot posts on its own (R32): the helpdesk channel ("talk to the helpdesk" summaries) and the
   * security-alert channel. null = not configured; then an admin may bind one with `bind helpdesk` / `bind security`
   * in that channel. Never learned from traffic.
   */
  /** Proactive campaigns: where the worker runs and how fast it may send (policy settings are in `policy.campaigns`). */
  readonly campaigns: {
    /** Run the worker inside `npm start` (development default; without Redis it is the in-process engine). */
    readonly inProcess: boolean;
    readonly tenantPerSecond: number;
    /** BullMQ's global limiter across all workers (0 = off). */
    readonly globalPerSecond: number;
    readonly concurrency: number;
    readonly postsInFlight: number;
    readonly attempts: number;
    readonly queuePrefix: string;
    readonly roles: { readonly delivery: boolean; readonly scans: boolean };
    /** The tenant the directory scans belong to. */
    readonly tenantId: string | undefined;
    /** HMAC-SHA256 secret of the SIEM lockout webhook (POST /api/campaigns/lockout); unset = the route is off. */
    readonly lockoutWebhookSecret: string | undefined;
    /**
     * Reading in-doubt messages back through Graph (a worker died with the POST in flight; admin guide, "In-doubt
     * messages"): on when Graph credentials and TEAMS_APP_ID are set and not switched off; `afterMs` = how long
     * after the POST a message the connector accepted is surely listed; `securityTeamGroupId` = the security
     * channel's team as Graph names it (its Microsoft 365 group id).
     */
    readonly readBack: { readonly enabled: boolean; readonly afterMs: number; readonly securityTeamGroupId: string | undefined };
  };
  /**
   * Reverse proxies whose client-address header is believed (R33): addresses or CIDR ranges; a request from any
   * other peer is keyed by its socket address whatever headers it sends. Empty = no proxy is trusted.
   */
  readonly proxy: { readonly trusted: readonly string[]; readonly header: string };
  readonly channels: {
    readonly helpdesk: { readonly teamId: string; readonly channelId: string } | null;
    readonly security: { readonly teamId: string; readonly channelId: string } | null;
    /** The language of what the security-alert channel is told (E2): the team's, not the user's. */
    readonly securityLocale: 'en' | 'nl';
    /** The Bot Connector endpoint for proactive posts to a configured channel. */
    readonly serviceUrl: string;
  };
  /** Where audit lines go (issue 14): stdout always available; a JSONL file; syslog over TLS. */
  readonly audit: {
    readonly sinks: readonly ('stdout' | 'file' | 'syslog')[];
    readonly instance: string;
    readonly file: { readonly dir: string; readonly maxBytes: number; readonly rotateHours: number; readonly retentionDays: number };
    readonly syslog: {
      readonly host: string | undefined;
      readonly port: number;
      readonly caFile: string | undefined;
      readonly certFile: string | undefined;
      readonly keyFile: string | undefined;
      readonly facility: number;
    };
  };
  /** Object ids of the groups whose members see the Insights page and the admin API (matched by id, never name). */
  readonly adminGroupIds: readonly string[];
  readonly policy: Policy;
}

export class ConfigError extends SsprError {
  constructor(readonly problems: readonly string[]) {
    super('config_invalid', `Configuration refused:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { expose: true });
  }
}

// ---------- policy file ----------

const text = (min: number, max: number) => z.string().trim().min(min).max(max);
const audienceSchema = z
  .object({ mode: z.enum(['everyone', 'groups']), groups: z.array(text(1, 256)), excludeGroups: z.array(text(1, 256)) })
  .partial()
  .strict();
const CampaignPolicySchema = z
  .object({
    quietHours: z
      .object({ enabled: z.boolean(), startHour: z.number().int().min(0).max(23), endHour: z.number().int().min(0).max(23), defaultTimeZone: text(1, 64) })
      .partial()
      .strict(),
    expiry: z
      .object({
        enabled: z.boolean(),
        daysBefore: z.array(z.number().int().min(1).max(90)).min(1).max(10),
        scanEveryMinutes: z.number().int().min(5).max(1440),
        audience: audienceSchema,
      })
      .partial()
      .strict(),
    lockout: z
      .object({ enabled: z.boolean(), pollEverySeconds: z.number().int().min(15).max(3600), maxAgeMinutes: z.number().int().min(1).max(1440), audience: audienceSchema })
      .partial()
      .strict(),
    registration: z
      .object({
        enabled: z.boolean(),
        scanEveryHours: z.number().int().min(1).max(168),
        remindEveryDays: z.number().int().min(1).max(90),
        maxSnoozes: z.number().int().min(0).max(20),
        audience: audienceSchema,
      })
      .partial()
      .strict(),
    reconfirm: z.object({ enabled: z.boolean(), remindEveryDays: z.number().int().min(1).max(90), maxSnoozes: z.number().int().min(0).max(20) }).partial().strict(),
    securityAlerts: z
      .object({
        enabled: z.boolean(),
        kinds: z.array(z.enum(SECURITY_ALERT_KINDS)),
        dedupeMinutes: z.number().int().min(1).max(1440),
        perKindPerHour: z.number().int().min(1).max(1000),
        spikeFactor: z.number().min(1.5).max(20),
      })
      .partial()
      .strict(),
    scanPageSize: z.number().int().min(10).max(1000),
  })
  .partial()
  .strict();

function mergeCampaignPolicy(d: CampaignPolicy, p: z.infer<typeof CampaignPolicySchema> | undefined): CampaignPolicy {
  if (!p) return d;
  const aud = (a: CampaignPolicy['expiry']['audience'], o: z.infer<typeof audienceSchema> | undefined) => ({ ...a, ...o });
  return {
    quietHours: { ...d.quietHours, ...p.quietHours },
    expiry: { ...d.expiry, ...p.expiry, audience: aud(d.expiry.audience, p.expiry?.audience) },
    lockout: { ...d.lockout, ...p.lockout, audience: aud(d.lockout.audience, p.lockout?.audience) },
    registration: { ...d.registration, ...p.registration, audience: aud(d.registration.audience, p.registration?.audience) },
    reconfirm: { ...d.reconfirm, ...p.reconfirm },
    securityAlerts: { ...d.securityAlerts, ...p.securityAlerts },
    scanPageSize: p.scanPageSize ?? d.scanPageSize,
  };
}

const PolicySchema = z
  .object({
    methods: z
      .object({
        enabled: z.array(z.enum(METHOD_KINDS)).min(1),
        requiredForReset: z.union([z.literal(1), z.literal(2)]),
        privilegedRoute: z.enum(['twoMethods', 'helpdesk']),
        reconfirmAfterDays: z.number().int().min(0).max(730),
        prefillFromDirectory: z.boolean(),
        bootstrap: z.enum(['directoryOrSession', 'directoryOrHelpdesk', 'helpdesk']),
        holdHours: z.number().min(1).max(168),
      })
      .partial()
      .strict(),
    securityQuestions: z
      .object({
        register: z.number().int().min(3).max(5),
        answer: z.number().int().min(3).max(5),
        custom: z
          .array(z.object({ id: z.string().regex(/^[a-z0-9_-]{1,32}$/), en: text(3, 200), nl: text(3, 200) }).strict())
          .max(POLICY_CAPS.customQuestions),
        builtIn: z.boolean(),
      })
      .partial()
      .strict(),
    phone: z
      .object({
        allowedCountries: z.array(z.string().regex(/^[A-Z]{2}$/)),
        blockedPrefixes: z.array(z.string().regex(/^\+\d{1,8}$/)),
        sendsPerPrefixPerHour: z.number().int().min(1).max(10000),
      })
      .partial()
      .strict(),
    codes: z
      .object({
        lifetimeSeconds: z.number().int().min(60).max(POLICY_CAPS.codeLifetimeSeconds),
        maxTries: z.number().int().min(1).max(POLICY_CAPS.maxTries),
      })
      .partial()
      .strict(),
    throttles: z
      .object({
        sendsPerHourPerChannel: z.number().int().min(1).max(POLICY_CAPS.sendsPerHourPerChannel),
        minSecondsBetweenSends: z.number().int().min(30).max(3600),
        sendsPerDayPerDestination: z.number().int().min(1).max(POLICY_CAPS.sendsPerDayPerDestination),
        newDestinationsPerDay: z.number().int().min(1).max(POLICY_CAPS.newDestinationsPerDay),
        failedVerificationsBeforeBlock: z.number().int().min(1).max(POLICY_CAPS.failedVerificationsBeforeBlock),
        blockHours: z.number().min(1).max(168),
      })
      .partial()
      .strict(),
    grant: z
      .object({
        lifetimeSeconds: z.number().int().min(60).max(POLICY_CAPS.grantLifetimeSeconds),
        maxFlowSeconds: z.number().int().min(300).max(POLICY_CAPS.maxFlowSeconds),
      })
      .partial()
      .strict(),
    password: z
      .object({
        minLength: z.number().int().min(8).max(256),
        maxLength: z.number().int().min(8).max(256),
        recommendedLength: z.number().int().min(8).max(256),
        organisationName: text(1, 100),
        bannedTerms: z.array(text(1, 100)).max(POLICY_CAPS.bannedTerms),
        forceChangeAtNextSignIn: z.boolean(),
      })
      .partial()
      .strict(),
    // C6: N resets/unlocks per M days (sliding window).
    resets: z.object({ maxPerWindow: z.number().int().min(1).max(50), windowDays: z.number().int().min(1).max(90) }).partial().strict(),
    scope: z
      .object({ mode: z.enum(['everyone', 'groups']), groups: z.array(text(1, 256)) })
      .partial()
      .strict(),
    helpdesk: z
      .object({
        agentGroups: z.array(text(1, 256)),
        contactText: z.object({ en: text(1, 300), nl: text(1, 300) }).strict(),
        allowHandoffToPrivileged: z.boolean(),
      })
      .partial()
      .strict(),
    campaigns: CampaignPolicySchema,
  })
  .partial()
  .strict();

/** Merge a parsed policy file over the defaults and check cross-field rules. */
export function parsePolicy(raw: unknown): Policy {
  // C6: the cap became N per M days; a file written for the former 24 h setting is told what replaced it.
  const legacy = (raw as { resets?: { maxPerDay?: unknown } } | null)?.resets?.maxPerDay;
  if (legacy !== undefined) {
    throw new ConfigError([`policy resets.maxPerDay: replaced by resets.maxPerWindow (N) and resets.windowDays (M): e.g. { "maxPerWindow": ${JSON.stringify(legacy)}, "windowDays": 1 }`]);
  }
  const r = PolicySchema.safeParse(raw);
  if (!r.success) {
    throw new ConfigError(r.error.issues.map((i) => `policy ${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  const p = r.data;
  const d = DEFAULT_POLICY;
  const policy: Policy = {
    methods: { ...d.methods, ...p.methods },
    securityQuestions: { ...d.securityQuestions, ...p.securityQuestions },
    phone: { ...d.phone, ...p.phone },
    codes: { ...d.codes, ...p.codes },
    throttles: { ...d.throttles, ...p.throttles },
    grant: { ...d.grant, ...p.grant },
    password: { ...d.password, ...p.password },
    resets: { ...d.resets, ...p.resets },
    scope: { ...d.scope, ...p.scope },
    helpdesk: { ...d.helpdesk, ...p.helpdesk },
    campaigns: mergeCampaignPolicy(d.campaigns, p.campaigns),
  };
  const problems: string[] = [];
  if (policy.securityQuestions.answer > policy.securityQuestions.register)
    problems.push('policy securityQuestions.answer: must not exceed securityQuestions.register');
  if (policy.password.minLength > policy.password.maxLength)
    problems.push('policy password.minLength: must not exceed password.maxLength');
  if (policy.grant.lifetimeSeconds > policy.grant.maxFlowSeconds)
    problems.push('policy grant.lifetimeSeconds: must not exceed grant.maxFlowSeconds');
  if (policy.scope.mode === 'groups' && policy.scope.groups.length === 0)
    problems.push('policy scope.groups: must list at least one group when scope.mode is "groups"');
  for (const k of ['expiry', 'lockout', 'registration'] as const)
    if (policy.campaigns[k].audience.mode === 'groups' && policy.campaigns[k].audience.groups.length === 0)
      problems.push(`policy campaigns.${k}.audience.groups: must list at least one group when audience.mode is "groups"`);
  // R32: groups authorise by object id (Entra/AD objectGUID, OpenLDAP entryUUID) or LDAP DN — never by display name.
  for (const [name, groups] of [
    ['helpdesk.agentGroups', policy.helpdesk.agentGroups],
    ['scope.groups', policy.scope.groups],
    // Issue 13: campaign audiences are matched by id too (domain/campaigns/campaignPolicy.ts inAudience).
    ...(['expiry', 'lockout', 'registration'] as const).flatMap((k) => [
      [`campaigns.${k}.audience.groups`, policy.campaigns[k].audience.groups] as const,
      [`campaigns.${k}.audience.excludeGroups`, policy.campaigns[k].audience.excludeGroups] as const,
    ]),
  ] as const) {
    if (groups.some((g) => !isGroupId(g))) problems.push(`policy ${name}: group object ids (GUIDs) or LDAP DNs, never display names (R32)`);
  }
  const enabledPossession = policy.methods.enabled.filter((k) => k !== 'securityQuestions');
  if (enabledPossession.length === 0) problems.push('policy methods.enabled: needs at least one method other than securityQuestions');
  if (problems.length) throw new ConfigError(problems);
  return deepFreeze(policy);
}

const GROUP_GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GROUP_DN = /^[A-Za-z][\w-]*=[^,]+(,\s*[A-Za-z][\w-]*=[^,]+)+$/;
/** A group reference that is an identifier: a GUID or an LDAP distinguished name (at least two RDNs). */
export function isGroupId(g: string): boolean {
  return GROUP_GUID.test(g) || GROUP_DN.test(g);
}

export const DEFAULT_POLICY_FILE = 'config/policy.default.json';

function loadPolicyFile(path: string, problems: string[]): Policy {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(resolve(path), 'utf8'));
  } catch (e) {
    problems.push(`POLICY_FILE: cannot read or parse the policy file (${(e as NodeJS.ErrnoException).code ?? 'invalid JSON'})`);
    return DEFAULT_POLICY;
  }
  try {
    return parsePolicy(raw);
  } catch (e) {
    if (e instanceof ConfigError) problems.push(...e.problems);
    else throw e;
    return DEFAULT_POLICY;
  }
}

// ---------- environment ----------

/** Parse and check the environment. Throws ConfigError naming every offending variable (never a value). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const prod = e.SSPR_MODE === 'production';
  const problems: string[] = [];
  const need = (name: keyof Env, why: string): void => {
    const v = e[name];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) problems.push(`${name}: required in production (${why})`);
  };

  const policy = loadPolicyFile(e.POLICY_FILE ?? DEFAULT_POLICY_FILE, problems);
  if (e.REDIS_CLUSTER && !e.REDIS_URL) problems.push('REDIS_CLUSTER: needs REDIS_URL, the address of one node of the cluster (the others are discovered)');

  if (prod) {
    need('MicrosoftAppId', 'empty disables Bot Framework authentication');
    need('MicrosoftAppTenantId', 'single-tenant bot');
    if (e.MicrosoftAppType !== 'UserAssignedMSI') need('MicrosoftAppPassword', 'bot credentials');
    need('ALLOWED_TENANTS', 'tenant allow-list must not be empty');
    need('REDIS_URL', 'state in memory is refused in production');
    need('CODE_HMAC_KEYS', 'one-time codes are stored as HMACs');
    need('FIELD_ENCRYPTION_KEYS', 'phone numbers, addresses and TOTP secrets are encrypted at rest');
    need('AUDIT_PSEUDONYM_KEY', 'audit events carry pseudonymous user ids');
    need('PUBLIC_BASE_URL', 'the Teams pages and manifest need the public https address');
    need('SSO_APP_ID', 'the pages API validates Teams SSO tokens for this app');
    if (e.PUBLIC_BASE_URL && !e.PUBLIC_BASE_URL.startsWith('https://')) problems.push('PUBLIC_BASE_URL: must be https in production');
    if (e.DIRECTORY === 'memory') problems.push('DIRECTORY: the demo directory is refused in production (use ldap or graph)');
    if (e.SENDERS === 'outbox') problems.push('SENDERS: the development outbox is refused in production (use real)');
    if (e.MicrosoftAppType === 'MultiTenant') problems.push('MicrosoftAppType: MultiTenant is refused in production (SingleTenant)');
  }
  if (e.DIRECTORY === 'ldap') {
    for (const n of ['LDAP_URL', 'LDAP_BIND_DN', 'LDAP_BIND_PASSWORD', 'LDAP_BASE_DN'] as const)
      if (e[n] === undefined) problems.push(`${n}: required when DIRECTORY=ldap`);
    const plain = e.LDAP_URL?.startsWith('ldap://') && !e.LDAP_STARTTLS;
    if (plain && (prod || !e.LDAP_ALLOW_INSECURE))
      problems.push(
        prod
          ? 'LDAP_URL: plain LDAP is refused in production; use ldaps:// or LDAP_STARTTLS=true (R29)'
          : 'LDAP_URL: plain LDAP needs LDAP_ALLOW_INSECURE=true (development only) or ldaps:// / LDAP_STARTTLS=true',
      );
    if (prod && e.LDAP_ALLOW_INSECURE) problems.push('LDAP_ALLOW_INSECURE: refused in production (R29)');
  }
  if (e.DIRECTORY === 'graph') {
    for (const n of ['GRAPH_TENANT_ID', 'GRAPH_CLIENT_ID', 'GRAPH_CLIENT_SECRET'] as const)
      if (e[n] === undefined) problems.push(`${n}: required when DIRECTORY=graph`);
  }
  if (e.SENDERS === 'real') {
    for (const n of ['SMTP_URL', 'MAIL_FROM', 'SMS_API_BASE_URL', 'SMS_ACCOUNT_SID', 'SMS_AUTH_TOKEN', 'SMS_FROM'] as const)
      if (e[n] === undefined) problems.push(`${n}: required when SENDERS=real`);
  }
  const sinks = e.AUDIT_SINKS.length ? e.AUDIT_SINKS : ['stdout'];
  for (const sink of sinks)
    if (!['stdout', 'file', 'syslog'].includes(sink)) problems.push('AUDIT_SINKS: each entry must be stdout, file or syslog');
  if (sinks.includes('syslog') && !e.AUDIT_SYSLOG_HOST) problems.push('AUDIT_SYSLOG_HOST: required when AUDIT_SINKS includes syslog');
  if (Boolean(e.AUDIT_SYSLOG_CERT_FILE) !== Boolean(e.AUDIT_SYSLOG_KEY_FILE))
    problems.push('AUDIT_SYSLOG_CERT_FILE: the client certificate and AUDIT_SYSLOG_KEY_FILE go together');
  if (e.AUDIT_INSTANCE !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(e.AUDIT_INSTANCE))
    problems.push('AUDIT_INSTANCE: letters, digits and ._- only (1–64)');
  const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  if (e.ADMIN_GROUP_IDS.some((g) => !GUID.test(g))) problems.push('ADMIN_GROUP_IDS: group object ids (GUIDs), never names (R32)');
  const channel = (team: 'HELPDESK_TEAM_ID' | 'SECURITY_ALERT_TEAM_ID', chan: 'HELPDESK_CHANNEL_ID' | 'SECURITY_ALERT_CHANNEL_ID') => {
    const teamId = e[team];
    const channelId = e[chan];
    if (teamId === undefined && channelId === undefined) return null;
    if (teamId === undefined || channelId === undefined) {
      problems.push(`${teamId === undefined ? team : chan}: set both ${team} and ${chan}, or neither`);
      return null;
    }
    if (!/^19:[^\s;]+$/.test(channelId)) problems.push(`${chan}: must be a Teams channel id (19:…@thread.tacv2)`);
    return { teamId, channelId };
  };
  const channels = {
    helpdesk: channel('HELPDESK_TEAM_ID', 'HELPDESK_CHANNEL_ID'),
    security: channel('SECURITY_ALERT_TEAM_ID', 'SECURITY_ALERT_CHANNEL_ID'),
    securityLocale: e.SECURITY_ALERT_LOCALE,
    serviceUrl: e.TEAMS_SERVICE_URL,
  };
  for (const p of e.TRUSTED_PROXIES) {
    const [addr = '', bits, ...rest] = p.split('/');
    const family = isIP(addr);
    const max = family === 6 ? 128 : 32;
    if (!family || rest.length > 0 || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max)))
      problems.push(`TRUSTED_PROXIES: "${p.slice(0, 60)}" is not an IP address or CIDR range`);
  }
  if (e.HELPDESK_WEBHOOK_URL && !e.HELPDESK_WEBHOOK_SECRET)
    problems.push('HELPDESK_WEBHOOK_SECRET: required when HELPDESK_WEBHOOK_URL is set (webhooks are always signed, R36)');
  if (prod) transportProblems(e, problems);
  else developmentProblems(e, problems);
  const unique = [...new Set(problems)];
  if (unique.length) throw new ConfigError(unique);

  const ephemeral = e.CODE_HMAC_KEYS.length === 0 || e.FIELD_ENCRYPTION_KEYS.length === 0 || !e.AUDIT_PSEUDONYM_KEY;
  // R37: development generates its own keys on first start (a git-ignored file), never keys published in the repo.
  const dev = ephemeral ? developmentKeys(e.DEV_KEYS_FILE) : null;
  const devKey = (label: 'code' | 'field' | 'audit'): Buffer => dev![label];

  const config: Config = {
    mode: e.SSPR_MODE,
    port: e.PORT,
    host: e.HOST ?? (prod ? '0.0.0.0' : '127.0.0.1'),
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    logLevel: e.LOG_LEVEL,
    bot: {
      appId: e.MicrosoftAppId,
      appPassword: e.MicrosoftAppPassword,
      appTenantId: e.MicrosoftAppTenantId,
      appType: e.MicrosoftAppType ?? (prod ? 'SingleTenant' : 'MultiTenant'),
      allowedTenants: e.ALLOWED_TENANTS,
    },
    redis: {
      url: e.REDIS_URL,
      prefix: e.REDIS_KEY_PREFIX,
      skipDurabilityCheck: e.REDIS_SKIP_DURABILITY_CHECK,
      cluster: e.REDIS_CLUSTER,
      stateTtlSeconds: e.STATE_TTL_SECONDS,
    },
    keys: {
      codeHmac: e.CODE_HMAC_KEYS.length ? e.CODE_HMAC_KEYS : [{ id: 'dev', key: devKey('code') }],
      fieldEncryption: e.FIELD_ENCRYPTION_KEYS.length ? e.FIELD_ENCRYPTION_KEYS : [{ id: 'dev', key: devKey('field') }],
      auditPseudonym: e.AUDIT_PSEUDONYM_KEY ? Buffer.from(e.AUDIT_PSEUDONYM_KEY, 'utf8') : devKey('audit'),
      auditPseudonymPrevious: e.AUDIT_PSEUDONYM_PREVIOUS_KEY ? Buffer.from(e.AUDIT_PSEUDONYM_PREVIOUS_KEY, 'utf8') : undefined,
      ephemeral,
    },
    directory: {
      kind: e.DIRECTORY,
      demoFile: e.DEMO_DIRECTORY_FILE ?? 'config/demo-directory.json',
      ldap: {
        url: e.LDAP_URL,
        dialect: e.LDAP_DIALECT,
        bindDn: e.LDAP_BIND_DN,
        bindPassword: e.LDAP_BIND_PASSWORD,
        baseDn: e.LDAP_BASE_DN,
        userIdAttribute: e.LDAP_USER_ID_ATTRIBUTE,
        startTls: e.LDAP_STARTTLS,
        caFile: e.LDAP_CA_FILE,
        allowInsecure: e.LDAP_ALLOW_INSECURE,
        privilegedGroups: e.LDAP_PRIVILEGED_GROUPS,
        tlsServerName: e.LDAP_TLS_SERVER_NAME,
        passwordPolicyDn: e.LDAP_PPOLICY_DN,
      },
      graph: {
        tenantId: e.GRAPH_TENANT_ID,
        clientId: e.GRAPH_CLIENT_ID,
        clientSecret: e.GRAPH_CLIENT_SECRET,
        baseUrl: e.GRAPH_BASE_URL.replace(/\/+$/, ''),
        authorityHost: e.GRAPH_AUTHORITY_HOST.replace(/\/+$/, ''),
      },
    },
    senders: {
      kind: e.SENDERS,
      smtpUrl: e.SMTP_URL,
      smtpRequireTls: e.SMTP_REQUIRE_TLS,
      mailFrom: e.MAIL_FROM ?? 'Password Reset Assistant <no-reply@localhost>',
      sms: { baseUrl: e.SMS_API_BASE_URL, accountSid: e.SMS_ACCOUNT_SID, authToken: e.SMS_AUTH_TOKEN, from: e.SMS_FROM },
    },
    teams: { appId: e.TEAMS_APP_ID, ssoAppId: e.SSO_APP_ID, jwksUrl: e.SSO_JWKS_URL },
    helpdesk: { webhookUrl: e.HELPDESK_WEBHOOK_URL, webhookSecret: e.HELPDESK_WEBHOOK_SECRET, apiKeysFile: e.HELPDESK_API_KEYS_FILE },
    proxy: { trusted: e.TRUSTED_PROXIES, header: e.TRUSTED_PROXY_HEADER },
    channels,
    campaigns: {
      inProcess: e.CAMPAIGNS_IN_PROCESS === undefined ? e.SSPR_MODE === 'development' : ['true', '1', 'yes'].includes(e.CAMPAIGNS_IN_PROCESS),
      tenantPerSecond: e.CAMPAIGN_TENANT_RATE,
      globalPerSecond: e.CAMPAIGN_GLOBAL_RATE,
      concurrency: e.CAMPAIGN_CONCURRENCY,
      postsInFlight: e.CAMPAIGN_POSTS_IN_FLIGHT,
      attempts: e.CAMPAIGN_DELIVERY_ATTEMPTS,
      queuePrefix: e.CAMPAIGN_QUEUE_PREFIX,
      roles: { delivery: e.CAMPAIGN_WORKER_ROLES.includes('delivery'), scans: e.CAMPAIGN_WORKER_ROLES.includes('scans') },
      tenantId: e.CAMPAIGN_TENANT_ID ?? e.MicrosoftAppTenantId ?? e.ALLOWED_TENANTS[0],
      lockoutWebhookSecret: e.LOCKOUT_WEBHOOK_SECRET,
      readBack: { enabled: ['true', '1', 'yes'].includes(e.CAMPAIGN_READBACK), afterMs: e.CAMPAIGN_READBACK_AFTER_SECONDS * 1000, securityTeamGroupId: e.SECURITY_ALERT_TEAM_GROUP_ID },
    },
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT, host: e.METRICS_HOST },
    ssoAllowedClientIds: (e.SSO_ALLOWED_CLIENT_IDS.length ? e.SSO_ALLOWED_CLIENT_IDS : [...TEAMS_CLIENT_IDS]).map((c) => c.toLowerCase()),
    audit: {
      sinks: [...new Set(sinks)] as ('stdout' | 'file' | 'syslog')[],
      instance: e.AUDIT_INSTANCE ?? (hostname().replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'sspr'),
      file: { dir: e.AUDIT_FILE_DIR, maxBytes: e.AUDIT_FILE_MAX_MB * 1024 * 1024, rotateHours: e.AUDIT_FILE_ROTATE_HOURS, retentionDays: e.AUDIT_FILE_RETENTION_DAYS },
      syslog: {
        host: e.AUDIT_SYSLOG_HOST,
        port: e.AUDIT_SYSLOG_PORT,
        caFile: e.AUDIT_SYSLOG_CA_FILE,
        certFile: e.AUDIT_SYSLOG_CERT_FILE,
        keyFile: e.AUDIT_SYSLOG_KEY_FILE,
        facility: e.AUDIT_SYSLOG_FACILITY,
      },
    },
    // Development with the demo directory: its "Bot Admins" group (Adele Vance), so the local chat page shows Insights.
    adminGroupIds: e.ADMIN_GROUP_IDS.length
      ? e.ADMIN_GROUP_IDS.map((g) => g.toLowerCase())
      : !prod && e.DIRECTORY === 'memory'
        ? [DEMO_ADMIN_GROUP_ID]
        : [],
    policy,
  };
  return deepFreeze(config);
}

/** R36: production speaks TLS to everything, signs its webhooks and keeps /metrics closed. Names variables only. */
function transportProblems(e: Env, problems: string[]): void {
  const https = (name: keyof Env, why: string): void => {
    const v = e[name];
    if (typeof v === 'string' && !v.toLowerCase().startsWith('https://')) problems.push(`${name}: must be https in production (${why})`);
  };
  https('GRAPH_BASE_URL', 'Microsoft Graph');
  https('GRAPH_AUTHORITY_HOST', 'token authority');
  https('SSO_JWKS_URL', 'SSO signing keys');
  https('SMS_API_BASE_URL', 'SMS/voice provider');
  https('HELPDESK_WEBHOOK_URL', 'outcome webhooks');
  https('TEAMS_SERVICE_URL', 'Bot Connector');
  if (e.SMTP_URL) {
    const smtps = e.SMTP_URL.toLowerCase().startsWith('smtps://');
    if (!smtps && !e.SMTP_REQUIRE_TLS) problems.push('SMTP_URL: needs TLS in production — smtps:// or STARTTLS with SMTP_REQUIRE_TLS=true');
  }
  if (e.REDIS_URL && !e.REDIS_URL.toLowerCase().startsWith('rediss://') && !e.REDIS_ALLOW_PLAINTEXT)
    problems.push('REDIS_URL: must be rediss:// (TLS) in production, or set REDIS_ALLOW_PLAINTEXT=true when the network is private');
  if (!e.METRICS_TOKEN && e.METRICS_PORT === undefined)
    problems.push('METRICS_TOKEN: /metrics needs a bearer token in production (or METRICS_PORT for a separate internal listener)');
  if (e.METRICS_TOKEN && e.METRICS_TOKEN.length < 16) problems.push('METRICS_TOKEN: at least 16 characters');
  // A short HMAC key is no signature: whoever guesses it signs lockout reports (inbound) or hand-off outcomes.
  for (const n of ['LOCKOUT_WEBHOOK_SECRET', 'HELPDESK_WEBHOOK_SECRET'] as const)
    if (e[n] !== undefined && e[n].length < 32) problems.push(`${n}: at least 32 characters in production`);
}

/** Checks in every mode, and R37's development limits. */
function developmentProblems(e: Env, problems: string[]): void {
  // Development has no Bot Framework or SSO proof of who calls (the local chat page, X-Dev-User): on an address others
  // can reach, with a real directory or real senders, anyone there acts as any real user.
  if (e.DEV_ALLOW_REAL_SYSTEMS && e.HOST !== undefined && !isLoopbackHost(e.HOST))
    problems.push('HOST: development with DEV_ALLOW_REAL_SYSTEMS=true listens on loopback only (127.0.0.1, ::1, localhost) (R37)');
  if (!e.DEV_ALLOW_REAL_SYSTEMS) {
    if (e.DIRECTORY !== 'memory')
      problems.push('DIRECTORY: a real directory in development needs DEV_ALLOW_REAL_SYSTEMS=true (R37)');
    if (e.SENDERS === 'real') problems.push('SENDERS: real senders in development need DEV_ALLOW_REAL_SYSTEMS=true (R37)');
  }
}

/** 127.0.0.0/8, ::1 or localhost. */
function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h);
}

const DEV_KEYS = z.object({ code: z.string(), field: z.string(), audit: z.string() });

/**
 * The development keys: read from `file`, or generated (32 random bytes each) and written there with mode 0600 on
 * first start. Written to a temporary file and linked into place, so concurrent first starts agree on one set.
 */
function developmentKeys(file: string): { code: Buffer; field: Buffer; audit: Buffer } {
  const path = resolve(file);
  const read = (): { code: Buffer; field: Buffer; audit: Buffer } | null => {
    try {
      const k = DEV_KEYS.parse(JSON.parse(readFileSync(path, 'utf8')));
      const b = { code: Buffer.from(k.code, 'base64'), field: Buffer.from(k.field, 'base64'), audit: Buffer.from(k.audit, 'base64') };
      return b.code.length === 32 && b.field.length === 32 && b.audit.length === 32 ? b : null;
    } catch {
      return null;
    }
  };
  const existing = read();
  if (existing) return existing;
  const fresh = { code: randomBytes(32).toString('base64'), field: randomBytes(32).toString('base64'), audit: randomBytes(32).toString('base64') };
  try {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(fresh)}\n`, { mode: 0o600 });
    try {
      linkSync(tmp, path);
    } catch {
      /* another process created it first: use theirs */
    } finally {
      unlinkSync(tmp);
    }
  } catch (cause) {
    throw new ConfigError([`DEV_KEYS_FILE: cannot write the generated development keys (${(cause as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  const k = read();
  if (!k) throw new ConfigError(['DEV_KEYS_FILE: the development keys file is not valid; delete it to generate new keys']);
  return k;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Buffer.isBuffer(o) && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}
