import { startApp, type RunningApp } from '../support/appHarness';
import { startRedis, type RedisServer } from '../support/redisServer';
import { ConnectorStub } from '../support/connectorStub';
import { post, teamsActivity } from '../support/activities';
import { MemoryDirectory } from '../../adapters/directory/memoryDirectory';
import { JwksRig, LIDIA, MEGAN, pagesEnv, verifiedResetFlow } from '../api/pagesRig';
import type { UserRef } from '../../domain/model/user';

/**
 * Issue 15 item 2: the dialog page's password submit as Teams sends it — with an SSO token, not the development
 * header the journey bench uses. resetRoundTrips.test.ts counts the bench's path (4); this file counts the one users
 * take. Before: the per-address limit was awaited before the token was checked, so it left in a socket write of its
 * own and the submit cost 5.
 */
let redis: RedisServer;
let jwks: JwksRig;
let stub: ConnectorStub;
let running: RunningApp;
let writes = 0;

const PASSWORD = 'Quarry-Lantern-Velvet-58!';

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 25));
}

beforeAll(async () => {
  redis = await startRedis();
  jwks = new JwksRig();
  await jwks.start();
  stub = new ConnectorStub();
  await stub.start();
  running = await startApp(pagesEnv(jwks.url, { REDIS_URL: redis.url }));
  const client = running.app.redis!;
  if (client.status !== 'ready') await new Promise<void>((r) => client.once('ready', () => r()));
  const stream = (client as unknown as { stream: NodeJS.WritableStream }).stream;
  const original = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  stream.write = (...a: unknown[]) => {
    writes++;
    return original(...a);
  };
});

afterAll(async () => {
  await running?.close();
  await stub?.stop();
  await jwks?.stop();
  await redis?.destroy();
});

/** One user's page submit with a Teams token: the app client's socket writes until the chat has been told, and after. */
async function submit(user: UserRef, name: string): Promise<number> {
  const conversationId = `a:conv-rt-token-${user.objectId}`;
  const hello = await post(running.baseUrl, teamsActivity({ userObjectId: user.objectId, userName: name, conversationId, serviceUrl: stub.url, text: 'hello' }));
  expect(hello.status).toBe(200);
  const flowId = await verifiedResetFlow(running.app, user, conversationId);
  const token = await jwks.token(user);
  await new Promise((r) => setTimeout(r, 100)); // the greeting's background work is not the submit's
  stub.clear();
  const before = writes;
  const res = await fetch(`${running.baseUrl}/api/flows/${flowId}/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ password: PASSWORD, confirmation: PASSWORD }),
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'done' });
  expect(await (running.app.services.directory as MemoryDirectory).verifyPassword(user.objectId, PASSWORD)).toBe(true);
  await until(() => stub.activities.some((a) => a?.conversation?.id === conversationId && String(a.text ?? '').includes('new password is set')));
  await new Promise((r) => setTimeout(r, 200));
  return writes - before;
}

test('issue 15 R15 R36: the dialog page password submit with a Teams SSO token costs 4 Redis round trips (the address limit leaves with the user limits, the flow and the record)', async () => {
  // Warm-up with another user: the first use of each script costs one more round trip (F19).
  await submit(LIDIA, 'Lidia Holloway');
  expect(await submit(MEGAN, 'Megan Bowen')).toBe(4);
});
