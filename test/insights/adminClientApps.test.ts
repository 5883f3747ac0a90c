/**
 * R36 "SSO tokens are accepted only from allowed client apps (azp/appid: the Teams clients by default, configurable)"
 * on the admin API (issue 14) as on the dialog pages' API: one setting, SSO_ALLOWED_CLIENT_IDS, for both. Over HTTP
 * against the real app, tokens signed by a local JWKS.
 */
import { startApp, type RunningApp } from '../support/appHarness';
import { JwksRig, LIDIA, pagesEnv } from '../api/pagesRig';

jest.setTimeout(60_000);

const TOKEN_ADMIN_GROUP = '7d2b1c4e-9f3a-4b6d-8e1f-0a2c3b4d5e6f';
/** The Teams desktop client (one of the defaults), which this deployment does not allow. */
const TEAMS_DESKTOP = '1fec8e78-bce4-4aaf-ab1b-5451cc387264';
/** The only client app this deployment allows. */
const OWN_CLIENT = '3c9d2e1f-0000-4000-8000-00000000c11e';

let jwks: JwksRig;
let running: RunningApp;

beforeAll(async () => {
  jwks = new JwksRig();
  await jwks.start();
  running = await startApp(pagesEnv(jwks.url, { SSO_ALLOWED_CLIENT_IDS: OWN_CLIENT, ADMIN_GROUP_IDS: TOKEN_ADMIN_GROUP }));
});
afterAll(async () => {
  await running?.close();
  await jwks?.stop();
});

const status = async (path: string, azp: string): Promise<number> => {
  const token = await jwks.token(LIDIA, { claims: { azp, groups: [TOKEN_ADMIN_GROUP] } });
  const res = await fetch(`${running.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
};

test('R36 attack: with SSO_ALLOWED_CLIENT_IDS narrowed to one client app, an admin token from a Teams client the deployment did not allow is refused by the admin API as by the pages API, and one from the allowed app is accepted by both', async () => {
  expect({
    pages: await status('/api/methods', TEAMS_DESKTOP),
    insights: await status('/api/admin/insights', TEAMS_DESKTOP),
    audit: await status('/api/admin/audit?from=2026-11-16&to=2026-11-16', TEAMS_DESKTOP),
  }).toEqual({ pages: 401, insights: 401, audit: 401 });
  expect({
    pages: await status('/api/methods', OWN_CLIENT),
    insights: await status('/api/admin/insights', OWN_CLIENT),
  }).toEqual({ pages: 200, insights: 200 });
});
