import { randomBytes } from 'node:crypto';
import { startApp, type RunningApp } from '../support/appHarness';
import { startRedis, type RedisServer } from '../support/redisServer';
import { MemoryDirectory } from '../../adapters/directory/memoryDirectory';
import { JwksRig, LIDIA, LIDIA_PASSWORD, MEGAN, MEGAN_PASSWORD, pagesEnv, verifiedResetFlow } from './pagesRig';

const NEW_PASSWORD = 'Copper-Meadow-Lantern-73!';

/**
 * Issue 15 item 2: the password page's submit reads the flow and the user's record in the round trip of the three
 * page limits (address, user, write budget). The limits still decide first: a caller over a limit, or without a valid
 * session, gets the same answer whether the flow exists or not, and nothing is spent or written.
 */
describe('issue 15 / R15: the password submit\'s limits decide before the flow is looked at', () => {
  let redis: RedisServer;
  let jwks: JwksRig;
  let running: RunningApp;
  let directory: MemoryDirectory;

  const submit = async (flowId: string, token: string): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${running.baseUrl}/api/flows/${flowId}/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ password: NEW_PASSWORD, confirmation: NEW_PASSWORD }),
    });
    return { status: res.status, json: await res.json() };
  };
  const unknownFlow = (): string => randomBytes(16).toString('hex');

  beforeAll(async () => {
    redis = await startRedis();
    jwks = new JwksRig();
    await jwks.start();
    running = await startApp(pagesEnv(jwks.url, { REDIS_URL: redis.url }));
    const d = running.app.services.directory;
    if (!(d instanceof MemoryDirectory)) throw new Error('demo directory expected');
    directory = d;
  });

  afterAll(async () => {
    await running?.close();
    await jwks?.stop();
    await redis?.destroy();
  });

  test('R15 issue 15: without a valid session, and over the write budget (10 per 10 minutes), the answer is the same for the caller\'s own flow and an unknown one; password and flow untouched', async () => {
    const flowId = await verifiedResetFlow(running.app, LIDIA, 'a:conv-lidia-limits');
    const forged = await jwks.token(LIDIA, { rogue: true });
    expect(await submit(flowId, forged)).toEqual({ status: 401, json: { error: 'unauthorized' } });
    expect(await submit(unknownFlow(), forged)).toEqual({ status: 401, json: { error: 'unauthorized' } });

    const token = await jwks.token(LIDIA);
    // Ten well-formed submits for flows that do not exist use up the write budget (each is refused as not found).
    for (let i = 0; i < 10; i++) expect(await submit(unknownFlow(), token)).toEqual({ status: 404, json: { error: 'not_found' } });
    // The eleventh is refused by the budget, for her real flow exactly as for one that does not exist.
    expect(await submit(flowId, token)).toEqual({ status: 429, json: { error: 'rate_limited' } });
    expect(await submit(unknownFlow(), token)).toEqual({ status: 429, json: { error: 'rate_limited' } });

    expect(await directory.verifyPassword(LIDIA.objectId, LIDIA_PASSWORD)).toBe(true);
    expect(await directory.verifyPassword(LIDIA.objectId, NEW_PASSWORD)).toBe(false);
    expect(await running.app.services.recovery.deps.flows.get(LIDIA, flowId)).toMatchObject({ state: { name: 'verified' }, version: 0 });
  }, 60_000);

  test('R15 issue 15: over the per-address limit (300 a minute), a valid caller\'s submit is refused the same for their own flow and an unknown one; password and flow untouched', async () => {
    const flowId = await verifiedResetFlow(running.app, MEGAN, 'a:conv-megan-limits');
    // Requests without a token count against the address too; send them until the address is refused.
    let refused = false;
    for (let i = 0; i < 320 && !refused; i++) {
      const res = await fetch(`${running.baseUrl}/api/flows/${unknownFlow()}/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ password: NEW_PASSWORD }),
      });
      await res.arrayBuffer();
      refused = res.status === 429;
    }
    expect(refused).toBe(true);

    const token = await jwks.token(MEGAN);
    expect(await submit(flowId, token)).toEqual({ status: 429, json: { error: 'rate_limited' } });
    expect(await submit(unknownFlow(), token)).toEqual({ status: 429, json: { error: 'rate_limited' } });

    expect(await directory.verifyPassword(MEGAN.objectId, MEGAN_PASSWORD)).toBe(true);
    expect(await running.app.services.recovery.deps.flows.get(MEGAN, flowId)).toMatchObject({ state: { name: 'verified' }, version: 0 });
  }, 60_000);
});
