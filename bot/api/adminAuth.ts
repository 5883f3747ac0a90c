import type { Request } from 'restify';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { requestClient } from './trustedProxy';
import { lockoutSubject } from '../../domain/helpdesk/clientAddress';
import type { StateBackend } from '../state/stateBackend';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { bearerToken, SsoTokenValidator } from '../auth/ssoToken';
import type { Result } from '../../domain/errors';
import { fail, ok } from '../../domain/errors';
import type { ApiKeys, ApiScope } from '../../domain/helpdesk/apiKeys';
import type { AdminAccess } from '../../domain/insights/adminAccess';
import type { UserRef } from '../../domain/model/user';

/** Who may read insights and the audit trail: an API key with the scope, or an admin signed in to Teams. */
export type AdminCaller =
  { readonly kind: 'key'; readonly keyId: string } | { readonly kind: 'admin'; readonly user: UserRef };

export type AdminAuthRefusal =
  'unauthorized' | 'not_admin' | 'insufficient_scope' | 'rate_limited' | 'temporarily_unavailable';

export interface AdminAuthDeps {
  readonly config: Config;
  readonly logger: Logger;
  /** Rate limiters (rule 17: the state backend's). */
  readonly state: Pick<StateBackend, 'limiter'>;
  readonly keys: ApiKeys;
  readonly access: AdminAccess;
  /** Validator override (tests with a local JWKS). */
  readonly tokens?: SsoTokenValidator;
}

export interface AdminAuth {
  authenticate(
    req: Request,
    scope: Extract<ApiScope, 'insights:read' | 'audit:read'>,
  ): Promise<Result<AdminCaller, AdminAuthRefusal> & { retryAfterSeconds?: number }>;
}

/**
 * Admin authentication (issue 14): `Authorization: ApiKey <id>.<secret>` with the route's scope, or
 * `Authorization: Bearer <Teams SSO token>` of a member of an admin group (by object id, checked server-side), or —
 * in development only — `X-Dev-User: <tenant>:<object id>` for the local chat page, with the same group check.
 * Failed attempts are limited per client address (R33: a verified caller is never locked out); every caller per minute.
 */
export function createAdminAuth(deps: AdminAuthDeps): AdminAuth {
  const { config } = deps;
  const dev = config.mode === 'development';
  const tokens =
    deps.tokens ??
    (config.teams.ssoAppId
      ? new SsoTokenValidator({
          ssoAppId: config.teams.ssoAppId,
          publicBaseUrl: config.publicBaseUrl,
          allowedTenants: config.bot.allowedTenants,
          jwksUrl: config.teams.jwksUrl,
          // R36: the same client apps as the dialog pages' API (SSO_ALLOWED_CLIENT_IDS), not the built-in default.
          allowedClientIds: config.ssoAllowedClientIds,
        })
      : undefined);
  const limiter = (name: string, points: number): RateLimiterAbstract => deps.state.limiter(name, points, 60);
  const failures = limiter('admin-authfail', 30);
  const perCaller = limiter('admin-api', 60);

  // R33: only a caller that did not authenticate is counted and locked out, per client address (the trusted
  // proxy's header when the peer is one); a verified key or token is never refused because of others' failures.
  const client = requestClient(config.proxy);
  const refuse = async (
    ip: string,
    reason: AdminAuthRefusal,
  ): Promise<{ ok: false; reason: AdminAuthRefusal; retryAfterSeconds?: number }> => {
    if (reason !== 'unauthorized') return fail(reason);
    const subject = lockoutSubject(ip);
    const blocked = await failures.get(subject);
    if (blocked && blocked.remainingPoints <= 0)
      return { ...fail('rate_limited'), retryAfterSeconds: Math.ceil(blocked.msBeforeNext / 1000) };
    await failures.consume(subject).catch(() => undefined);
    return fail(reason);
  };

  const charge = async (who: string): Promise<number | null> => {
    try {
      await perCaller.consume(who);
      return null;
    } catch (e) {
      if (e instanceof RateLimiterRes) return Math.ceil(e.msBeforeNext / 1000);
      throw e;
    }
  };

  return {
    authenticate: async (req, scope) => {
      const ip = client(req);
      const header = req.header('authorization');
      let caller: AdminCaller;
      if (header && /^ApiKey\s/i.test(header.trim())) {
        const r = await deps.keys.authenticate(header, scope);
        if (!r.ok) return refuse(ip, r.reason === 'scope' ? 'insufficient_scope' : 'unauthorized');
        caller = { kind: 'key', keyId: r.value.keyId };
      } else {
        let user: UserRef;
        let groups: readonly string[] | 'overage' | undefined;
        const devHeader = req.header('x-dev-user');
        if (devHeader && dev) {
          const m = /^([0-9a-f-]{36}):([0-9a-f-]{36})$/i.exec(devHeader.trim());
          if (!m?.[1] || !m[2]) return refuse(ip, 'unauthorized');
          user = { tenantId: m[1].toLowerCase(), objectId: m[2].toLowerCase() };
        } else {
          const r =
            tokens && !devHeader
              ? await tokens.validate(bearerToken(header))
              : ({ ok: false, reason: 'missing' } as const);
          if (!r.ok) {
            deps.logger.info({ reason: r.reason, route: req.getRoute()?.path }, 'admin api: token refused');
            return r.reason === 'keys_unavailable' ? fail('temporarily_unavailable') : refuse(ip, 'unauthorized');
          }
          user = r.value.user;
          groups = r.value.groups;
        }
        if (!(await deps.access.isAdmin(user, groups))) return fail('not_admin');
        caller = { kind: 'admin', user };
      }
      const wait = await charge(
        caller.kind === 'key' ? `k:${caller.keyId}` : `u:${caller.user.tenantId}:${caller.user.objectId}`,
      );
      return wait === null ? ok(caller) : { ...fail('rate_limited'), retryAfterSeconds: wait };
    },
  };
}
