/**
 * R2 "resolved server-side": the account is the caller's own as the Teams roster knows the sender. An activity whose
 * `from.id` is one member of the conversation and whose `from.aadObjectId` names somebody else (a coworker replaying
 * or crafting activities with another user's object id) is refused, over HTTP against the real app, with the
 * roster served by the local Bot Connector peer.
 */
import { ConnectorStub } from '../support/connectorStub';
import { startApp, type RunningApp } from '../support/appHarness';
import { DEMO_TENANT, post, replyText, teamsActivity } from '../support/activities';

const MEGAN = '6e7b768e-07e2-4810-8459-485f84f8f204';
const MALLORY = 'aaaaaaaa-0000-4000-8000-00000000a77a';

let connector: ConnectorStub;
let running: RunningApp;

beforeAll(async () => {
  connector = new ConnectorStub();
  await connector.start();
  running = await startApp({});
  connector.members.set(`29:${MALLORY}`, { id: `29:${MALLORY}`, name: 'Mallory Coworker', aadObjectId: MALLORY, userRole: 'user' });
  connector.members.set(`29:${MEGAN}`, { id: `29:${MEGAN}`, name: 'Megan Bowen', aadObjectId: MEGAN, userRole: 'user' });
});
afterAll(async () => {
  await running.close();
  await connector.stop();
});

test('R2 R31 attack: from.id is Mallory in the roster but from.aadObjectId is Megan’s — refused, nothing done as Megan; Megan herself is served', async () => {
  const forged = teamsActivity({ serviceUrl: connector.url, userObjectId: MALLORY, conversationId: `a:${MALLORY}`, text: 'I forgot my password' });
  (forged.from as Record<string, unknown>).aadObjectId = MEGAN;
  const refused = replyText((await post(running.baseUrl, forged)).replies);
  expect(refused).toContain("I can't help with this account here");
  // The same conversation, a card submit (a replayed menu tap) with Megan's id: refused as well.
  const submit = teamsActivity({ serviceUrl: connector.url, userObjectId: MALLORY, conversationId: `a:${MALLORY}`, value: { verb: 'menu', choice: 'securityInfo' } });
  (submit.from as Record<string, unknown>).aadObjectId = MEGAN;
  expect(replyText((await post(running.baseUrl, submit)).replies)).toContain("I can't help with this account here");

  const real = replyText((await post(running.baseUrl, teamsActivity({ serviceUrl: connector.url, userObjectId: MEGAN, text: 'I forgot my password' }))).replies);
  expect(real).not.toContain("I can't help with this account here");
});

const chatOf = async (u: { tenantId: string; objectId: string }): Promise<string | undefined> =>
  ((await running.app.state.refs.get(u)) as { conversation?: { id?: string } } | null)?.conversation?.id;

test('R2 R18 attack: an install conversationUpdate in Mallory’s chat claiming Megan’s object id does not make Mallory’s chat the one Megan’s notices, alerts and hand-off offers go to; Megan’s own install still does', async () => {
  const megan = { tenantId: DEMO_TENANT, objectId: MEGAN };
  await post(running.baseUrl, teamsActivity({ serviceUrl: connector.url, userObjectId: MEGAN, text: 'hi' }));
  expect((await chatOf(megan))).toBe(`a:${MEGAN}`);
  const install = (from: string, conversation: string): Record<string, unknown> => {
    const a = teamsActivity({ type: 'conversationUpdate', serviceUrl: connector.url, userObjectId: from, conversationId: conversation, expectReplies: false });
    (a.from as Record<string, unknown>).aadObjectId = MEGAN;
    return { ...a, membersAdded: [{ id: '28:bot-id', name: 'Password Reset Assistant' }] };
  };
  expect((await post(running.baseUrl, install(MALLORY, `a:${MALLORY}`))).status).toBeLessThan(300);
  expect((await chatOf(megan))).toBe(`a:${MEGAN}`);
  // Megan installs the app again from another client: that install is hers.
  expect((await post(running.baseUrl, install(MEGAN, `a:${MEGAN}-reinstalled`))).status).toBeLessThan(300);
  expect((await chatOf(megan))).toBe(`a:${MEGAN}-reinstalled`);
});

test('R32 R2 attack: "bind security" in Mallory’s own team channel claiming the admin Adele’s object id does not make it the security-alert channel; Adele herself binds it', async () => {
  const ADELE = 'a1f0e0c4-5d2b-4a8e-b0f3-9c6d2e7f1b33';
  connector.members.set(`29:${ADELE}`, { id: `29:${ADELE}`, name: 'Adele Vance', aadObjectId: ADELE, userRole: 'user' });
  const inChannel = (from: string, channel: string, team: string): Record<string, unknown> => {
    const a = teamsActivity({ serviceUrl: connector.url, userObjectId: from, conversationType: 'channel', conversationId: channel, teamId: team, text: '<at>Password Reset Assistant</at> bind security' });
    (a.from as Record<string, unknown>).aadObjectId = ADELE;
    return a;
  };
  const forged = replyText((await post(running.baseUrl, inChannel(MALLORY, '19:mallorys-channel@thread.tacv2', '19:mallorys-team@thread.tacv2'))).replies);
  expect(forged).not.toContain('Done: this channel is now');
  expect(await running.app.helpdesk.destinations.reference('security')).toBeNull();
  const real = replyText((await post(running.baseUrl, inChannel(ADELE, '19:security@thread.tacv2', '19:it-team@thread.tacv2'))).replies);
  expect(real).toContain('Done: this channel is now');
  expect((await running.app.helpdesk.destinations.reference('security'))?.conversation?.id).toBe('19:security@thread.tacv2');
});
