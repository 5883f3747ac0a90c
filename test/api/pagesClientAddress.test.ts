import { startApp, type RunningApp } from '../support/appHarness';
import { MEGAN } from './pagesRig';

/**
 * Attacker's finding (session 6): the pages API's per-address limit (300 requests a minute) was keyed by the socket
 * peer. Behind the deployment's reverse proxy every user has the proxy's address, so one client — signed in or not —
 * spent the whole organisation's budget and the password dialog page and the Security info tab answered 429 to
 * everyone. The address is the trusted proxy's header's (R33), and an IPv6 client is counted per /64.
 */
describe('R33: the pages API counts requests per client address, not per proxy', () => {
  let running: RunningApp;
  const dev = `${MEGAN.tenantId}:${MEGAN.objectId}`;
  const get = (forwardedFor: string, user?: string): Promise<Response> =>
    fetch(`${running.baseUrl}/api/methods`, { headers: { 'x-forwarded-for': forwardedFor, ...(user ? { 'x-dev-user': user } : {}) } });

  beforeAll(async () => {
    running = await startApp({ TRUSTED_PROXIES: '127.0.0.1,::1', ALLOWED_TENANTS: MEGAN.tenantId });
  });
  afterAll(async () => {
    await running?.close();
  });

  test('R33: 300 unauthenticated requests from one client behind the proxy do not lock out another client', async () => {
    const statuses = new Map<number, number>();
    for (let i = 0; i < 320; i++) {
      const r = await get('203.0.113.9');
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    // The attacker's own address is limited…
    expect(statuses.get(429)).toBeGreaterThan(0);
    // …and Megan, behind the same proxy, is not.
    const megan = await get('198.51.100.20', dev);
    expect(megan.status).toBe(200);
  });

  test('R33: a client that rotates IPv6 addresses inside its /64 is one client', async () => {
    let last = 0;
    for (let i = 0; i < 320; i++) last = (await get(`2001:db8:5:7::${(i + 1).toString(16)}`)).status;
    expect(last).toBe(429);
    // Another network is not affected.
    expect((await get('2001:db8:9:1::1', dev)).status).toBe(200);
  });
});
