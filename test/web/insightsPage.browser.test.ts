/**
 * The Insights page (issue 14 acceptance 2) in a real browser (Debian chromium, playwright-core) against the real app
 * in development mode: the demo admin (Adele, in the demo directory's admin group) sees the charts of a scripted week,
 * downloads the CSV and reads the page in Dutch; a non-admin is refused. Screenshots go to test-artifacts/docs-screenshots/
 * (docs/screenshots/ with `npm run screenshots`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startApp, type RunningApp } from '../support/appHarness';
import { docsScreenshotsDir, launchBrowser, type TestBrowser } from '../support/browser';
import { FixedClock } from '../support/fixedClock';
import { MEGAN } from '../api/pagesRig';
import { DEMO_TENANT } from '../support/activities';
import { scriptedWeek, WEEK_START } from '../insights/insightsWeek';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildWeb } = require('../../scripts/buildWeb.js') as { buildWeb: (o?: { logLevel?: string }) => Promise<unknown> };

jest.setTimeout(90_000);

const ADELE = `${DEMO_TENANT}:a1f0e0c4-5d2b-4a8e-b0f3-9c6d2e7f1b33`;
const RANGE = 'from=2026-11-16&to=2026-11-22';

describe('Insights page in a real browser (issue 14 acceptance 2)', () => {
  let running: RunningApp;
  let browser: TestBrowser;
  const clock = new FixedClock(WEEK_START);

  beforeAll(async () => {
    await buildWeb({ logLevel: 'error' });
    running = await startApp({ SSPR_MODE: 'development' }, { services: { clock } });
    for (const { at, event } of scriptedWeek()
      .flat()
      .sort((a, b) => a.at - b.at)) {
      clock.set(at);
      await running.app.services.audit.record(event);
    }
    await running.app.insights.settled();
    clock.set(WEEK_START + 7 * 86_400_000 + 3_600_000);
    // Megan has registered an e-mail address and a phone (enough for the default policy of two methods).
    const now = clock.now();
    for (const kind of ['email', 'mobilePhone'] as const)
      await running.app.services.security.methods.save(MEGAN, {
        method: { id: kind, kind, maskedDestination: kind === 'email' ? 'm•••@fabrikam.example' : '•••••••••78', confirmedAt: now, lastUsedAt: null, createdAt: now, source: 'user', channels: kind === 'email' ? ['email'] : ['sms', 'voice'] },
        secrets: { destination: kind === 'email' ? 'megan.bowen@fabrikam.example' : '+31612345678' },
      });
    await running.app.insights.refreshCoverage();
    browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await running?.close();
  });

  const open = async (user: string, locale: 'en' | 'nl'): Promise<Page> => {
    const page = await browser.newPage();
    await page.goto(`${running.baseUrl}/app/insights/?${RANGE}&locale=${locale}&devUser=${encodeURIComponent(user)}`);
    await page.locator('#status[data-state]').waitFor({ state: 'attached' });
    return page;
  };

  /** How many pixels of a canvas are not blank: a drawn chart has many. */
  const inked = (page: Page, id: string): Promise<number> =>
    page.locator(`#${id}`).evaluate((c) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n;
    });

  test('the demo admin sees every chart drawn with its table, and the CSV of the daily numbers', async () => {
    const page = await open(ADELE, 'en');
    expect(await page.locator('#status').getAttribute('data-state')).toBe('ready');
    await page.getByRole('heading', { name: 'Insights', level: 1 }).waitFor();
    const canvases = page.locator('canvas[role="img"]');
    expect(await canvases.count()).toBe(9);
    for (const id of ['chart-activity', 'chart-funnel', 'chart-sends', 'chart-where', 'chart-time', 'chart-coverage']) expect(await inked(page, id)).toBeGreaterThan(500);
    await page.getByRole('img', { name: 'Resets, unlocks and registrations per day' }).waitFor();

    // The table behind the first chart: one row per day, the week's numbers.
    const activity = page.locator('#card-activity');
    await activity.getByText('Show as table').click();
    const row = activity.getByRole('row', { name: /2026-11-18/ });
    expect(await row.locator('td').allTextContents()).toEqual(['3', '0', '0']);
    const funnel = page.locator('#card-funnel');
    await funnel.getByText('Show as table').click();
    expect(await funnel.getByRole('row', { name: /Started/ }).locator('td').allTextContents()).toEqual(['12', '2']);
    await expectText(page, '#card-time', 'Median: at most 150 seconds, over 11 finished resets.');
    await expectText(page, '#card-sends', 'Busiest hour: 2026-11-22 10:00 UTC, 30 sends, 30× the hourly baseline. Alerts: 1.');
    await expectText(page, '#card-coverage', '1 of 5 people in scope can reset themselves; 1 registered at least one method');
    await page.screenshot({ path: join(docsScreenshotsDir(), 'insights-admin-en.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('insights-2026-11-16-2026-11-22.csv');
    const text = readFileSync((await download.path()), 'utf8');
    const [header, ...rows] = text.trim().split(/\r\n/).map((l) => l.split(','));
    expect(header).toEqual(['day', 'resets', 'unlocks', 'registrations', 'blocks', 'throttles', 'sms', 'voice', 'email', 'phoneBaseline']);
    expect(rows.map((r) => r[0])).toEqual(['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22']);
    const col = (name: string): number[] => rows.map((r) => Number(r[header!.indexOf(name)]));
    expect(col('resets')).toEqual([1, 2, 3, 1, 1, 1, 2]);
    expect(col('sms')).toEqual([2, 2, 2, 2, 2, 2, 32]);
    expect(col('phoneBaseline')).toEqual([0, 0.29, 0.57, 0.86, 1.14, 1.43, 1.71]);
    // Outside Teams the page never loads teams-js: no fetch of its host list, no CSP error, no request off this machine.
    expect(browser.errors).toEqual([]);
    expect(browser.requestsOffThisMachine).toEqual([]);
    await page.close();
  });

  test('in Dutch: the labels, chart names and table headings', async () => {
    const page = await open(ADELE, 'nl');
    await page.getByRole('heading', { name: 'Inzichten', level: 1 }).waitFor();
    await page.getByRole('img', { name: 'Resets, ontgrendelingen en registraties per dag' }).waitFor();
    await page.getByRole('button', { name: 'Download CSV' }).waitFor();
    expect(await page.getByText('Tot en met').count()).toBe(1);
    const funnel = page.locator('#card-funnel');
    await funnel.getByText('Toon als tabel').click();
    expect(await funnel.getByRole('columnheader').allTextContents()).toEqual(['Stap', 'Reset', 'Ontgrendelen']);
    await expectText(page, '#card-time', 'Mediaan: hooguit 150 seconden, over 11 voltooide resets.');
    await page.screenshot({ path: join(docsScreenshotsDir(), 'insights-admin-nl.png'), fullPage: true });
    await page.close();
  });

  test('a non-admin is refused: no numbers, a plain explanation', async () => {
    const page = await open(`${MEGAN.tenantId}:${MEGAN.objectId}`, 'en');
    expect(await page.locator('#status').getAttribute('data-state')).toBe('refused');
    await page.getByText('This page is for administrators. Ask your IT department if you need it.').waitFor();
    expect(await page.locator('canvas').count()).toBe(0);
    expect(await page.locator('#report').isHidden()).toBe(true);
    expect(await page.getByRole('button', { name: 'Download CSV' }).isDisabled()).toBe(true);
    await page.screenshot({ path: join(docsScreenshotsDir(), 'insights-refused.png'), fullPage: true });
    await page.close();
  });

  test('the local chat page links to Insights (the demo admin opens it from there)', async () => {
    const page = await browser.newPage();
    await page.goto(`${running.baseUrl}/`);
    const link = page.getByRole('link', { name: 'Insights (admins)' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe('/app/insights/');
    await page.close();
  });
});

async function expectText(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector).getByText(text, { exact: false }).waitFor({ timeout: 5000 });
}
