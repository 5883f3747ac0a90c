import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import type { App } from '../../bot/app';
import type { UserRef } from '../../domain/model/user';
import { DEMO_TENANT } from '../support/activities';

export const SSO_APP_ID = '7c9a3f7e-2b1d-4c55-9a61-0f5e2d3c4b1a';
export const PUBLIC_HOST = 'sspr.example.test';
export const AUDIENCE = `api://${PUBLIC_HOST}/${SSO_APP_ID}`;
export const MEGAN: UserRef = { tenantId: DEMO_TENANT, objectId: '6e7b768e-07e2-4810-8459-485f84f8f204' };
export const MEGAN_PASSWORD = 'Demo-Megan-Start-2026';
export const LIDIA: UserRef = { tenantId: DEMO_TENANT, objectId: 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21' };
export const LIDIA_PASSWORD = 'Demo-Lidia-Start-2026';

/** A local JWKS endpoint (the real Entra one cannot be reached from here) and a token factory with its keys. */
export class JwksRig {
  private server: Server | null = null;
  url = '';
  private key!: KeyLike;
  /** A key pair that is NOT published: tokens signed with it are forgeries. */
  private rogue!: KeyLike;
  private readonly kid = 'test-key-1';

  async start(): Promise<void> {
    const pair = await generateKeyPair('RS256');
    const rogue = await generateKeyPair('RS256');
    this.key = pair.privateKey;
    this.rogue = rogue.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: this.kid, alg: 'RS256', use: 'sig' };
    this.server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/keys`;
  }

  /** A Teams SSO-shaped token; `claims` override or (with undefined) remove defaults. */
  async token(
    user: UserRef,
    o: { claims?: Record<string, unknown>; expiresIn?: string | number; rogue?: boolean; issuedAt?: number } = {},
  ): Promise<string> {
    const claims: Record<string, unknown> = {
      tid: user.tenantId,
      oid: user.objectId,
      scp: 'access_as_user',
      name: 'Test User',
      iss: `https://login.microsoftonline.com/${user.tenantId}/v2.0`,
      aud: AUDIENCE,
      // R36: the Teams desktop client asked for it (azp); tokens of other client apps are refused.
      azp: '1fec8e78-bce4-4aaf-ab1b-5451cc387264',
      ...o.claims,
    };
    for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' });
    if (o.issuedAt !== undefined) jwt.setIssuedAt(o.issuedAt);
    else jwt.setIssuedAt();
    jwt.setExpirationTime(o.expiresIn ?? '1h');
    return jwt.sign(o.rogue ? this.rogue : this.key);
  }

  /** An unsigned token (alg none) with valid-looking claims. */
  unsigned(user: UserRef): string {
    const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({
      tid: user.tenantId,
      oid: user.objectId,
      scp: 'access_as_user',
      iss: `https://login.microsoftonline.com/${user.tenantId}/v2.0`,
      aud: AUDIENCE,
      iat: now,
      exp: now + 3600,
    })}.`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** Environment for an app whose pages API trusts the rig's keys. */
export function pagesEnv(jwksUrl: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    SSO_APP_ID,
    PUBLIC_BASE_URL: `https://${PUBLIC_HOST}`,
    SSO_JWKS_URL: jwksUrl,
    ALLOWED_TENANTS: DEMO_TENANT,
    LOG_LEVEL: 'debug',
    ...extra,
  };
}

/**
 * A verified reset flow with its grant, as SubmitProof leaves it after the user proved their methods (the
 * verification itself is tested in test/integration/recovery). Returns the flow id.
 */
export async function verifiedResetFlow(app: App, user: UserRef, conversationId: string): Promise<string> {
  const { flows, grants, clock } = app.services.recovery.deps;
  const flowId = randomBytes(16).toString('hex');
  const now = clock.now();
  await flows.create({
    flowId,
    user,
    conversationId,
    goal: 'reset',
    startedAt: now,
    expiresAt: now + 15 * 60_000,
    required: 1,
    privileged: false,
    state: { name: 'verified', proved: ['m1'], verifiedAt: now },
    version: 0,
  });
  await grants.issue({ user, conversationId, flowId, goal: 'reset', flowStartedAt: now });
  return flowId;
}
