import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Result } from '../../domain/errors';
import { fail, ok } from '../../domain/errors';
import type { UserRef } from '../../domain/model/user';

/** Why a Teams SSO token was refused. Logged as a reason code; the HTTP answer is always just `unauthorized`. */
export type SsoRefusal =
  | 'missing'
  | 'malformed'
  | 'bad_signature'
  | 'expired'
  | 'wrong_audience'
  | 'wrong_issuer'
  | 'tenant_not_allowed'
  | 'no_identity'
  | 'wrong_scope'
  | 'client_not_allowed'
  | 'keys_unavailable';

/** The identity a valid token proves. */
export interface SsoIdentity {
  readonly user: UserRef;
  readonly name?: string;
  readonly upn?: string;
  /**
   * Group object ids of the `groups` claim (when the app registration emits group claims); 'overage' when Entra left
   * them out because there are too many (`hasgroups` / `_claim_names.groups`): ask the directory instead.
   */
  readonly groups?: readonly string[] | 'overage';
}

export interface SsoTokenOptions {
  /** The Entra app (client) id the pages' API is registered as (SSO_APP_ID). */
  readonly ssoAppId: string;
  /** The public base URL of the pages; its host forms the audience `api://<host>/<ssoAppId>`. */
  readonly publicBaseUrl: string;
  /** Tenant allow-list; empty = any tenant (development only; config refuses it in production). */
  readonly allowedTenants: readonly string[];
  /** JWKS endpoint (SSO_JWKS_URL). Ignored when `keys` is given. */
  readonly jwksUrl: string;
  /** Key resolver for tests; default: createRemoteJWKSet(jwksUrl) with caching. */
  readonly keys?: JWTVerifyGetKey;
  /** Allowed clock skew in seconds (default 60). */
  readonly clockToleranceSeconds?: number;
  /** Current time for expiry checks (default: now). */
  readonly now?: () => number;
  /**
   * R36: the client apps whose tokens are accepted (`azp` in v2 tokens, `appid` in v1). Default: the Teams clients;
   * a token a script or another app obtained for our API is refused.
   */
  readonly allowedClientIds?: readonly string[];
}

/** The Teams desktop/mobile and web clients, pre-authorised for `access_as_user` (platform notes). */
export const TEAMS_CLIENT_APP_IDS: readonly string[] = ['1fec8e78-bce4-4aaf-ab1b-5451cc387264', '5e3ce6c0-2b1f-4285-8d4b-75ee78787346'];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The delegated scope the Teams client asks for (admin guide: "Expose an API → access_as_user"). */
export const SSO_SCOPE = 'access_as_user';

/**
 * Validates the Teams SSO token (`authentication.getAuthToken()`) sent as `Authorization: Bearer …` by the pages:
 * RS256 signature against the configured JWKS, expiry, audience (`api://<host>/<app id>` or the bare app id),
 * issuer (Entra v2 `https://login.microsoftonline.com/{tid}/v2.0` or v1 `https://sts.windows.net/{tid}/`) for the
 * token's own tenant, tenant allow-list, the `access_as_user` scope, and an `oid`. Returns the caller's UserRef.
 */
export class SsoTokenValidator {
  private readonly keys: JWTVerifyGetKey;
  private readonly audiences: readonly string[];

  constructor(private readonly options: SsoTokenOptions) {
    this.keys = options.keys ?? createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 });
    const host = new URL(options.publicBaseUrl).host;
    this.audiences = [`api://${host}/${options.ssoAppId}`, options.ssoAppId];
  }

  /** Validate a bearer token. Never throws for a bad token; never logs or returns the token. */
  async validate(token: string | undefined): Promise<Result<SsoIdentity, SsoRefusal>> {
    if (!token) return fail('missing');
    if (token.length > 16_384 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)) return fail('malformed');
    let payload: JWTPayload;
    try {
      const now = this.options.now?.();
      const verified = await jwtVerify(token, this.keys, {
        algorithms: ['RS256'],
        audience: [...this.audiences],
        clockTolerance: this.options.clockToleranceSeconds ?? 60,
        requiredClaims: ['exp', 'iss', 'tid', 'oid'],
        ...(now === undefined ? {} : { currentDate: new Date(now) }),
      });
      payload = verified.payload;
    } catch (e) {
      return fail(refusalOf(e));
    }
    const tid = typeof payload.tid === 'string' ? payload.tid.toLowerCase() : '';
    const oid = typeof payload.oid === 'string' ? payload.oid.toLowerCase() : '';
    if (!GUID.test(tid) || !GUID.test(oid)) return fail('no_identity');
    const iss = payload.iss ?? '';
    if (iss !== `https://login.microsoftonline.com/${tid}/v2.0` && iss !== `https://sts.windows.net/${tid}/`) return fail('wrong_issuer');
    const allowed = this.options.allowedTenants.map((t) => t.toLowerCase());
    if (allowed.length > 0 && !allowed.includes(tid)) return fail('tenant_not_allowed');
    const scopes = typeof payload.scp === 'string' ? payload.scp.split(' ') : [];
    if (!scopes.includes(SSO_SCOPE)) return fail('wrong_scope');
    const client = typeof payload.azp === 'string' ? payload.azp : typeof payload.appid === 'string' ? payload.appid : '';
    const clients = (this.options.allowedClientIds ?? TEAMS_CLIENT_APP_IDS).map((c) => c.toLowerCase());
    if (!clients.includes(client.toLowerCase())) return fail('client_not_allowed');
    const name = typeof payload.name === 'string' ? payload.name : undefined;
    const upn = typeof payload.preferred_username === 'string' ? payload.preferred_username : typeof payload.upn === 'string' ? payload.upn : undefined;
    const claimNames = payload._claim_names as Record<string, unknown> | undefined;
    const groups: readonly string[] | 'overage' | undefined =
      payload.hasgroups === true || (claimNames && typeof claimNames === 'object' && 'groups' in claimNames)
        ? 'overage'
        : Array.isArray(payload.groups)
          ? payload.groups.filter((g): g is string => typeof g === 'string' && GUID.test(g)).map((g) => g.toLowerCase())
          : undefined;
    return ok({ user: { tenantId: tid, objectId: oid }, ...(name ? { name } : {}), ...(upn ? { upn } : {}), ...(groups ? { groups } : {}) });
  }
}

function refusalOf(e: unknown): SsoRefusal {
  if (e instanceof joseErrors.JWTExpired) return 'expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return 'wrong_audience';
    if (e.claim === 'iss') return 'wrong_issuer';
    if (e.claim === 'oid' || e.claim === 'tid') return 'no_identity';
    if (e.claim === 'nbf' || e.claim === 'iat') return 'expired';
    return 'malformed';
  }
  if (e instanceof joseErrors.JWKSTimeout || e instanceof joseErrors.JOSENotSupported) {
    return e instanceof joseErrors.JWKSTimeout ? 'keys_unavailable' : 'malformed';
  }
  if (e instanceof joseErrors.JWSSignatureVerificationFailed || e instanceof joseErrors.JWKSNoMatchingKey || e instanceof joseErrors.JOSEAlgNotAllowed) {
    return 'bad_signature';
  }
  if (e instanceof joseErrors.JWKSInvalid || (e instanceof Error && /fetch|ECONNREFUSED|network/i.test(e.message))) return 'keys_unavailable';
  return 'malformed';
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return m?.[1];
}
