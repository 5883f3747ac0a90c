import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../support/browser';
import { DEMO_USERS, startDevChannelServer, type DevChannelHarness } from './devChannelHarness';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildWeb } = require('../../scripts/buildWeb.js') as { buildWeb(o: { outDir: string; logLevel?: string }): Promise<unknown> };

const SEND_BOX = '[data-id="webchat-sendbox-input"]';

async function say(page: Page, text: string): Promise<void> {
  const box = page.locator(SEND_BOX);
  await box.fill(text);
  await box.press('Enter');
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for a bot bubble with exactly this text (Web Chat also renders screen-reader copies; the bubble is a <p>). */
async function botSaid(page: Page, text: string, timeout = 15_000): Promise<void> {
  await page.locator('.webchat__bubble p', { hasText: text }).first().waitFor({ timeout });
}

describe('development chat page in a real browser (Web Chat from node_modules, polling Direct Line)', () => {
  let h: DevChannelHarness;
  let b: TestBrowser;
  let page: Page;
  let webRoot: string;
  const [ada, piet] = [DEMO_USERS[0]!, DEMO_USERS[1]!];

  beforeAll(async () => {
    webRoot = mkdtempSync(join(tmpdir(), 'sspr-web-'));
    await buildWeb({ outDir: webRoot, logLevel: 'error' });
    h = await startDevChannelServer({ webRoot });
    b = await launchBrowser();
    page = await b.newPage();
    const response = await page.goto(`${h.baseUrl}/`);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await h?.close();
    if (webRoot) rmSync(webRoot, { recursive: true, force: true });
  });

  test('the page greets as the chosen demo user and the echo bot answers a typed message (R1/R2 identity: personal chat, aadObjectId, tenant)', async () => {
    await botSaid(page, `welcome ${ada.name}`, 20_000);
    await say(page, 'hello from the browser');
    await botSaid(page, `echo: hello from the browser (msteams, en-US, personal, ${ada.tenantId}, ${ada.objectId})`);
  });

  test('an Adaptive Card is rendered by Web Chat, its submit reaches the bot, and a card update replaces it in place', async () => {
    await say(page, 'card');
    const card = page.locator('.ac-adaptiveCard').filter({ hasText: 'Status: pending' }).last();
    await card.waitFor({ timeout: 15_000 });
    await card.getByRole('textbox', { name: /Nickname/ }).fill('ada');
    await card.getByRole('button', { name: 'Send nickname' }).click();
    await botSaid(page, 'got nickname ada');

    const cardsBefore = await page.locator('.ac-adaptiveCard').count();
    await say(page, 'update');
    await page.locator('.ac-adaptiveCard').filter({ hasText: 'Status: done' }).waitFor({ timeout: 15_000 });
    // The update replaced the pending version: one more card in the transcript, not two.
    await waitUntil(async () => (await page.locator('.ac-adaptiveCard').count()) === cardsBefore + 1, 'one card per activity id');
    expect(await page.locator('.ac-adaptiveCard').count()).toBe(cardsBefore + 1);
    await b.screenshot(page, 'devchat-echo-and-card');
  });

  test('the dev outbox shows what the bot "sent" (polled every 2 s)', async () => {
    await say(page, 'send code');
    await page.locator('#outbox').getByText('Your code is 123456').waitFor({ timeout: 15_000 });
  });

  test('switching user and language starts a new conversation the bot sees in Dutch as the other user', async () => {
    await page.getByLabel('Demo user').selectOption({ label: piet.name });
    await page.locator(`#webchat-host[data-user="${piet.objectId}"][data-locale="en-US"]`).waitFor({ timeout: 10_000 });
    await botSaid(page, `welcome ${piet.name}`);
    await page.getByLabel('Language').selectOption('nl');
    await page.locator(`#webchat-host[data-user="${piet.objectId}"][data-locale="nl-NL"]`).waitFor({ timeout: 10_000 });
    await page.getByLabel('Demogebruiker').waitFor({ timeout: 10_000 });
    await botSaid(page, `welcome ${piet.name}`);
    await say(page, 'hallo');
    await botSaid(page, `echo: hallo (msteams, nl-NL, personal, ${piet.tenantId}, ${piet.objectId})`);
    expect(await page.locator('html').getAttribute('lang')).toBe('nl');
    await b.screenshot(page, 'devchat-dutch');
  });

  test('window.devHost.openDialog shows a same-origin page in a modal overlay; Escape closes it and focus returns', async () => {
    await page.getByLabel('Taal').focus();
    await page.evaluate(() => (window as unknown as { devHost: { openDialog(u: string, t: string): void } }).devHost.openDialog('/devchat/devchat.css', 'Test dialog'));
    const dialog = page.getByRole('dialog', { name: 'Test dialog' });
    await dialog.waitFor({ timeout: 5_000 });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('dialog-close');
    expect(await page.locator('#dialog-frame').getAttribute('src')).toBe(`${h.baseUrl}/devchat/devchat.css`);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden', timeout: 5_000 });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('language-select');
  });

  test('a card button with msteams task/fetch sends an invoke and the bot\'s dialog opens in the overlay', async () => {
    await say(page, 'taskcard');
    const card = page.locator('.ac-adaptiveCard').filter({ hasText: 'Dialog card' }).last();
    await card.waitFor({ timeout: 15_000 });
    await card.getByRole('button', { name: 'Open dialog' }).click();
    const dialog = page.getByRole('dialog', { name: 'Opened by the bot' });
    await dialog.waitFor({ timeout: 10_000 });
    await b.screenshot(page, 'devchat-dialog-overlay');
    // The page behind the overlay is inert while it is open.
    expect(await page.locator('main').evaluate((e) => (e as HTMLElement).inert)).toBe(true);
    await dialog.getByRole('button', { name: 'Sluiten' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 5_000 });
    expect(await page.locator('main').evaluate((e) => (e as HTMLElement).inert)).toBe(false);
  });

  test('nothing on the page broke the CSP or threw', () => {
    expect(b.errors.filter((e) => /Content Security Policy|Refused to|Uncaught/i.test(e))).toEqual([]);
  });
});
