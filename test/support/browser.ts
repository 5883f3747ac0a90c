import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (installed by test/support/globalSetup.js); playwright-core never downloads a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Where screenshots go (gitignored). */
export const ARTIFACTS_DIR = resolve(__dirname, '..', '..', 'test-artifacts');

/** The committed screenshots the README and docs link to; only `npm run screenshots` writes them. */
export const DOCS_SCREENSHOTS_DIR = resolve(__dirname, '..', '..', 'docs', 'screenshots');

/**
 * Where a test puts a screenshot meant for the docs: docs/screenshots/ when `npm run screenshots` runs it
 * (SSPR_REFRESH_DOCS_SCREENSHOTS=1), otherwise test-artifacts/docs-screenshots/, so an ordinary test run leaves the
 * tracked files alone. The directory exists when this returns.
 */
export function docsScreenshotsDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.SSPR_REFRESH_DOCS_SCREENSHOTS === '1' ? DOCS_SCREENSHOTS_DIR : join(ARTIFACTS_DIR, 'docs-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface TestBrowser {
  /** A persistent context on a fresh profile directory (Playwright's way of passing --user-data-dir). */
  readonly context: BrowserContext;
  /** Console errors and page errors seen so far (a test can assert there were none). */
  readonly errors: string[];
  /** Every request a page made to anything but this machine (the test machines have no internet). */
  readonly requestsOffThisMachine: string[];
  newPage(): Promise<Page>;
  /** Saves a screenshot (full page unless told) as test-artifacts/<name>.png and returns its path. */
  screenshot(page: Page, name: string, opts?: { fullPage?: boolean }): Promise<string>;
  close(): Promise<void>;
}

/**
 * Launches headless Debian chromium with the flags that work on these machines and a fresh profile directory
 * (removed on close). Close it in afterAll.
 */
export async function launchBrowser(opts: { locale?: string; viewport?: { width: number; height: number } } = {}): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'sspr-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    locale: opts.locale ?? 'en-US',
    viewport: opts.viewport ?? { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const errors: string[] = [];
  const requestsOffThisMachine: string[] = [];
  const watch = (page: Page): void => {
    page.on('request', (req) => {
      const url = req.url();
      if (/^https?:/i.test(url) && !/^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?\//i.test(url)) requestsOffThisMachine.push(url);
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(String(err)));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return {
    context,
    errors,
    requestsOffThisMachine,
    newPage: () => context.newPage(),
    screenshot: async (page, name, opts) => {
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      const path = join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: opts?.fullPage ?? true });
      return path;
    },
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
