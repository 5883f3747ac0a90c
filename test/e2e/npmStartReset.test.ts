/**
 * Issue 4 acceptance 5: with `npm start` (development mode, embedded defaults: state in memory, demo directory, dev
 * outbox) a demo user resets their password through HTTP activities only, and the demo directory then accepts the
 * new password.
 *
 * The server runs as a separate process, the way `npm start` runs it: `node dist/bot/index.js` when the build is
 * newer than every source file, otherwise the same entry point from source with tsx (building inside the test is
 * too slow on a 2-core machine). Everything goes over HTTP: POST /api/messages with deliveryMode expectReplies, card
 * submits copied from the Action.Submit data of the replies, codes from GET /devchannel/outbox, the directory check
 * through POST /devchannel/directory/verify. Proactive messages go to a local Bot Connector stub.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { t } from '../../locales';
import { ConnectorStub } from '../support/connectorStub';
import { DEMO_TENANT, post, replyText, teamsActivity, type Reply } from '../support/activities';
import { freePort, sleep } from '../support/redisServer';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const SOURCE_DIRS = ['bot', 'dialogs', 'cards', 'domain', 'adapters', 'locales', 'config'];
const DIST_ENTRY = join(ROOT, 'dist', 'bot', 'index.js');

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

/** Newest modification time of any file under `dir` (0 when absent). */
function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** `npm start`'s entry point when the build is current, else the same entry point from source (tsx). */
function entryPoint(): { args: string[]; label: string } {
  const sources = Math.max(...SOURCE_DIRS.map((d) => newestMtime(join(ROOT, d))));
  if (existsSync(DIST_ENTRY) && statSync(DIST_ENTRY).mtimeMs > sources) {
    return { args: ['--enable-source-maps', DIST_ENTRY], label: 'dist/bot/index.js (built, newer than every source file)' };
  }
  return { args: [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bot/index.ts'], label: 'bot/index.ts with tsx (dist is missing or older than the sources)' };
}

let child: ChildProcess;
let output = '';
let baseUrl = '';
let connector: ConnectorStub;
/** Every code and recovery code the test typed, for the R15/R20 log scan. */
const codesUsed = new Set<string>();

beforeAll(async () => {
  connector = new ConnectorStub();
  await connector.start();
  connector.members.set(`29:${MEGAN.objectId}`, {
    id: `29:${MEGAN.objectId}`,
    name: MEGAN.displayName,
    aadObjectId: MEGAN.objectId,
    userPrincipalName: MEGAN.userPrincipalName,
    userRole: 'user',
  });
  const port = await freePort();
  const entry = entryPoint();
  console.log(`npm start e2e: running ${entry.label}`);
  // Embedded defaults only: none of the parent's configuration leaks in (no REDIS_URL, DIRECTORY, SENDERS, …).
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1' };
  child = spawn(process.execPath, entry.args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString('utf8')));
  baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await fetch(`${baseUrl}/healthz`).then((r) => r.ok, () => false)) return;
    await sleep(200);
  }
  throw new Error(`server did not become healthy (exit code ${String(child.exitCode)}):\n${output.slice(-2000)}`);
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    let timer: NodeJS.Timeout | undefined;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, 15_000)))]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await connector?.stop();
});

/** Megan's 1:1 chat, over HTTP only. */
class Chat {
  last: Reply[] = [];

  async send(input: { text?: string; value?: Record<string, unknown> }): Promise<string> {
    const activity = teamsActivity({
      userObjectId: MEGAN.objectId,
      userName: MEGAN.displayName,
      serviceUrl: connector.url,
      locale: 'en-US',
      ...input,
    });
    const res = await post(baseUrl, activity);
    expect(res.status).toBe(200);
    this.last = res.replies;
    return replyText(res.replies);
  }

  /** The data of the last Action.Submit with this verb (and matching `pred`) in the last replies. */
  action(verb: string, pred: (d: Record<string, unknown>) => boolean = () => true): Record<string, unknown> {
    const found = findAll(this.last, (n) => n.type === 'Action.Submit' && isObject(n.data) && n.data.verb === verb && pred(n.data)).map(
      (n) => n.data as Record<string, unknown>,
    );
    if (found.length === 0) throw new Error(`no ${verb} action in the replies: ${replyText(this.last)}`);
    return found[found.length - 1]!;
  }

  /** Submit the card action `verb` with extra input fields. */
  submit(verb: string, fields: Record<string, unknown> = {}, pred?: (d: Record<string, unknown>) => boolean): Promise<string> {
    return this.send({ value: { ...this.action(verb, pred), ...fields } });
  }
}

/** What the dialog page shows for a recovery-codes ticket (GET /api/enrolments/:ticket as the user, development). */
async function dialogPageCodes(objectId: string, open: Record<string, unknown>): Promise<string[]> {
  const res = await fetch(`${baseUrl}/api/enrolments/${String(open.ticket)}`, { headers: { 'X-Dev-User': `${DEMO_TENANT}:${objectId}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { codes: string[] }).codes;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
function findAll(root: unknown, pred: (n: Record<string, unknown>) => boolean): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!isObject(n)) return;
    if (pred(n)) out.push(n);
    Object.values(n).forEach(walk);
  };
  walk(root);
  return out;
}

/** The newest code the dev outbox shows for this destination (GET /devchannel/outbox). */
async function outboxCode(to: string, channel: string): Promise<string> {
  const res = await fetch(`${baseUrl}/devchannel/outbox`);
  expect(res.status).toBe(200);
  const { items } = (await res.json()) as { items: { at: number; channel: string; to: string; text: string }[] };
  // The outbox shows the words the real sender would use (issue 11): the code is the one 6-digit group in them.
  const codeIn = (text: string): string | undefined => (channel === 'voice' ? text.replace(/, /g, '') : text).match(/\b(\d{6})\b/)?.[1];
  const mine = items.filter((i) => i.to === to && i.channel === channel && codeIn(i.text) !== undefined);
  if (mine.length === 0) throw new Error(`no ${channel} code for ${to} in the outbox: ${JSON.stringify(items.map((i) => [i.channel, i.text.slice(0, 14)]))}`);
  const code = codeIn(mine[mine.length - 1]!.text)!;
  codesUsed.add(code);
  return code;
}

/** The notification lines the dev outbox shows for this address, oldest first. */
async function notifications(to: string): Promise<string[]> {
  const { items } = (await (await fetch(`${baseUrl}/devchannel/outbox`)).json()) as { items: { to: string; subject?: string; text: string }[] };
  return items.filter((i) => i.to === to && i.subject !== undefined && !/\b\d{6}\b/.test(i.text)).map((i) => `${i.subject ?? ''}\n${i.text}`);
}

async function directoryAccepts(password: string): Promise<boolean> {
  const res = await fetch(`${baseUrl}/devchannel/directory/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ objectId: MEGAN.objectId, password }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { accepted: boolean }).accepted;
}

const en = (key: string, params?: Record<string, string | number>): string => t('en', key, params);

describe('Issue 4 acceptance 5: npm start, a demo user resets the password over HTTP activities only', () => {
  test('R4 R15 R31: Megan bootstraps with the directory number, registers two kinds of methods, verifies with two, sets a new password; the demo directory accepts it, not the old one', async () => {
    const chat = new Chat();
    expect(await directoryAccepts(MEGAN.initialPassword)).toBe(true);

    // 1. First contact: the welcome invites to register; the menu opens Security info.
    expect(await chat.send({ text: 'hi' })).toContain(en('welcome.noMethods'));
    expect(await chat.submit('menu', {}, (d) => d.choice === 'securityInfo')).toContain(en('securityInfo.overview.title'));

    // 2. First method: recovery codes. The account has no method yet, so the R31 bootstrap comes first: a code to the
    //    mobile number the demo directory holds (pre-filled as "from your organisation").
    await chat.submit('si.add');
    expect(await chat.submit('si.kind', {}, (d) => d.kind === 'recoveryCodes')).toContain(en('securityInfo.bootstrap.title'));
    const toMobile = findAll(chat.last, (n) => n.type === 'Action.Submit' && isObject(n.data) && n.data.verb === 'si.bootstrapWith' && String(n.title).includes(en('securityInfo.kindInline.mobilePhone')))[0];
    expect(toMobile).toBeDefined();
    await chat.send({ value: toMobile!.data as Record<string, unknown> });
    await chat.submit('si.code', { code: await outboxCode(MOBILE, 'sms') });
    // R35: the codes are shown only in the dialog page, behind the single-use ticket the chat card carries.
    const recoveryCodes = await dialogPageCodes(MEGAN.objectId, chat.action('openRecoveryCodesDialog'));
    expect(recoveryCodes).toHaveLength(10);
    await chat.submit('si.back');

    // 3. The alternate e-mail address the directory holds: confirmed with its own code round trip (within the
    //    10 minutes of the user's proof, R31).
    //    The directory holds two addresses for Megan; pick the row of the alternate one (masked: first letter + domain).
    const mailRow = findAll(chat.last, (n) => n.type === 'Container' && JSON.stringify(n).includes(`@${MAIL.split('@')[1]!}`))[0];
    const confirmMail = findAll(mailRow, (n) => n.type === 'Action.Submit' && isObject(n.data) && n.data.verb === 'si.reconfirm').at(-1);
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
    const choices = findAll(chat.last, (n) => n.type === 'Action.Submit' && isObject(n.data) && n.data.verb === 'verify.choose');
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
      while (!connector.activities.some((a: { text?: string }) => a.text === done) && Date.now() < until) await sleep(100);
      expect(connector.activities.some((a: { text?: string }) => a.text === done)).toBe(true);
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
    expect(output).toContain('Password Reset Assistant listening on');
    expect(codesUsed.size).toBeGreaterThanOrEqual(4);
    const found: string[] = [];
    for (const secret of [NEW_PASSWORD, ...codesUsed]) {
      const re = /^\d+$/.test(secret) ? new RegExp(`(?<!\\d)${secret}(?!\\d)`) : new RegExp(secret.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'), 'i');
      if (re.test(output)) found.push(secret.length > 6 ? `${secret.slice(0, 2)}…` : 'a 6-digit code');
    }
    expect(found).toEqual([]);
  });
});

/** The helpdesk contact of the default policy, which the confirmation text names. */
function contactText(): string {
  const policy = JSON.parse(readFileSync(join(ROOT, 'config', 'policy.default.json'), 'utf8')) as { helpdesk: { contactText: { en: string } } };
  return policy.helpdesk.contactText.en;
}
