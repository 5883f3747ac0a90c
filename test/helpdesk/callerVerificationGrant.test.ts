import { appSuite } from '../support/appSuite';
import { submitData } from '../support/chatDriver';
import { post, replyText, teamsActivity, type Reply } from '../support/activities';
import { JwksRig, MEGAN, MEGAN_PASSWORD, pagesEnv, verifiedResetFlow } from '../api/pagesRig';
import { MemoryDirectory } from '../../adapters/directory/memoryDirectory';
import { t } from '../../locales';

/**
 * R38 attack test: caller verification (`verify <user>`) used to run a `reset` flow, and its grant reset the password
 * through the dialog page's API. Now it runs a flow of its own goal that issues no grant and is closed when verified.
 */

const HELPDESK_GROUP = '5fc16da7-8e90-4cbf-8d34-60718293a4b5';
const DIEGO = 'f5a3c1e9-7b2d-4c6e-8f0a-1b3d5e7f9c66'; // in Helpdesk (through Helpdesk Tier 1)
const MEGAN_MAIL = 'megan.private@fabrikam.example';
const CHANNEL = '19:helpdesk@thread.tacv2';
const NEW_PASSWORD = 'Velvet-Harbour-Lantern-42!';

let jwks: JwksRig;
beforeAll(async () => {
  jwks = new JwksRig();
  await jwks.start();
});
afterAll(async () => {
  await jwks?.stop();
});
const app = appSuite({ policy: { helpdesk: { agentGroups: [HELPDESK_GROUP] }, methods: { requiredForReset: 1 } }, env: () => pagesEnv(jwks.url) });

function action(replies: Reply[] | Record<string, unknown>, verb: string): Record<string, unknown> {
  const found = submitData(replies, verb);
  if (!found[0]) throw new Error(`no ${verb} action`);
  return found[0];
}

const meganSends = (o: { text?: string; value?: unknown }) =>
  post(app.running.baseUrl, teamsActivity({ ...o, userObjectId: MEGAN.objectId, userName: 'Megan Bowen', serviceUrl: app.stub.url }));

async function setPassword(flowId: string): Promise<number> {
  const res = await fetch(`${app.running.baseUrl}/api/flows/${flowId}/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await jwks.token(MEGAN)}` },
    body: JSON.stringify({ password: NEW_PASSWORD }),
  });
  await res.text();
  return res.status;
}

test('R38: the flow of a caller verification grants nothing — POST /api/flows/:id/password is refused; a real reset grant still works', async () => {
  const directory = app.running.app.services.directory as MemoryDirectory;
  const now = Date.now();
  await app.running.app.services.security.methods.save(MEGAN, {
    method: { id: 'mail-megan', kind: 'email', maskedDestination: 'm•••@fabrikam.example', confirmedAt: now - 1000, lastUsedAt: null, createdAt: now - 5000, source: 'user', channels: ['email'] },
    secrets: { destination: MEGAN_MAIL },
  });
  await meganSends({ text: 'hi' });
  app.stub.clear();

  // The agent asks for a caller verification; Megan starts it and proves her e-mail.
  await post(
    app.running.baseUrl,
    teamsActivity({
      text: '<at>Password Reset Assistant</at> verify megan.bowen@contoso.example INC-7',
      userObjectId: DIEGO,
      userName: 'Diego Siciliani',
      conversationType: 'channel',
      conversationId: CHANNEL,
      serviceUrl: app.stub.url,
      expectReplies: false,
    }),
  );
  await app.running.app.helpdesk.bot.settled();
  const offer = app.stub.calls.filter((c) => c.method === 'POST' && c.path.includes(encodeURIComponent(`a:${MEGAN.objectId}`))).at(-1)!.body;
  const started = await meganSends({ value: action(offer, 'handoffStart') });
  const choose = action(started.replies, 'verify.choose');
  await meganSends({ value: choose });
  const code = app.running.app.services.security.outbox?.lastCode(MEGAN_MAIL);
  const done = await meganSends({ value: { verb: 'verify.code', flowId: choose.flowId, code } });
  expect(replyText(done.replies)).toContain(t('en', 'helpdesk.verify.passed'));
  const flowId = String(choose.flowId);

  // The flow is of its own goal, closed (terminal), and no grant exists for it.
  const { flows, grants } = app.running.app.services.recovery.deps;
  const flow = await flows.get(MEGAN, flowId);
  expect(flow?.goal).toBe('verify');
  expect(flow?.state.name).toBe('verified');
  expect(await grants.state(MEGAN, flowId)).toBeNull();

  // The attack: Megan's session (or whoever holds it) uses the verification flow to set a password.
  expect(await setPassword(flowId)).not.toBe(200);
  expect(await directory.verifyPassword(MEGAN.objectId, MEGAN_PASSWORD)).toBe(true);
  expect(await directory.verifyPassword(MEGAN.objectId, NEW_PASSWORD)).toBe(false);

  // The legitimate path: a verified reset flow's grant still sets the password through the same API.
  const reset = await verifiedResetFlow(app.running.app, MEGAN, `a:${MEGAN.objectId}`);
  expect(await setPassword(reset)).toBe(200);
  expect(await directory.verifyPassword(MEGAN.objectId, NEW_PASSWORD)).toBe(true);
});
