/**
 * Issue 11 acceptance 1 and item 6: every journey in the local chat page, driven as a user would — by mouse or by
 * keyboard alone — with, after EVERY step, the newest card and the outbox entry it needs checked to be inside the
 * viewport (getBoundingClientRect against the window and the scroller that clips it), and a screenshot.
 *
 * Words come from the catalog (locales/*.json through the app's own `t`), never from sentences typed here, so a
 * wording change does not break these tests; the structure (which card, which field, which button) does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { authenticator } from 'otplib';
import { rawText, t, type Locale, type TextParams } from '../../locales';
import type { Clock } from '../../domain/ports/clock';
import { ARTIFACTS_DIR, docsScreenshotsDir, type TestBrowser } from './browser';

export const TENANT = '00000000-0000-0000-0000-000000000001';
const TOTP_STEP_MS = 30_000;
const STEP_TIMEOUT_MS = 20_000;

export interface DemoPerson {
  readonly objectId: string;
  readonly name: string;
  readonly upn: string;
  /** The mobile number the demo directory holds (R31 bootstrap: the first code goes there). */
  readonly mobile: string;
  /** An address outside the work account for the e-mail method. */
  readonly mail: string;
  /** An office number to register. */
  readonly office: string;
}

export const MEGAN: DemoPerson = { objectId: '6e7b768e-07e2-4810-8459-485f84f8f204', name: 'Megan Bowen', upn: 'megan.bowen@contoso.example', mobile: '+31612345678', mail: 'megan.private@fabrikam.example', office: '+31201112233' };
export const LIDIA: DemoPerson = { objectId: 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21', name: 'Lidia Holloway', upn: 'lidia.holloway@contoso.example', mobile: '+31623456789', mail: 'lidia.private@fabrikam.example', office: '+31201234567' };
export const JONI: DemoPerson = { objectId: '3d9c2b71-8e4f-4f0a-a6b2-5e1c7d9f0a44', name: 'Joni Sherman', upn: 'joni.sherman@contoso.example', mobile: '+31645678901', mail: 'joni.private@fabrikam.example', office: '+31201112244' };
export const DIEGO: DemoPerson = { objectId: 'f5a3c1e9-7b2d-4c6e-8f0a-1b3d5e7f9c66', name: 'Diego Siciliani', upn: 'diego.siciliani@contoso.example', mobile: '+31667890123', mail: 'diego.private@fabrikam.example', office: '+31207654321' };
/** Joni's demo password (config/demo-directory.json); the account starts locked. */
export const JONI_PASSWORD = 'Demo-Joni-Start-2026';

/** The catalog's text, exactly as the bot renders it. */
export function say(lang: Locale, key: string, params?: TextParams): string {
  return t(lang, key, params);
}

/** A pattern for a catalog text with placeholders: its longest literal part (placeholders and plurals vary). */
export function like(lang: Locale, key: string): RegExp {
  const raw = rawText(lang, key);
  if (raw === undefined) throw new Error(`no catalog text ${key} (${lang})`);
  // Innermost placeholders first, so plural forms ({n, plural, one {…} other {…}}) go as a whole.
  let flat = raw;
  while (/\{[^{}]*\}/.test(flat)) flat = flat.replace(/\{[^{}]*\}/g, '\u00a7');
  const parts = flat.split(/\u00a7+/).sort((a, b) => b.length - a.length);
  const longest = (parts[0] ?? '').trim();
  if (longest.length < 4) throw new Error(`catalog text ${key} has no literal part to look for`);
  // Web Chat's markdown may turn ' into ’: either counts.
  return new RegExp(longest.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/['’]/g, "['’]"));
}

/** The first part of a button title before its first placeholder (e.g. "E-mail a code to"). */
export function startsLike(lang: Locale, key: string): RegExp {
  const raw = rawText(lang, key) ?? '';
  const head = raw.split('{')[0]!.trim();
  return new RegExp(`${head.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/['’]/g, "['’]")}`);
}

/** TOTP codes for a key, never one whose time step was used before (the bot refuses replays, R12). */
export class Authenticator {
  private readonly used = new Set<number>();
  constructor(
    readonly secret: string,
    private readonly clock: Clock,
  ) {}

  code(): string {
    const current = Math.floor(this.clock.now() / TOTP_STEP_MS);
    const step = [current, current + 1].find((s) => !this.used.has(s));
    if (step === undefined) throw new Error('both usable TOTP steps are used; the test went too fast');
    this.used.add(step);
    return authenticator.clone({ epoch: step * TOTP_STEP_MS + 1_000 }).generate(this.secret);
  }
}

/** Real time plus what the test skipped ("the tester comes back a minute later"): send throttles need not be waited out. */
export class SkippingClock implements Clock {
  private skippedMs = 0;
  now(): number {
    return Date.now() + this.skippedMs;
  }
  skip(ms: number): void {
    this.skippedMs += ms;
  }
}

/** A box as the page lays it out. */
interface Box {
  readonly top: number;
  readonly left: number;
  readonly bottom: number;
  readonly right: number;
  readonly width: number;
  readonly height: number;
}

interface Placement {
  readonly box: Box;
  readonly window: { readonly width: number; readonly height: number };
  /** The visible part of the ancestors that clip it (the transcript's scroller, the outbox list). */
  readonly clip: Box | null;
  /** The nearest ancestor that scrolls vertically (the transcript), when there is one. */
  readonly scroller: Box | null;
}

/** Where an element is: its box, the window size, and the box of the nearest ancestor that scrolls or clips it. */
async function placement(el: Locator): Promise<Placement> {
  return el.evaluate((e) => {
    const r = e.getBoundingClientRect();
    // The visible part: the intersection of every ancestor that clips (the transcript's scroller among them).
    let clip: { top: number; left: number; bottom: number; right: number } | null = null;
    let scroller: DOMRect | null = null;
    for (let p = e.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (!scroller && /(auto|scroll)/.test(s.overflowY) && p.scrollHeight > p.clientHeight) scroller = p.getBoundingClientRect();
      if (!/(auto|scroll|hidden|clip)/.test(`${s.overflowY} ${s.overflowX}`)) continue;
      const b = p.getBoundingClientRect();
      clip = clip
        ? { top: Math.max(clip.top, b.top), left: Math.max(clip.left, b.left), bottom: Math.min(clip.bottom, b.bottom), right: Math.min(clip.right, b.right) }
        : { top: b.top, left: b.left, bottom: b.bottom, right: b.right };
    }
    const box = (b: { top: number; left: number; bottom: number; right: number }) => ({ top: b.top, left: b.left, bottom: b.bottom, right: b.right, width: b.right - b.left, height: b.bottom - b.top });
    return { box: box(r), window: { width: window.innerWidth, height: window.innerHeight }, clip: clip ? box(clip) : null, scroller: scroller ? box(scroller) : null };
  });
}

const SLACK = 1;

/** Waits (at most 3 s) until the element's box is the same in two reads 100 ms apart. */
async function settled(el: Locator): Promise<void> {
  let last = '';
  for (let i = 0; i < 30; i++) {
    const now = JSON.stringify((await placement(el)).box);
    if (now === last) return;
    last = now;
    await el.page().waitForTimeout(100);
  }
}

/** Wholly inside the window and inside what clips it. */
function wholly(p: Placement): boolean {
  const { box: b, window: w, clip: c } = p;
  const inWindow = b.height > 0 && b.width > 0 && b.top >= -SLACK && b.left >= -SLACK && b.bottom <= w.height + SLACK && b.right <= w.width + SLACK;
  const inClip = !c || (b.top >= c.top - SLACK && b.bottom <= c.bottom + SLACK && b.left >= c.left - SLACK && b.right <= c.right + SLACK);
  return inWindow && inClip;
}

function describe(p: Placement): string {
  const r = (b: Box) => `[${Math.round(b.left)},${Math.round(b.top)} → ${Math.round(b.right)},${Math.round(b.bottom)}]`;
  return `box ${r(p.box)} in window ${p.window.width}×${p.window.height}${p.clip ? `, clipped by ${r(p.clip)}` : ''}`;
}

/**
 * The newest card is in view: wholly — or, when it is (nearly) as tall as the chat's scroller, filling it (at least
 * 90 % of the scroller shows this card) with its heading or its end in view.
 */
export async function expectCardInView(card: Locator, what: string): Promise<void> {
  const p = await placement(card);
  const s = p.scroller;
  let ok: boolean;
  // "Taller": the card and the timestamp line Web Chat puts under it do not fit together.
  if (s && p.box.height > s.height - 48) {
    const top = Math.max(p.box.top, s.top, 0);
    const bottom = Math.min(p.box.bottom, s.bottom, p.window.height);
    const headingOrEnd = p.box.top >= s.top - SLACK || p.box.bottom <= s.bottom + SLACK;
    ok = wholly(p) || (bottom - top >= 0.9 * s.height && headingOrEnd);
  } else ok = wholly(p);
  if (!ok) throw new Error(`${what}: the newest card is not inside the viewport (${describe(p)}${s ? `, scroller [${Math.round(s.top)} → ${Math.round(s.bottom)}]` : ''})`);
}

/** How a journey is driven: by mouse (click, fill) or by keyboard alone (Tab, Shift+Tab, Enter, typing). */
export type Input = 'mouse' | 'keyboard';

/** What has the keyboard focus, described for tests. */
interface Focused {
  readonly tag: string;
  readonly role: string;
  readonly name: string;
  readonly inNewestCard: boolean;
  readonly sendBox: boolean;
  readonly tab: string;
  /** The transcript itself (Web Chat's chat history), not an element inside a card. */
  readonly transcript: boolean;
}

/**
 * One conversation in the page as one user (or the helpdesk agent in the helpdesk pane): presses buttons, fills fields,
 * types messages, waits for the bot's next card, and after every step checks the viewport and saves a screenshot.
 */
export class PageChat {
  private readonly codesUsed = new Set<string>();
  private step = 0;
  /** The pane this chat drives: the user's chat or the helpdesk channel. */
  private pane: 'chat' | 'helpdesk' = 'chat';

  constructor(
    readonly page: Page,
    readonly lang: Locale,
    readonly input: Input,
    private readonly b: TestBrowser,
    readonly name: string,
  ) {}

  private host(): Locator {
    return this.page.locator(this.pane === 'chat' ? '#webchat-host' : '#helpdesk-host');
  }

  cards(): Locator {
    return this.host().locator('.ac-adaptiveCard');
  }

  newest(): Locator {
    return this.cards().last();
  }

  async count(): Promise<number> {
    return this.cards().count();
  }

  /** Bot messages (bubbles without a card) showing `text`. */
  private bubbles(text: string | RegExp): Locator {
    return this.host().locator('.webchat__bubble').filter({ hasText: text }).filter({ hasNot: this.page.locator('.ac-adaptiveCard') });
  }

  /** Where the conversation stands before a step: cards so far (and bubbles showing `text`). */
  private async mark(text: string | RegExp): Promise<{ cards: number; bubbles: number }> {
    return { cards: await this.cards().count(), bubbles: await this.bubbles(text).count() };
  }

  /**
   * Waits for a card at index ≥ `from` showing `text` — or, when the bot answered with a plain message, a new bubble
   * showing it — and returns it.
   */
  async after(from: number | { cards: number; bubbles: number }, text: string | RegExp, timeoutMs = STEP_TIMEOUT_MS): Promise<Locator> {
    const start = typeof from === 'number' ? { cards: from, bubbles: Infinity } : from;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = await this.cards().count();
      for (let i = n - 1; i >= start.cards; i--) {
        const c = this.cards().nth(i);
        if ((await c.filter({ hasText: text }).count()) > 0) return c;
      }
      if ((await this.bubbles(text).count()) > start.bubbles) return this.bubbles(text).last();
      if (Date.now() > deadline) throw new Error(`no new card or message showing ${String(text)} (cards: ${n}, from ${start.cards})`);
      await this.page.waitForTimeout(100);
    }
  }

  /** Waits for a bot message (bubble or card) showing `text`. */
  async message(text: string | RegExp): Promise<Locator> {
    const m = this.host().locator('.webchat__bubble').filter({ hasText: text }).last();
    await m.waitFor({ timeout: STEP_TIMEOUT_MS });
    return m;
  }

  // ---- focus -------------------------------------------------------------------------------------------------

  async focused(): Promise<Focused> {
    return this.page.evaluate((hostSel) => {
      const e = document.activeElement as HTMLElement | null;
      const cards = document.querySelectorAll(`${hostSel} .ac-adaptiveCard`);
      const newest = cards[cards.length - 1];
      const labelledBy = e?.getAttribute('aria-labelledby');
      const label = e?.getAttribute('aria-label') ?? (labelledBy ? (document.getElementById(labelledBy.split(' ')[0] ?? '')?.textContent ?? '') : '');
      return {
        tag: e?.tagName.toLowerCase() ?? '',
        role: e?.getAttribute('role') ?? (e?.tagName === 'BUTTON' ? 'button' : e?.tagName === 'INPUT' ? 'textbox' : ''),
        name: (label || e?.textContent || '').replace(/\s*\*$/, '').trim(),
        inNewestCard: !!newest && !!e && newest.contains(e),
        sendBox: e?.getAttribute('data-id') === 'webchat-sendbox-input',
        tab: e?.getAttribute('role') === 'tab' ? e.id : '',
        transcript: !!e?.closest(`${hostSel} .webchat__basic-transcript`) && !e?.closest('.ac-adaptiveCard'),
      };
    }, this.pane === 'chat' ? '#webchat-host' : '#helpdesk-host');
  }

  /** Presses Tab (or Shift+Tab) until the focused element matches; fails with the path it took. */
  async tabUntil(match: (f: Focused) => boolean, what: string, opts: { shift?: boolean; max?: number } = {}): Promise<void> {
    const path: string[] = [];
    for (let i = 0; i <= (opts.max ?? 60); i++) {
      const f = await this.focused();
      if (match(f)) return;
      path.push(`${f.tag}[${f.role}${f.inNewestCard ? ' newest card' : ''}] "${f.name.slice(0, 30)}"`);
      await this.page.keyboard.press(opts.shift ? 'Shift+Tab' : 'Tab');
    }
    throw new Error(`${this.name}: Tab never reached ${what}; focus went: ${path.slice(-25).join(' → ')}`);
  }

  /**
   * From outside the newest card (the page's tabs, the send box): Tab to the chat history, Enter goes into its newest
   * message (Web Chat's transcript keyboard model), as a keyboard user does when a card arrived on its own.
   */
  async intoNewestCard(): Promise<void> {
    if ((await this.focused()).inNewestCard) return;
    await this.tabUntil((f) => f.transcript, 'the chat history');
    await this.page.keyboard.press('Enter');
    await this.expectFocusOnNewestCard('entering the newest card');
  }

  /** Item 6: after a submit the focus is on the bot's new card (its first field or button). */
  async expectFocusOnNewestCard(what: string): Promise<void> {
    // 10 s, not less: on a machine at load 20 the browser itself needs seconds to render and focus; a focus that
    // never arrives still fails.
    const deadline = Date.now() + 10_000;
    let f = await this.focused();
    while (!f.inNewestCard && Date.now() < deadline) {
      await this.page.waitForTimeout(50);
      f = await this.focused();
    }
    if (!f.inNewestCard) throw new Error(`${this.name} / ${what}: the focus is not on the new card but on ${f.tag}[${f.role}] "${f.name}"`);
  }

  /**
   * What the user is about to use is wholly in view where it is. By keyboard it was reached with Tab (the browser
   * shows the focused element); by mouse, on a card taller than the chat, the user scrolls the chat with the wheel —
   * the only scrolling the test does, and only within the newest card.
   */
  private async expectUsable(el: Locator, what: string): Promise<void> {
    await el.waitFor({ timeout: STEP_TIMEOUT_MS });
    let p = await placement(el);
    if (!wholly(p) && this.input === 'mouse') {
      const card = await placement(this.newest());
      if (card.scroller && card.box.height > card.scroller.height) {
        await this.page.mouse.move(card.box.left + 10, Math.max(card.scroller.top, 0) + card.scroller.height / 2);
        for (let i = 0; i < 20 && !wholly(p); i++) {
          await this.page.mouse.wheel(0, p.box.top > card.scroller.top ? 120 : -120);
          await this.page.waitForTimeout(60);
          p = await placement(el);
        }
      }
    }
    if (!wholly(p)) throw new Error(`${this.name}: ${what} is not inside the viewport (${describe(p)})`);
  }

  // ---- steps ---------------------------------------------------------------------------------------------------

  /** Types a message into the send box and sends it; returns the bot's answer card showing `expect`. */
  async say(text: string, expect: string | RegExp, what = text): Promise<Locator> {
    const from = await this.mark(expect);
    const box = this.host().locator('[data-id="webchat-sendbox-input"]');
    if (this.input === 'mouse') {
      await box.fill(text);
      await box.press('Enter');
    } else {
      if (!(await this.focused()).sendBox) await this.tabUntil((f) => f.sendBox, 'the send box');
      await this.page.keyboard.type(text);
      await this.page.keyboard.press('Enter');
    }
    const card = await this.after(from, expect);
    if (this.input === 'keyboard' && (await this.cards().count()) > from.cards) await this.expectFocusOnNewestCard(what);
    await this.checkpoint(what, card);
    return card;
  }

  /** Fills a field of the newest card (by its label). */
  async fill(label: string | RegExp, value: string): Promise<void> {
    const field = this.newest().getByRole('textbox', { name: label, exact: typeof label === 'string' });
    if (this.input === 'mouse') {
      await this.expectUsable(field, `the field ${String(label)}`);
      await field.fill(value);
      return;
    }
    const wanted = await field.evaluate((e) => e.id);
    const reach = async (shift: boolean): Promise<boolean> => {
      for (let i = 0; i < 30; i++) {
        if ((await this.page.evaluate(() => document.activeElement?.id ?? '')) === wanted) return true;
        const f = await this.focused();
        if (!f.inNewestCard && i > 0) return false;
        await this.page.keyboard.press(shift ? 'Shift+Tab' : 'Tab');
      }
      return false;
    };
    if (!(await reach(false)) && !(await reach(true))) throw new Error(`${this.name}: Tab never reached the field ${String(label)}`);
    await this.expectUsable(field, `the field ${String(label)}`);
    await this.page.keyboard.press('Control+A');
    await this.page.keyboard.type(value);
  }

  /** Presses a button of the newest card and returns the bot's next card showing `expect`. */
  async press(button: string | RegExp, expect: string | RegExp, what = String(button)): Promise<Locator> {
    const from = await this.mark(expect);
    const card = this.newest();
    const target = card.getByRole('button', { name: button, exact: typeof button === 'string' }).first();
    if (this.input === 'mouse') {
      await this.expectUsable(target, `the button ${String(button)}`);
      await target.click();
    } else {
      await target.waitFor({ timeout: STEP_TIMEOUT_MS });
      const name = (await target.getAttribute('aria-label')) ?? (await target.innerText());
      await this.intoNewestCard();
      await this.tabUntil((f) => f.inNewestCard && f.role === 'button' && f.name === name, `the button "${name}"`);
      await this.expectUsable(target, `the button ${String(button)}`);
      await this.page.keyboard.press('Enter');
    }
    const next = await this.after(from, expect);
    if (this.input === 'keyboard' && (await this.cards().count()) > from.cards) await this.expectFocusOnNewestCard(what);
    await this.checkpoint(what, next);
    return next;
  }

  /** Switches between the user's chat and the helpdesk pane with the page's tabs (keyboard: Tab to them, arrows). */
  async showPane(pane: 'chat' | 'helpdesk'): Promise<void> {
    const id = pane === 'chat' ? 'tab-chat' : 'tab-helpdesk';
    if (this.input === 'mouse') await this.page.locator(`#${id}`).click();
    else {
      await this.tabUntil((f) => f.tab !== '', 'the conversation tabs', { shift: true, max: 80 });
      if ((await this.focused()).tab !== id) await this.page.keyboard.press(pane === 'chat' ? 'ArrowLeft' : 'ArrowRight');
    }
    await this.page.locator(`#${id}[aria-selected="true"]`).waitFor();
    this.pane = pane;
    if (pane === 'helpdesk') await this.page.locator('#helpdesk-host[data-user] [data-id="webchat-sendbox-input"]').waitFor({ timeout: STEP_TIMEOUT_MS });
  }

  /**
   * Presses a card button that opens a dialog page in the page's overlay (Teams task/fetch); checks the overlay is in
   * the viewport and returns the key the authenticator page shows (R35: only there).
   */
  async openDialogWith(button: string, what: string): Promise<string> {
    const target = this.newest().getByRole('button', { name: button, exact: true });
    if (this.input === 'mouse') {
      await this.expectUsable(target, `the button ${button}`);
      await target.click();
    } else {
      await this.intoNewestCard();
      await this.tabUntil((f) => f.inNewestCard && f.role === 'button' && f.name === button, `the button "${button}"`);
      await this.page.keyboard.press('Enter');
    }
    const key = this.page.frameLocator('#dialog-frame').locator('#key');
    await key.filter({ hasText: /[A-Z2-7]{4}/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const dialog = this.page.locator('#dialog');
    const p = await placement(dialog);
    if (!wholly(p)) throw new Error(`${this.name} / ${what}: the dialog is not inside the viewport (${describe(p)})`);
    this.step++;
    await this.b.screenshot(this.page, `${this.name}-${String(this.step).padStart(2, '0')}`, { fullPage: false });
    return (await key.innerText()).trim();
  }

  /** Types the app's first code into the dialog page and confirms (keyboard: the code field has the focus; Enter). */
  async confirmInDialog(code: string, what: string): Promise<void> {
    const frame = this.page.frameLocator('#dialog-frame');
    if (this.input === 'mouse') {
      await frame.locator('#code').fill(code);
      await frame.locator('#confirm').click();
    } else {
      await frame.locator('#code:focus').waitFor({ timeout: STEP_TIMEOUT_MS });
      await this.page.keyboard.type(code);
      await this.page.keyboard.press('Enter');
    }
    await this.page.locator('#dialog-backdrop').waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
    // Back in the chat: the set-up card (the newest card) is where the user goes on.
    await this.checkpoint(what, this.newest());
  }

  // ---- outbox --------------------------------------------------------------------------------------------------

  /** Reads the newest code sent to `to` from the page's outbox (the page polls every 2 s) and checks it is in view. */
  async codeFromOutbox(to: string, what: string): Promise<string> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const entry = this.page.locator('#outbox li.newest');
      if ((await entry.count()) > 0 && (await entry.innerText()).includes(to)) {
        const text = await entry.locator('pre').innerText();
        // SMS/e-mail: 6 digits together; a voice call reads them out one by one ("4, 5, 8, …").
        const code = (/\b\d{6}\b/.exec(text)?.[0] ?? /\d(?:[ ,.-]{0,2}\d){5}/.exec(text)?.[0] ?? '').replace(/\D/g, '');
        if (code.length === 6 && !this.codesUsed.has(code)) {
          this.codesUsed.add(code);
          const p = await placement(entry);
          if (!wholly(p)) throw new Error(`${this.name} / ${what}: the outbox entry with the code is not inside the viewport (${describe(p)})`);
          return code;
        }
      }
      if (Date.now() > deadline) throw new Error(`${this.name}: no new code for ${to} at the top of the outbox: ${await this.page.locator('#outbox').innerText()}`);
      await this.page.waitForTimeout(150);
    }
  }

  // ---- checks and screenshots ------------------------------------------------------------------------------------

  /** After every step: the page did not grow, the newest card (and what it needs next) is in view; a screenshot. */
  async checkpoint(what: string, card: Locator): Promise<void> {
    const height = await this.page.evaluate(() => document.documentElement.scrollHeight - window.innerHeight);
    if (height > SLACK) throw new Error(`${this.name} / ${what}: the page grew ${height}px beyond the window`);
    // Web Chat scrolls the new activity into view with an animation: judge once the card stopped moving.
    await settled(card);
    await expectCardInView(card, `${this.name} / ${what}`);
    // And the newest card of all is this one or in view too (a card that arrived after it must not be out of sight).
    const newest = this.newest();
    if ((await newest.count()) > 0) await expectCardInView(newest, `${this.name} / ${what} (newest card)`);
    this.step++;
    await this.b.screenshot(this.page, `${this.name}-${String(this.step).padStart(2, '0')}`, { fullPage: false });
  }

  /** Whether the journey already saved its final screenshot. */
  finalTaken = false;

  /** The last screenshot of a journey, small, as <name>.png for the docs (see docsScreenshotsDir). */
  async finalScreenshot(): Promise<void> {
    this.finalTaken = true;
    const shot = await this.b.screenshot(this.page, `${this.name}-final`, { fullPage: false });
    // 60 %, smoothed: readable, a fraction of the bytes.
    writeFileSync(join(docsScreenshotsDir(), `${this.name}.png`), shrinkPng(readFileSync(shot), 0.6));
  }

  async transcript(chars = 2500): Promise<string> {
    return (await this.host().innerText()).slice(-chars);
  }
}

/** Scales a PNG down by `factor` (area-averaged), written with the strongest compression. */
export function shrinkPng(data: Buffer, factor: number): Buffer {
  const src = PNG.sync.read(data);
  const w = Math.max(1, Math.round(src.width * factor));
  const h = Math.max(1, Math.round(src.height * factor));
  const out = new PNG({ width: w, height: h });
  const sx = src.width / w;
  const sy = src.height / h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor(x * sx);
      const y0 = Math.floor(y * sy);
      const x1 = Math.max(x0 + 1, Math.floor((x + 1) * sx));
      const y1 = Math.max(y0 + 1, Math.floor((y + 1) * sy));
      const sum = [0, 0, 0, 0];
      for (let yy = y0; yy < y1; yy++)
        for (let xx = x0; xx < x1; xx++) {
          const i = (yy * src.width + xx) * 4;
          for (let c = 0; c < 4; c++) sum[c]! += src.data[i + c]!;
        }
      const n = (x1 - x0) * (y1 - y0);
      const o = (y * w + x) * 4;
      // Quantised to 5 bits a channel: fewer distinct colours, far better compression, no visible loss.
      for (let c = 0; c < 4; c++) out.data[o + c] = c === 3 ? 255 : Math.min(255, Math.round(sum[c]! / n / 8) * 8);
    }
  }
  return PNG.sync.write(out, { deflateLevel: 9, colorType: 2 });
}

export { ARTIFACTS_DIR };
