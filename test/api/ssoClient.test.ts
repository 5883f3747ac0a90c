import { SsoTokenValidator } from '../../bot/auth/ssoToken';
import { JwksRig, MEGAN, PUBLIC_HOST, SSO_APP_ID } from './pagesRig';

/** R36: SSO tokens are accepted only from allowed client apps (azp / appid): the Teams clients by default. */
describe('R36: SSO tokens from client apps that are not allowed are refused', () => {
  const jwks = new JwksRig();
  beforeAll(() => jwks.start());
  afterAll(() => jwks.stop());
  const validator = (allowedClientIds?: readonly string[]) =>
    new SsoTokenValidator({
      ssoAppId: SSO_APP_ID,
      publicBaseUrl: `https://${PUBLIC_HOST}`,
      allowedTenants: [MEGAN.tenantId],
      jwksUrl: jwks.url,
      ...(allowedClientIds ? { allowedClientIds } : {}),
    });

  test('R36: a token another app (a script with its own client id) obtained for our API is refused; the Teams clients are accepted', async () => {
    const v = validator();
    expect(await v.validate(await jwks.token(MEGAN, { claims: { azp: '2f1e5c4a-0000-4000-8000-00000000abcd' } }))).toEqual({ ok: false, reason: 'client_not_allowed' });
    expect(await v.validate(await jwks.token(MEGAN, { claims: { azp: undefined } }))).toEqual({ ok: false, reason: 'client_not_allowed' });
    // The legitimate path: Teams desktop (azp, v2 token) and Teams web (appid, v1 token).
    expect((await v.validate(await jwks.token(MEGAN))).ok).toBe(true);
    const v1 = await jwks.token(MEGAN, {
      claims: { azp: undefined, appid: '5e3ce6c0-2b1f-4285-8d4b-75ee78787346', iss: `https://sts.windows.net/${MEGAN.tenantId}/` },
    });
    expect((await v.validate(v1)).ok).toBe(true);
  });

  test('R36: the allowed client list is configurable (SSO_ALLOWED_CLIENT_IDS) and then replaces the default', async () => {
    const own = '2f1e5c4a-0000-4000-8000-00000000abcd';
    const v = validator([own]);
    expect((await v.validate(await jwks.token(MEGAN, { claims: { azp: own.toUpperCase() } }))).ok).toBe(true);
    expect(await v.validate(await jwks.token(MEGAN))).toEqual({ ok: false, reason: 'client_not_allowed' });
  });
});
