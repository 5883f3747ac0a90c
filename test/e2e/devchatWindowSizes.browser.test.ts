/**
 * The local chat page from the user's seat at the two window sizes people bring (a 1280×800 laptop and a small
 * 800×600 window), in English and in Dutch, against the real app (development defaults): the newest card's buttons
 * are on screen without scrolling, and the demo-user picker says each user's states once and is not cut off.
 *
 * Before the fix at 800×600 the outbox kept a fixed 18.5rem and the header three rows, so the chat showed 80 px: of
 * the welcome card only its last row of buttons. The picker read "Adele Vance (admin) — admin, no methods yet",
 * cut off after "no method" at 800 px.
 */
import type { Page } from 'playwright-core';
import { startApp, type RunningApp } from '../support/appHarness';
import { launchBrowser, type TestBrowser } from '../support/browser';
import { t, type Locale } from '../../locales';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildWeb } = require('../../scripts/buildWeb.js') as { buildWeb(o?: { logLevel?: string }): Promise<unknown> };

const TENANT = '00000000-0000-0000-0000-000000000001';
const LIDIA = 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21';
const SIZES = [
  { width: 1280, height: 800 },
  { width: 800, height: 600 },
] as const;

interface Box {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

describe('the local chat page at 1280×800 and 800×600, in English and Dutch (user seat)', () => {
  let run: RunningApp;
  let b: TestBrowser;

  beforeAll(async () => {
    await buildWeb({ logLevel: 'error' });
    run = await startApp({ SSPR_MODE: 'development', LOG_LEVEL: 'warn', CAMPAIGNS_IN_PROCESS: 'false' });
    b = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await run?.close();
  });

  async function open(size: { width: number; height: number }, lang: Locale, user?: string): Promise<Page> {
    const page = await b.newPage();
    await page.setViewportSize(size);
    await page.goto(`${run.baseUrl}/`);
    await page.locator('#webchat-host[data-user]').waitFor({ timeout: 20_000 });
    if ((await page.locator('html').getAttribute('lang')) !== lang) {
      await page.locator('#language-select').selectOption(lang);
      await page.locator(`html[lang="${lang}"]`).waitFor();
    }
    if (user) {
      await page.locator('#user-select').selectOption({ value: `${TENANT}/${user}` });
      await page.locator(`#webchat-host[data-user="${user}"][data-locale="${lang === 'nl' ? 'nl-NL' : 'en-US'}"]`).waitFor({ timeout: 10_000 });
    }
    return page;
  }

  for (const size of SIZES)
    for (const lang of ['en', 'nl'] as const) {
      const tag = `${size.width}×${size.height} ${lang}`;

      test(`issue 11 item 1 (${tag}): every button of the newest card and the send box are on screen, the chat keeps most of the window`, async () => {
        const page = await open(size, lang, LIDIA);
        const welcome = page.locator('#webchat-host .ac-adaptiveCard').filter({ hasText: t(lang, 'menu.reset') }).last();
        await welcome.waitFor({ timeout: 15_000 });
        // Web Chat scrolls the new card into view with an animation: judge once nothing moves.
        await page.waitForTimeout(1200);
        const seen = await welcome.evaluate((card) => {
          const clipOf = (e: Element): { top: number; bottom: number; left: number; right: number } => {
            let c = { top: 0, left: 0, bottom: window.innerHeight, right: window.innerWidth };
            for (let p = e.parentElement; p; p = p.parentElement) {
              const s = getComputedStyle(p);
              if (!/(auto|scroll|hidden|clip)/.test(`${s.overflowY} ${s.overflowX}`)) continue;
              const r = p.getBoundingClientRect();
              c = { top: Math.max(c.top, r.top), left: Math.max(c.left, r.left), bottom: Math.min(c.bottom, r.bottom), right: Math.min(c.right, r.right) };
            }
            return c;
          };
          const clip = clipOf(card);
          const buttons = Array.from(card.querySelectorAll('button')).map((btn) => {
            const r = btn.getBoundingClientRect();
            return { name: btn.textContent ?? '', top: r.top, bottom: r.bottom, left: r.left, right: r.right };
          });
          const send = document.querySelector('#webchat-host [data-id="webchat-sendbox-input"]')!.getBoundingClientRect();
          const history = document.querySelector('#webchat-host .webchat__basic-transcript__scrollable')!.getBoundingClientRect();
          return { clip, buttons, send: { top: send.top, bottom: send.bottom, left: send.left, right: send.right }, historyHeight: history.height };
        });
        const inside = (r: Box, c: Box): boolean => r.top >= c.top - 1 && r.bottom <= c.bottom + 1 && r.left >= c.left - 1 && r.right <= c.right + 1;
        expect(seen.buttons.length).toBeGreaterThanOrEqual(4);
        expect(seen.buttons.filter((btn) => !inside(btn, seen.clip)).map((btn) => btn.name)).toEqual([]);
        expect(inside(seen.send, { top: 0, left: 0, bottom: size.height, right: size.width })).toBe(true);
        // The visible chat history is at least a third of the window's height (it was 80 px of 600).
        expect(seen.historyHeight).toBeGreaterThanOrEqual(size.height / 3);
        expect(await page.evaluate(() => document.documentElement.scrollHeight)).toBeLessThanOrEqual(size.height);
        await b.screenshot(page, `devchat-welcome-${size.width}x${size.height}-${lang}`, { fullPage: false });
        await page.close();
      }, 60_000);

      test(`issue 11 item 1 (${tag}): the picker names each state once, and every user's line fits the field`, async () => {
        const page = await open(size, lang);
        const lines = await page.locator('#user-select').evaluate((select: HTMLSelectElement) => {
          // Chromium sizes a free <select> to its widest option; the page's layout may give it less. Each user in turn
          // is the only option of a free copy, so its natural width is the room that line needs.
          const room = select.getBoundingClientRect().width;
          return Array.from(select.options).map((o) => {
            const probe = select.cloneNode(false) as HTMLSelectElement;
            probe.id = '';
            probe.style.cssText = 'position:absolute;visibility:hidden;width:auto;max-width:none;min-width:0;flex:none';
            probe.append(o.cloneNode(true));
            select.parentElement!.append(probe);
            const width = probe.getBoundingClientRect().width;
            probe.remove();
            return { text: o.text, width, room };
          });
        });
        expect(lines).toHaveLength(6);
        const repeated = lines.filter((l) => {
          const words = l.text.toLowerCase().match(/\p{L}{3,}/gu) ?? [];
          return new Set(words).size !== words.length;
        });
        expect(repeated.map((l) => l.text)).toEqual([]);
        expect(lines.filter((l) => l.width > l.room).map((l) => `${l.text} (${Math.round(l.width)} px in ${Math.round(l.room)} px)`)).toEqual([]);
        await page.close();
      }, 60_000);
    }

  for (const lang of ['en', 'nl'] as const)
    test(`issue 11 item 1 (800×600 ${lang}): in the helpdesk pane the agent's status card is wholly on screen after a hand-off`, async () => {
      const page = await open({ width: 800, height: 600 }, lang, LIDIA);
      await page.locator('#webchat-host .ac-adaptiveCard').first().waitFor({ timeout: 15_000 });
      await page.locator('#tab-helpdesk').click();
      const box = page.locator('#helpdesk-host[data-user] [data-id="webchat-sendbox-input"]');
      await box.waitFor({ timeout: 15_000 });
      await box.fill('handoff lidia.holloway@contoso.example reset INC-600');
      await box.press('Enter');
      const status = page.locator('#helpdesk-host .ac-adaptiveCard').filter({ hasText: 'INC-600' }).last();
      await status.waitFor({ timeout: 15_000 });
      expect(await status.innerText()).toContain(t(lang, 'helpdesk.status.title'));
      await page.waitForTimeout(1200);
      const where = await status.evaluate((card) => {
        const r = card.getBoundingClientRect();
        const s = card.closest('.webchat__basic-transcript__scrollable')!.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, scrollerTop: s.top, scrollerBottom: s.bottom };
      });
      expect(where.top).toBeGreaterThanOrEqual(where.scrollerTop - 1);
      expect(where.bottom).toBeLessThanOrEqual(where.scrollerBottom + 1);
      // What to type stays on screen.
      expect(await page.locator('#helpdesk-example').isVisible()).toBe(true);
      await b.screenshot(page, `devchat-helpdesk-800x600-${lang}`, { fullPage: false });
      await page.close();
    }, 60_000);

  for (const size of SIZES)
    test(`issue 11 item 6 (${size.width}×${size.height}): the focus ring of the newest card's focused button is wholly visible, not clipped to a bar`, async () => {
      const page = await open(size, 'en', LIDIA);
      await page.locator('#webchat-host .ac-adaptiveCard').first().waitFor({ timeout: 15_000 });
      // By keyboard, as the page moves the focus: type into the send box, the bot's next card gets the focus.
      const send = page.locator('#webchat-host [data-id="webchat-sendbox-input"]');
      await send.focus();
      await page.keyboard.type('unlock my account');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.activeElement?.closest('.ac-adaptiveCard') && document.activeElement.tagName === 'BUTTON', undefined, { timeout: 15_000 });
      await page.waitForTimeout(800);
      const ring = await page.evaluate(() => {
        const e = document.activeElement as HTMLElement;
        const s = getComputedStyle(e);
        const grow = parseFloat(s.outlineOffset) + parseFloat(s.outlineWidth);
        const r = e.getBoundingClientRect();
        const box = { top: r.top - grow, left: r.left - grow, bottom: r.bottom + grow, right: r.right + grow };
        const clipped: string[] = [];
        for (let p = e.parentElement; p; p = p.parentElement) {
          const ps = getComputedStyle(p);
          if (!/(auto|scroll|hidden|clip)/.test(`${ps.overflowX} ${ps.overflowY}`)) continue;
          const c = p.getBoundingClientRect();
          if (box.top < c.top - 0.5 || box.left < c.left - 0.5 || box.bottom > c.bottom + 0.5 || box.right > c.right + 0.5) clipped.push(p.className || p.tagName);
        }
        return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), clipped };
      });
      expect(ring.style).not.toBe('none');
      expect(ring.width).toBeGreaterThanOrEqual(2);
      expect(ring.clipped).toEqual([]);
      await b.screenshot(page, `devchat-focus-${size.width}x${size.height}`, { fullPage: false });
      await page.close();
    }, 60_000);
});
