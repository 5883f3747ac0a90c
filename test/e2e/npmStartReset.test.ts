/**
 * Issue 4 acceptance 5: with `npm start` (development mode, embedded defaults: state in memory, demo directory, dev
 * outbox) a demo user resets their password through HTTP activities only, and the demo directory then accepts the
 * new password.
 *
 * The server runs as a separate process, the way `npm start` runs it: package.json's "start" command
 * (`node … dist/bundle/server.js`, the bundle with its code cache) when the build is newer than every source file, otherwise the same entry point from source with tsx (building inside the test is
 * too slow on a 2-core machine). Everything goes over HTTP: POST /api/messages with deliveryMode expectReplies, card
 * submits copied from the Action.Submit data of the replies, codes from GET /devchannel/outbox, the directory check
 * through POST /devchannel/directory/verify. Proactive messages go to a local Bot Connector stub.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findAll } from '../support/chatDriver';
import { en } from '../support/locale';
import { HttpChat, dialogPageCodes, npmStartSuite, outboxCode as outboxCodeOf } from '../support/npmStart';
import { sleep } from '../support/redisServer';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');

interface DemoUserFixture {
  objectId: string;
  userPrincipalName: string;
  displayName: string;
  initialPassword: string;
  mobilePhone?: string;
  alternateEmail?: string;
}
const demo = JSON.parse(readFileSync(join(ROOT, 'config', 'demo-directory.json'), 'utf8')) as { users: DemoUserFixture[] };
const MEGAN = demo.users.find((u) => u.displayName === 'Megan Bowen')!;
const MOBILE = MEGAN.mobilePhone!;
const MAIL = MEGAN.alternateEmail!;
const NEW_PASSWORD = 'Velvet-Harbor-quill-2031-orbit';

// Embedded defaults only: none of the parent's configuration leaks in (no REDIS_URL, DIRECTORY, SENDERS, …).
const app = npmStartSuite({
  prefer: 'build',
  healthyWithinMs: 90_000,
  startTimeoutMs: 120_000,
  members: [{ objectId: MEGAN.objectId, name: MEGAN.displayName, userPrincipalName: MEGAN.userPrincipalName }],
});
/** Every code and recovery code the test typed, for the R15/R20 log scan. */
const codesUsed = new Set<string>();

/** The newest code the dev outbox shows for this destination, kept for the log scan. */
async function outboxCode(to: string, channel: string): Promise<string> {
  const code = await outboxCodeOf(app, to, channel);
  codesUsed.add(code);
  return code;
}

/** The notification lines the dev outbox shows for this address, oldest first. */
async function notifications(to: string): Promise<string[]> {
  const { items } = (await (await fetch(`${app.baseUrl}/devchannel/outbox`)).json()) as { items: { to: string; subject?: string; text: string }[] };
  return items.filter((i) => i.to === to && i.subject !== undefined && !/\b\d{6}\b/.test(i.text)).map((i) => `${i.subject ?? ''}\n${i.text}`);
}

async function directoryAccepts(password: string): Promise<boolean> {
  const res = await fetch(`${app.baseUrl}/devchannel/directory/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ objectId: MEGAN.objectId, password }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { accepted: boolean }).accepted;
}

describe('Issue 4 acceptance 5: npm start, a demo user resets the password over HTTP activities only', () => {
  test('R4 R15 R31: Megan bootstraps with the directory number, registers two kinds of methods, verifies with two, sets a new password; the demo directory accepts it, not the old one', async () => {
    const chat = new HttpChat(app, { objectId: MEGAN.objectId, name: MEGAN.displayName });
    expect(await directoryAccepts(MEGAN.initialPassword)).toBe(true);

    // 1. First contact: the welcome invites to register; the menu opens Security info.
    expect(await chat.send({ text: 'hi' })).toContain(en('welcome.noMethods'));
    expect(await chat.submit('menu', {}, (d) => d.choice === 'securityInfo')).toContain(en('securityInfo.overview.title'));

    // 2. First method: recovery codes. The account has no method yet, so the R31 bootstrap comes first: a code to the
    //    mobile number the demo directory holds (pre-filled as "from your organisation").
    await chat.submit('si.add');
    expect(await chat.submit('si.kind', {}, (d) => d.kind === 'recoveryCodes')).toContain(en('securityInfo.bootstrap.title'));
    const toMobile = chat.submits('si.bootstrapWith').find((n) => String(n.title).includes(en('securityInfo.kindInline.mobilePhone')));
    expect(toMobile).toBeDefined();
    await chat.send({ value: toMobile!.data as Record<string, unknown> });
    await chat.submit('si.code', { code: await outboxCode(MOBILE, 'sms') });
    // R35: the codes are shown only in the dialog page, behind the single-use ticket the chat card carries.
    const recoveryCodes = await dialogPageCodes(app, MEGAN.objectId, chat.action('openRecoveryCodesDialog'));
    expect(recoveryCodes).toHaveLength(10);
    await chat.submit('si.back');

    // 3. The alternate e-mail address the directory holds: confirmed with its own code round trip (within the
    //    10 minutes of the user's proof, R31).
    //    The directory holds two addresses for Megan; pick the row of the alternate one (masked: first letter + domain).
    const mailRow = findAll(chat.last, (n) => n.type === 'Container' && JSON.stringify(n).includes(`@${MAIL.split('@')[1]!}`))[0];
    const confirmMail = findAll(mailRow, (n) => n.type === 'Action.Submit' && n.data?.verb === 'si.reconfirm').at(-1);
    expect(confirmMail).toBeDefined();
    await chat.send({ value: confirmMail!.data as Record<string, unknown> });
    const saved = await chat.submit('si.code', { code: await outboxCode(MAIL, 'email') });
    expect(saved).toContain(en('securityInfo.saved'));
    await chat.submit('si.done');

    // 5. "I forgot my password": verify with two methods of different kinds (R4): a voice call, then a recovery code.
    const choose = await chat.send({ text: 'I forgot my password' });
    expect(choose).toContain(en('verify.choose.title'));
    await chat.submit('verify.choose', {}, (d) => String(d.methodId).endsWith('~voice'));
    const afterFirst = await chat.submit('verify.code', { code: await outboxCode(MOBILE, 'voice') });
    expect(afterFirst).toContain(en('verify.nextMethod'));
    // The button a user would press: "Use one of my recovery codes" (the phone, already used, is not offered again).
    const choices = chat.submits('verify.choose');
    expect(choices.some((n) => /~(sms|voice)$/.test(String((n.data as Record<string, unknown>).methodId)))).toBe(false);
    const recoveryChoice = choices.find((n) => n.title === en('verify.method.recoveryCodes'));
    expect(recoveryChoice).toBeDefined();
    await chat.send({ value: recoveryChoice!.data as Record<string, unknown> });
    const secondCode = recoveryCodes[1]!;
    codesUsed.add(secondCode);
    const verified = await chat.submit('verify.recoveryCode', { code: secondCode });
    expect(verified).toContain(en('verify.done'));

    // 6. The masked password card (R15): both fields, then the confirmation — now, or proactively when slow (R26).
    const card = findAll(chat.last, (n) => n.type === 'Input.Text' && n.style === 'password');
    expect(card).toHaveLength(2);
    const notesBefore = await notifications(MAIL);
    const answer = await chat.submit('reset.password', { newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD });
    const done = en('recovery.resetDone', { contact: contactText() });
    console.log(`npm start e2e: reset confirmation ${answer.includes(done) ? 'in the same turn' : 'as a proactive message (R26)'}`);
    if (!answer.includes(done)) {
      expect(answer).toContain(en('reset.working'));
      const until = Date.now() + 30_000;
      while (!app.connector.activities.some((a: { text?: string }) => a.text === done) && Date.now() < until) await sleep(100);
      expect(app.connector.activities.some((a: { text?: string }) => a.text === done)).toBe(true);
    }

    // R18: the registered address is told about the reset (the dev outbox shows the notification, never a secret).
    const notifyUntil = Date.now() + 30_000;
    while ((await notifications(MAIL)).length <= notesBefore.length && Date.now() < notifyUntil) await sleep(200);
    const notesAfter = await notifications(MAIL);
    expect(notesAfter.length).toBe(notesBefore.length + 1);
    // Issue 11: the outbox shows the real e-mail (subject and body, no placeholder left), not "Notification: passwordReset".
    expect(notesAfter.at(-1)).toMatch(/^Your password was reset\nHello,\n\nYour password was reset with the Password Reset Assistant on .+ UTC\./);
    expect(notesAfter.at(-1)).not.toMatch(/\{\w+\}/);

    // 7. The demo directory accepts the new password and refuses the old one (one wrong try).
    expect(await directoryAccepts(NEW_PASSWORD)).toBe(true);
    expect(await directoryAccepts(MEGAN.initialPassword)).toBe(false);
  });

  test('R15 R20: the server output (stdout and stderr) holds no new password and no code', async () => {
    await sleep(300);
    // The pipes work: the start-up line is there (so an empty scan cannot pass by accident).
    expect(app.output()).toContain('Password Reset Assistant listening on');
    expect(codesUsed.size).toBeGreaterThanOrEqual(4);
    const found: string[] = [];
    for (const secret of [NEW_PASSWORD, ...codesUsed]) {
      const re = /^\d+$/.test(secret) ? new RegExp(`(?<!\\d)${secret}(?!\\d)`) : new RegExp(secret.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'), 'i');
      if (re.test(app.output())) found.push(secret.length > 6 ? `${secret.slice(0, 2)}…` : 'a 6-digit code');
    }
    expect(found).toEqual([]);
  });
});

/** The helpdesk contact of the default policy, which the confirmation text names. */
function contactText(): string {
  const policy = JSON.parse(readFileSync(join(ROOT, 'config', 'policy.default.json'), 'utf8')) as { helpdesk: { contactText: { en: string } } };
  return policy.helpdesk.contactText.en;
}
