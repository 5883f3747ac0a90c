/**
 * Issue 7 item 3: every journey through the local Web Chat page in headless Debian chromium, against the real app
 * (startApp, development mode, demo directory, dev outbox). The test reads codes from the page's outbox panel and
 * computes authenticator codes from the key the dialog page shows (R35: only there), as a tester would.
 */
import type { Locator, Page } from 'playwright-core';
import { authenticator } from 'otplib';
import { startApp, type RunningApp } from '../support/appHarness';
import { freePort } from '../support/redisServer';
import { launchBrowser, type TestBrowser } from '../support/browser';
import { MemoryDirectory } from '../../adapters/directory/memoryDirectory';
import type { Clock } from '../../domain/ports/clock';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildWeb } = require('../../scripts/buildWeb.js') as { buildWeb(o?: { logLevel?: string }): Promise<unknown> };

const SEND_BOX = '[data-id="webchat-sendbox-input"]';
const TENANT = '00000000-0000-0000-0000-000000000001';
const TOTP_STEP_MS = 30_000;

interface DemoPerson {
  readonly objectId: string;
  readonly name: string;
  /** An address outside the work account for the e-mail method. */
  readonly mail: string;
  /** The mobile number the demo directory holds (R31 bootstrap: the first method is proved by a code to it). */
  readonly mobile: string;
}

const MEGAN: DemoPerson = { objectId: '6e7b768e-07e2-4810-8459-485f84f8f204', name: 'Megan Bowen', mail: 'megan.private@fabrikam.example', mobile: '+31612345678' };
const LIDIA: DemoPerson = { objectId: 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21', name: 'Lidia Holloway', mail: 'lidia.private@fabrikam.example', mobile: '+31623456789' };
const JONI: DemoPerson = { objectId: '3d9c2b71-8e4f-4f0a-a6b2-5e1c7d9f0a44', name: 'Joni Sherman', mail: 'joni.private@fabrikam.example', mobile: '+31645678901' };
/** Joni's demo password (config/demo-directory.json); the account starts locked. */
const JONI_PASSWORD = 'Demo-Joni-Start-2026';
const DIEGO: DemoPerson = { objectId: 'f5a3c1e9-7b2d-4c6e-8f0a-1b3d5e7f9c66', name: 'Diego Siciliani', mail: 'diego.private@fabrikam.example', mobile: '+31667890123' };

/** The words of one language, as the cards and the page show them (locales/en.json, locales/nl.json). */
interface Words {
  readonly lang: 'en' | 'nl';
  readonly menuReset: string;
  readonly securityInfo: string;
  readonly reset: string;
  readonly unlock: string;
  readonly add: string;
  readonly chooseKindTitle: string;
  readonly email: string;
  readonly authenticator: string;
  readonly emailLabel: string;
  readonly sendCode: string;
  readonly codeLabel: string;
  readonly checkCode: string;
  readonly proofTitle: string;
  readonly bootstrapTitle: string;
  readonly sendToMobile: RegExp;
  readonly totpTitle: string;
  readonly openSetup: string;
  readonly back: string;
  readonly totpCodeLabel: string;
  readonly savedText: string;
  readonly done: string;
  readonly doneBye: string;
  readonly chooseTitle: string;
  readonly verifyCodeLabel: string;
  readonly verify: string;
  readonly byEmail: RegExp;
  readonly byApp: string;
  readonly passwordTitle: string;
  readonly newPassword: string;
  readonly confirmPassword: string;
  readonly setPassword: string;
  readonly resetDone: string;
  readonly unlockDone: string;
  readonly unlockIntro: string;
}

const EN: Words = {
  lang: 'en',
  menuReset: 'I forgot my password',
  securityInfo: 'my security info',
  reset: 'I forgot my password',
  unlock: 'I am locked out',
  add: 'Add a method',
  chooseKindTitle: 'Which method do you want to add?',
  email: 'E-mail address',
  authenticator: 'Authenticator app',
  emailLabel: 'E-mail address',
  sendCode: 'Send me a code',
  codeLabel: 'Code',
  checkCode: 'Check code',
  proofTitle: 'First, prove it',
  bootstrapTitle: 'First, confirm contact details we have for you',
  sendToMobile: /^Send a code to mobile phone/,
  totpTitle: 'Set up your authenticator app',
  openSetup: 'Open the set-up window',
  back: 'Back',
  totpCodeLabel: 'Code from your app',
  savedText: 'Saved. Your security info is up to date',
  done: 'Done',
  doneBye: 'You can come back to your security info any time',
  chooseTitle: 'Choose how you want to prove it',
  verifyCodeLabel: '6-digit code',
  verify: 'Verify',
  byEmail: /^E-mail a code to/,
  byApp: 'Enter a code from my authenticator app',
  passwordTitle: 'Choose a new password',
  newPassword: 'New password',
  confirmPassword: 'Type the new password again',
  setPassword: 'Set password',
  resetDone: 'Done! Your password has been changed.',
  unlockDone: 'Done! Your account is unlocked.',
  unlockIntro: 'To unlock your account, first verify',
};

const NL: Words = {
  lang: 'nl',
  menuReset: 'Ik ben mijn wachtwoord vergeten',
  securityInfo: 'mijn beveiligingsgegevens',
  reset: 'Ik ben mijn wachtwoord vergeten',
  unlock: 'Mijn account is geblokkeerd',
  add: 'Methode toevoegen',
  chooseKindTitle: 'Welke methode wil je toevoegen?',
  email: 'E-mailadres',
  authenticator: 'Authenticator-app',
  emailLabel: 'E-mailadres',
  sendCode: 'Code sturen',
  codeLabel: 'Code',
  checkCode: 'Code controleren',
  proofTitle: 'Laat eerst zien dat jij het bent',
  bootstrapTitle: 'Bevestig eerst contactgegevens die we van je hebben',
  sendToMobile: /^Code sturen naar mobiele telefoon/,
  totpTitle: 'Je authenticator-app instellen',
  openSetup: 'Instelvenster openen',
  back: 'Terug',
  totpCodeLabel: 'Code uit je app',
  savedText: 'Opgeslagen.',
  done: 'Klaar',
  doneBye: 'Je kunt altijd via het menu terugkomen',
  chooseTitle: 'Kies hoe je wilt laten zien',
  verifyCodeLabel: 'Code van 6 cijfers',
  verify: 'Controleren',
  byEmail: /^Code per e-mail op/,
  byApp: 'Een code uit mijn authenticator-app invoeren',
  passwordTitle: 'Kies een nieuw wachtwoord',
  newPassword: 'Nieuw wachtwoord',
  confirmPassword: 'Typ het nieuwe wachtwoord nog een keer',
  setPassword: 'Wachtwoord instellen',
  resetDone: 'Klaar! Je wachtwoord is gewijzigd.',
  unlockDone: 'Klaar! Je account is ontgrendeld.',
  unlockIntro: 'Om je account te ontgrendelen',
};

/** TOTP codes for a key, never one whose time step was used before (the bot refuses replays, R12). */
class Authenticator {
  private readonly used = new Set<number>();
  constructor(
    readonly secret: string,
    private readonly clock: Clock,
  ) {}

  code(): string {
    const now = this.clock.now();
    const current = Math.floor(now / TOTP_STEP_MS);
    // The bot accepts the neighbouring steps too (window ±1): take the first one not used yet.
    const step = [current, current + 1].find((s) => !this.used.has(s));
    if (step === undefined) throw new Error('both usable TOTP steps are used; the test went too fast');
    this.used.add(step);
    return authenticator.clone({ epoch: step * TOTP_STEP_MS + 1_000 }).generate(this.secret);
  }
}

/**
 * The app's clock: real time plus whatever the test skipped ("the tester comes back a minute later"), so the 60 s
 * between two codes to one address (policy throttles) need not be waited out for real.
 */
class SkippingClock implements Clock {
  private skippedMs = 0;
  now(): number {
    return Date.now() + this.skippedMs;
  }
  skip(ms: number): void {
    this.skippedMs += ms;
  }
}

describe('every journey in the local Web Chat page (issue 7 item 3; headless chromium, real app in development mode)', () => {
  let run: RunningApp;
  let b: TestBrowser;
  let directory: MemoryDirectory;
  const clock = new SkippingClock();

  beforeAll(async () => {
    await buildWeb({ logLevel: 'error' });
    // A fixed port: the dialog pages the bot opens (R35) are at http://localhost:<PORT>, this server.
    run = await startApp({ SSPR_MODE: 'development', LOG_LEVEL: 'warn', PORT: String(await freePort()) }, { services: { clock } });
    const dir = run.app.services.directory;
    if (!(dir instanceof MemoryDirectory)) throw new Error('expected the demo directory');
    directory = dir;
    b = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await run?.close();
  });

  /** Opens the page as `who` in language `w.lang` (the page's own pickers) and waits for the bot's welcome. */
  async function openAs(who: DemoPerson, w: Words): Promise<Chat> {
    const page = await b.newPage();
    await page.goto(`${run.baseUrl}/`);
    await page.locator('#webchat-host[data-user]').waitFor({ timeout: 20_000 });
    if ((await page.locator('html').getAttribute('lang')) !== w.lang) {
      await page.locator('#language-select').selectOption(w.lang);
      await page.locator(`html[lang="${w.lang}"]`).waitFor();
    }
    await page.locator('#user-select').selectOption({ value: `${TENANT}/${who.objectId}` });
    await page.locator(`#webchat-host[data-user="${who.objectId}"][data-locale="${w.lang === 'nl' ? 'nl-NL' : 'en-US'}"]`).waitFor({ timeout: 10_000 });
    await page.locator('.ac-adaptiveCard').filter({ hasText: w.menuReset }).first().waitFor({ timeout: 15_000 });
    return new Chat(page, w);
  }

  /** Runs a journey; on failure keeps a screenshot and puts the end of the transcript into the error. */
  async function journey(name: string, who: DemoPerson, w: Words, body: (chat: Chat) => Promise<void>): Promise<void> {
    const chat = await openAs(who, w);
    try {
      await body(chat);
      await b.screenshot(chat.page, name);
    } catch (e) {
      await b.screenshot(chat.page, `${name}-failed`);
      throw new Error(`${String(e)}\n--- transcript (end) ---\n${await chat.transcript()}\n--- browser errors ---\n${b.errors.join('\n')}`);
    } finally {
      await chat.page.close();
    }
  }

  /**
   * Security info: adds an authenticator app. It is the user's first method, so the R31 bootstrap comes first: a code
   * to the mobile number the demo directory holds. Returns the app's key.
   */
  async function registerAuthenticator(chat: Chat, who: DemoPerson): Promise<Authenticator> {
    const { w } = chat;
    let card = await chat.press(await chat.newestCard(w.add), w.add, w.chooseKindTitle);
    card = await chat.press(card, w.authenticator, w.bootstrapTitle, { exact: true });
    card = await chat.press(card, new RegExp(`${w.sendToMobile.source}.*${who.mobile.slice(-2)}$`), w.checkCode);
    await chat.fill(card, w.codeLabel, await chat.codeFromOutbox(who.mobile));
    card = await chat.press(card, w.checkCode, w.totpTitle);
    // R35: the chat card holds no key; it opens the dialog page, which shows the QR code and key once.
    expect(await card.innerText()).not.toMatch(/[A-Z2-7]{4} [A-Z2-7]{4} [A-Z2-7]{4}/);
    await card.getByRole('button', { name: w.openSetup }).click();
    const shown = await chat.dialogKey();
    const app = new Authenticator(shown.replace(/\s+/g, ''), clock);
    await chat.confirmInDialog(app.code());
    await chat.press(card, w.back, w.add, { exact: true });
    // Nothing of the key ever reached the chat.
    expect(await chat.transcript(Infinity)).not.toContain(shown);
    return app;
  }

  /**
   * Security info: adds an e-mail address within the 10 minutes of the bootstrap proof (R31; later a proof is asked
   * again: test/dialogs/securityInfo.test.ts); the code comes from the outbox.
   */
  async function registerEmail(chat: Chat, who: DemoPerson): Promise<void> {
    const { w } = chat;
    let card = await chat.press(await chat.newestCard(w.add), w.add, w.chooseKindTitle);
    card = await chat.press(card, w.email, w.sendCode, { exact: true });
    await chat.fill(card, w.emailLabel, who.mail);
    card = await chat.press(card, w.sendCode, w.checkCode);
    await chat.fill(card, w.codeLabel, await chat.codeFromOutbox(who.mail));
    await chat.press(card, w.checkCode, w.savedText);
  }

  /** Security info from the chat: the authenticator app, then the e-mail address, then Done. */
  async function registerBoth(chat: Chat, who: DemoPerson): Promise<Authenticator> {
    await chat.say(chat.w.securityInfo);
    await chat.newestCard(chat.w.add);
    const app = await registerAuthenticator(chat, who);
    await registerEmail(chat, who);
    await chat.press(await chat.newestCard(chat.w.done), chat.w.done, chat.w.doneBye, { exact: true });
    // A minute later: one address gets at most one code a minute (policy throttles).
    clock.skip(61_000);
    return app;
  }

  /** Verify it's you with the e-mail code, then the authenticator code (two methods of different kinds, R5). */
  async function verifyWithBoth(chat: Chat, who: DemoPerson, app: Authenticator, first: Locator): Promise<Locator> {
    const { w } = chat;
    let card = await chat.press(first, w.byEmail, w.verifyCodeLabel);
    await chat.fill(card, w.verifyCodeLabel, await chat.codeFromOutbox(who.mail));
    card = await chat.press(card, w.verify, w.chooseTitle);
    card = await chat.press(card, w.byApp, w.verifyCodeLabel);
    await chat.fill(card, w.verifyCodeLabel, app.code());
    return card;
  }

  async function resetJourney(who: DemoPerson, w: Words, newPassword: string): Promise<void> {
    await journey(`reset-${w.lang}`, who, w, async (chat) => {
      const app = await registerBoth(chat, who);
      await chat.say(w.reset);
      let card = await verifyWithBoth(chat, who, app, await chat.newestCard(w.chooseTitle));
      card = await chat.press(card, w.verify, w.passwordTitle);
      await chat.fill(card, w.newPassword, newPassword);
      await chat.fill(card, w.confirmPassword, newPassword);
      await chat.press(card, w.setPassword, w.resetDone);
      // R15: the card that held the password was replaced.
      expect(await chat.page.locator('input[type="password"]').count()).toBe(0);
    });
    expect(await directory.verifyPassword(who.objectId, newPassword)).toBe(true);
  }

  test('R5 R12 R14 R15 R19: register an authenticator app and an e-mail address, reset with both, the directory accepts the new password', async () => {
    await resetJourney(MEGAN, EN, 'Velvet-Harbour-Lantern-93');
  }, 90_000);

  test('R5: unlock a locked demo user after registering what the policy needs; the old password works again', async () => {
    expect(await directory.verifyPassword(JONI.objectId, JONI_PASSWORD)).toBe(false);
    await journey('unlock-en', JONI, EN, async (chat) => {
      const app = await registerBoth(chat, JONI);
      await chat.say(EN.unlock);
      const card = await verifyWithBoth(chat, JONI, app, await chat.newestCard(EN.unlockIntro));
      await chat.press(card, EN.verify, EN.unlockDone);
    });
    expect(await directory.verifyPassword(JONI.objectId, JONI_PASSWORD)).toBe(true);
  }, 90_000);

  test('the same reset in Dutch, chosen with the language switch on the page', async () => {
    await resetJourney(LIDIA, NL, 'Fluweel-Haven-Lantaarn-47');
  }, 90_000);

  test('keyboard only (Tab, Shift+Tab, Enter, Space, Escape, arrow keys, typing; no clicks): a whole security-info journey that adds an authenticator app', async () => {
    await journey('keyboard-security-info', DIEGO, EN, async (chat) => {
      const k = new Keyboard(chat.page);
      await k.tabUntil((e) => e.dataId === 'webchat-sendbox-input', 'the send box');
      await chat.page.keyboard.type(EN.securityInfo);
      let from = await chat.count();
      await chat.page.keyboard.press('Enter');
      await chat.after(from, EN.add);
      await k.intoNewestCard();
      await k.tabUntil((e) => e.role === 'button' && e.text === EN.add, EN.add);
      from = await chat.count();
      await chat.page.keyboard.press('Enter');
      await chat.after(from, EN.chooseKindTitle);
      await k.intoNewestCard();
      await k.tabUntil((e) => e.role === 'button' && e.text === EN.authenticator, EN.authenticator);
      from = await chat.count();
      await chat.page.keyboard.press('Space');
      // R31: the first method starts with a code to the mobile number the directory holds.
      await chat.after(from, EN.bootstrapTitle);
      await k.intoNewestCard();
      await k.tabUntil((e) => e.role === 'button' && EN.sendToMobile.test(e.text), 'the directory mobile number');
      from = await chat.count();
      await chat.page.keyboard.press('Enter');
      await chat.after(from, EN.checkCode);
      const bootCode = await chat.codeFromOutbox(DIEGO.mobile);
      await k.intoNewestCard();
      await k.tabUntil((e) => e.label === EN.codeLabel, 'the code field');
      await chat.page.keyboard.type(bootCode);
      await k.tabUntil((e) => e.role === 'button' && e.text === EN.checkCode, EN.checkCode);
      from = await chat.count();
      await chat.page.keyboard.press('Enter');
      await chat.after(from, EN.totpTitle);
      // R35: the card opens the dialog page (Enter on its button); the code field there has the focus.
      await k.intoNewestCard();
      await k.tabUntil((e) => e.role === 'button' && e.text === EN.openSetup, EN.openSetup);
      await chat.page.keyboard.press('Enter');
      const shown = await chat.dialogKey();
      const app = new Authenticator(shown.replace(/\s+/g, ''), clock);
      await chat.page.frameLocator('#dialog-frame').locator('#code:focus').waitFor({ timeout: 10_000 });
      const told = chat.page.locator('.webchat__bubble').filter({ hasText: 'Your security info changed' });
      const toldBefore = await told.count();
      await chat.page.keyboard.type(app.code());
      await chat.page.keyboard.press('Enter');
      await chat.page.locator('#dialog-backdrop').waitFor({ state: 'hidden', timeout: 15_000 });
      // R18: the chat is told (a proactive message, newest); the set-up card is the one before it.
      await told.nth(toldBefore).waitFor({ timeout: 15_000 });
      await k.intoNewestCard(1);
      await k.tabUntil((e) => e.role === 'button' && e.text === EN.back, EN.back);
      from = await chat.count();
      await chat.page.keyboard.press('Enter');
      await chat.after(from, EN.add);
      await k.intoNewestCard();
      await k.tabUntil((e) => e.role === 'button' && e.text === EN.done, EN.done);
      await chat.page.keyboard.press('Enter');
      await chat.page.locator('.webchat__bubble').filter({ hasText: EN.doneBye }).last().waitFor({ timeout: 15_000 });
    });
  }, 90_000);

  test('no page broke the CSP or threw', () => {
    // The dialog pages' teams-js asks its CDN for Teams' host origins when it loads; the CSP refuses that (as in
    // test/web/securityPages.browser.test.ts), and nothing else may be refused.
    const refused = b.errors.filter((e) => /Content Security Policy|Refused to|Uncaught|Failed to render/i.test(e));
    expect(refused.filter((e) => !/res\.cdn\.office\.net/.test(e))).toEqual([]);
  });
});

/** What has the keyboard focus, described for tests. */
interface Focused {
  readonly tag: string;
  readonly role: string;
  readonly text: string;
  readonly label: string;
  readonly dataId: string;
  readonly inTranscript: boolean;
}

/** Moves the focus with Tab / Shift+Tab only, as a keyboard user does, and enters cards with Enter. */
class Keyboard {
  constructor(private readonly page: Page) {}

  focused(): Promise<Focused> {
    return this.page.evaluate(() => {
      const e = document.activeElement as HTMLElement | null;
      const labelledBy = e?.getAttribute('aria-labelledby');
      const label = e?.getAttribute('aria-label') ?? (labelledBy ? (document.getElementById(labelledBy.split(' ')[0] ?? '')?.textContent ?? '') : '');
      return {
        tag: e?.tagName.toLowerCase() ?? '',
        role: e?.getAttribute('role') ?? (e?.tagName === 'BUTTON' ? 'button' : ''),
        text: (e?.textContent ?? '').trim(),
        label: label.replace(/\s*\*$/, '').trim(),
        dataId: e?.getAttribute('data-id') ?? '',
        inTranscript: !!e?.closest('.webchat__basic-transcript'),
      };
    });
  }

  /** Presses Tab (or Shift+Tab) until the focused element matches; fails with the path it took. */
  async tabUntil(match: (f: Focused) => boolean, what: string, shift = false, max = 40): Promise<void> {
    const path: string[] = [];
    for (let i = 0; i <= max; i++) {
      const f = await this.focused();
      if (match(f)) return;
      path.push(`${f.tag}[${f.role}${f.inTranscript ? ' in transcript' : ''}] "${(f.label || f.text).slice(0, 30)}"`);
      await this.page.keyboard.press(shift ? 'Shift+Tab' : 'Tab');
    }
    throw new Error(`Tab never reached ${what}; focus went: ${path.join(' → ')}`);
  }

  /**
   * Web Chat's transcript keyboard model (its own "Keyboard controls" help): Escape leaves a message, Shift+Tab from the
   * send box reaches the chat history, the arrow keys move between messages, Enter goes into one.
   */
  /** Into the newest card, or the one `back` cards before it (arrow keys in the chat history). */
  async intoNewestCard(back = 0): Promise<void> {
    if ((await this.focused()).inTranscript) await this.page.keyboard.press('Escape');
    await this.tabUntil((f) => f.inTranscript && f.role !== 'note', 'the chat history', true);
    for (let i = 0; i < 8; i++) await this.page.keyboard.press('ArrowDown');
    for (let i = 0; i < back; i++) await this.page.keyboard.press('ArrowUp');
    await this.page.keyboard.press('Enter');
  }
}

/** One conversation in the page: typing, pressing card buttons, and waiting for what the bot answers. */
class Chat {
  private readonly codesUsed = new Set<string>();
  constructor(
    readonly page: Page,
    readonly w: Words,
  ) {}

  count(): Promise<number> {
    return this.cards().count();
  }

  private cards(): Locator {
    return this.page.locator('.ac-adaptiveCard');
  }

  async say(text: string): Promise<void> {
    const box = this.page.locator(SEND_BOX);
    await box.fill(text);
    await box.press('Enter');
  }

  /** The newest card showing `text` (waits for one). */
  async newestCard(text: string | RegExp): Promise<Locator> {
    const card = this.cards().filter({ hasText: text }).last();
    await card.waitFor({ timeout: 15_000 });
    return card;
  }

  /** Waits for a card at index ≥ `from` showing `text` (or a bot bubble with it) and returns it. */
  async after(from: number, text: string | RegExp, timeoutMs = 15_000): Promise<Locator> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = await this.cards().count();
      for (let i = n - 1; i >= from; i--) {
        const c = this.cards().nth(i);
        if ((await c.filter({ hasText: text }).count()) > 0) return c;
      }
      const bubble = this.page.locator('.webchat__bubble').filter({ hasText: text }).filter({ hasNot: this.page.locator('.ac-adaptiveCard') });
      if (n === from && (await bubble.count()) > 0) return bubble.last();
      if (Date.now() > deadline) throw new Error(`no new card or message showing ${String(text)}`);
      await this.page.waitForTimeout(100);
    }
  }

  /** Presses a button of `card` and waits for the bot's next card (or message) showing `expect`. */
  async press(card: Locator, button: string | RegExp, expect: string | RegExp, opts: { exact?: boolean } = {}): Promise<Locator> {
    const from = await this.cards().count();
    await card.getByRole('button', { name: button, ...(opts.exact ? { exact: true } : {}) }).click();
    return this.after(from, expect);
  }

  /** The key the authenticator dialog page shows (R35: only there), once it is open in the page's overlay. */
  async dialogKey(): Promise<string> {
    const key = this.page.frameLocator('#dialog-frame').locator('#key');
    await key.filter({ hasText: /[A-Z2-7]{4}/ }).waitFor({ timeout: 15_000 });
    return (await key.innerText()).trim();
  }

  /** Types the app's first code into the dialog page and confirms; the page closes the dialog. */
  async confirmInDialog(code: string): Promise<void> {
    const frame = this.page.frameLocator('#dialog-frame');
    await frame.locator('#code').fill(code);
    await frame.locator('#confirm').click();
    await this.page.locator('#dialog-backdrop').waitFor({ state: 'hidden', timeout: 15_000 });
  }

  async fill(card: Locator, label: string, value: string): Promise<void> {
    await card.getByRole('textbox', { name: label, exact: true }).fill(value);
  }

  /** Reads the newest code sent to `to` from the page's dev outbox panel (the page polls every 2 s). */
  async codeFromOutbox(to: string): Promise<string> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const items = await this.page.locator('#outbox li').filter({ hasText: to }).allInnerTexts();
      const code = items.map((t) => /\b(\d{6})\b/.exec(t.split('\n').slice(1).join('\n'))?.[1]).find((c) => c !== undefined);
      if (code && !this.codesUsed.has(code)) {
        this.codesUsed.add(code);
        return code;
      }
      if (Date.now() > deadline) throw new Error(`no new code for ${to} in the outbox panel: ${items.join(' | ')}`);
      await this.page.waitForTimeout(200);
    }
  }

  /** The end of what the chat shows (the whole of it with Infinity). */
  async transcript(chars = 3000): Promise<string> {
    return (await this.page.locator('#webchat-host').innerText()).slice(-chars);
  }
}
