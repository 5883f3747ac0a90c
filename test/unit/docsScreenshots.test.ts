/**
 * The committed screenshots (docs/screenshots/*.png, linked from the README) change only when someone asks for them
 * with `npm run screenshots`; an ordinary test run writes its copies to test-artifacts/ (gitignored), so `npm test`
 * leaves the working tree clean.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ARTIFACTS_DIR, DOCS_SCREENSHOTS_DIR, docsScreenshotsDir } from '../support/browser';

const root = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|js)$/.test(name) ? [path] : [];
  });
}

describe('docs screenshots are refreshed on request only', () => {
  it('a test run puts them under test-artifacts/, npm run screenshots under docs/screenshots/', () => {
    expect(docsScreenshotsDir({})).toBe(join(ARTIFACTS_DIR, 'docs-screenshots'));
    expect(docsScreenshotsDir({ SSPR_REFRESH_DOCS_SCREENSHOTS: '1' })).toBe(DOCS_SCREENSHOTS_DIR);
    expect(relative(root, DOCS_SCREENSHOTS_DIR)).toBe(join('docs', 'screenshots'));
  });

  it('npm run screenshots asks for them, and runs every test that takes one', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const script = pkg.scripts.screenshots ?? '';
    expect(script).toContain('SSPR_REFRESH_DOCS_SCREENSHOTS=1');
    const takers = sources(join(root, 'test'))
      .filter((f) => f !== __filename && !f.endsWith(join('support', 'browser.ts')) && /docsScreenshotsDir\(|finalScreenshot\(\)/.test(readFileSync(f, 'utf8')))
      .filter((f) => f.endsWith('.test.ts') || f.endsWith('Suite.ts'));
    expect(takers.length).toBeGreaterThan(0);
    for (const f of takers) {
      const tests = f.endsWith('Suite.ts') ? ['journeysWide.browser.test.ts', 'journeysNarrow.browser.test.ts'] : [relative(root, f)];
      for (const t of tests) expect(script).toContain(t);
    }
  });

  it('no test writes into docs/screenshots/ by its own path', () => {
    const offenders = sources(join(root, 'test')).filter((f) => {
      if (f.endsWith(join('support', 'browser.ts')) || f === __filename) return false;
      const text = readFileSync(f, 'utf8');
      return /['"]docs['"]\s*,\s*['"]screenshots['"]|['"`][^'"`]*docs\/screenshots/.test(text.replace(/^\s*(\*|\/\/).*$/gm, ''));
    });
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });
});
