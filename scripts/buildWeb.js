// Builds the browser pages under web/ into dist/web/ (run by `npm run build` after tsc).
// Every web/**/main.ts is an esbuild entry point (bundled to the same relative folder as main.js);
// .html, .css, .svg, .png, .ico and .json files next to them are copied unchanged.
// To add a page, add a folder under web/ with a main.ts and an index.html: nothing here needs to change.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const STATIC_EXTENSIONS = new Set(['.html', '.css', '.svg', '.png', '.ico', '.json']);
const SKIP_DIRS = new Set(['node_modules', 'vendor', 'dist']);
const SKIP_FILES = new Set(['tsconfig.json']);

/** @param {string} dir @param {string} rel @param {{ entries: string[], statics: string[] }} acc */
function walk(dir, rel, acc) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const relPath = rel ? path.join(rel, entry.name) : entry.name;
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(path.join(dir, entry.name), relPath, acc);
    } else if (entry.isFile()) {
      if (entry.name === 'main.ts') acc.entries.push(relPath);
      else if (STATIC_EXTENSIONS.has(path.extname(entry.name)) && !SKIP_FILES.has(entry.name)) acc.statics.push(relPath);
    }
  }
  return acc;
}

/**
 * Bundles and copies every page.
 * @param {{ srcDir?: string, outDir?: string, minify?: boolean, logLevel?: import('esbuild').LogLevel }} [options]
 * @returns {Promise<{ outDir: string, entries: string[], statics: string[] }>}
 */
async function buildWeb(options = {}) {
  const root = path.resolve(__dirname, '..');
  const srcDir = path.resolve(options.srcDir ?? path.join(root, 'web'));
  const outDir = path.resolve(options.outDir ?? path.join(root, 'dist', 'web'));
  const acc = walk(srcDir, '', { entries: [], statics: [] });
  fs.mkdirSync(outDir, { recursive: true });
  if (acc.entries.length > 0) {
    const esbuild = require('esbuild');
    await esbuild.build({
      entryPoints: acc.entries.map((e) => path.join(srcDir, e)),
      outbase: srcDir,
      outdir: outDir,
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
      sourcemap: true,
      minify: options.minify ?? false,
      tsconfig: path.join(srcDir, 'tsconfig.json'),
      logLevel: options.logLevel ?? 'warning',
    });
  }
  for (const file of acc.statics) {
    const target = path.join(outDir, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(srcDir, file), target);
  }
  return { outDir, entries: acc.entries, statics: acc.statics };
}

module.exports = { buildWeb };

if (require.main === module) {
  buildWeb().then(
    (r) => console.log(`web: ${r.entries.length} bundle(s), ${r.statics.length} static file(s) → ${path.relative(process.cwd(), r.outDir)}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
