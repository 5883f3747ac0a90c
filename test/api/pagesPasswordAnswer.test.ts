import { startApp, type RunningApp } from '../support/appHarness';
import { startRedis, type RedisServer } from '../support/redisServer';
import { ConnectorStub } from '../support/connectorStub';
import { post, teamsActivity } from '../support/activities';
import { MemoryDirectory } from '../../adapters/directory/memoryDirectory';
import { JwksRig, MEGAN, pagesEnv, verifiedResetFlow } from './pagesRig';

const NEW_PASSWORD = 'Quarry-Lantern-Velvet-58!';
const CONV = 'a:conv-megan-slow-chat';

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 25));
}

/**
 * Issue 15: the dialog page's password submit answered only after the "done" message had reached the chat. That
 * message goes through the paced Bot Connector sender (per tenant, shared with every R18 notice); with 200 users
 * resetting at once the queue was longer than the page's 15 s, and half the journey bench's page submits timed out
 * after the password had been set.
 */
describe('issue 15 / R26: the password page is answered when the password is set, not when the chat has been told', () => {
  let redis: RedisServer;
  let jwks: JwksRig;
  let stub: ConnectorStub;
  let running: RunningApp;
  let release: () => void = () => undefined;

  beforeAll(async () => {
    redis = await startRedis();
    jwks = new JwksRig();
    await jwks.start();
    stub = new ConnectorStub();
    await stub.start();
    running = await startApp(pagesEnv(jwks.url, { REDIS_URL: redis.url }));
    const r = await post(running.baseUrl, teamsActivity({ userObjectId: MEGAN.objectId, userName: 'Megan Bowen', conversationId: CONV, serviceUrl: stub.url, text: 'hello' }));
    expect(r.status).toBe(200);
  });

  afterAll(async () => {
    release();
    stub.hold = null;
    await running?.close();
    await stub?.stop();
    await jwks?.stop();
    await redis?.destroy();
  });

  test('issue 15: with the Bot Connector not answering, POST /api/flows/:id/password still answers 200 done; the chat gets the outcome once the connector answers', async () => {
    const flowId = await verifiedResetFlow(running.app, MEGAN, CONV);
    const token = await jwks.token(MEGAN);
    // The connector holds every activity post until the page has its answer (before the fix: never — the test hangs).
    stub.hold = new Promise<void>((r) => (release = r));
    stub.clear();
    try {
      const res = await fetch(`${running.baseUrl}/api/flows/${flowId}/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ password: NEW_PASSWORD, confirmation: NEW_PASSWORD }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'done' });
      const directory = running.app.services.directory as MemoryDirectory;
      expect(await directory.verifyPassword(MEGAN.objectId, NEW_PASSWORD)).toBe(true);
    } finally {
      release();
      stub.hold = null;
    }
    await until(() => stub.activities.some((a) => a?.conversation?.id === CONV && String(a.text ?? '').includes('new password is set')));
  });
});
