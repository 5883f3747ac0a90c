// Bundles the compiled server (dist/bot/index.js, from tsc) into one file, dist/bundle/app.js, and writes next to it
// dist/bundle/server.js (scripts/serverLoader.js), which `npm start` runs: it runs app.js with a V8 code cache (run by
// `npm run build` after tsc and the web pages). Why (issue 15, item 5: start to ready ≤ 1.5 s, idle RSS
// ≤ 150 MB; measured by `npm run bench`, findings in docs/benchmark.md):
//  - one file instead of ≈ 1,900: no module resolution, stat and read per file;
//  - `botbuilder-dialogs` resolves to the five modules the dialogs use (Dialog, ComponentDialog, WaterfallDialog,
//    DialogSet, DialogContext) instead of its index, which also loads every prompt and with them the
//    @microsoft/recognizers-text suites (≈ 5.5 MB of JavaScript evaluated at start, ≈ 39 MB of heap) that this bot
//    never uses (it has no ChoicePrompt / NumberPrompt / DateTimePrompt / ConfirmPrompt);
//  - whitespace and syntax minified (identifiers kept, so stack traces keep their names) and non-ASCII characters
//    escaped, so V8 keeps the source as a one-byte string (one non-ASCII character makes the whole source two-byte).
//  - bullmq (with luxon, cron-parser, msgpackr: ≈ 1.9 MB in ≈ 250 files) is in the bundle too, so it is covered by
//    the code cache (its Lua scripts are JavaScript modules in dist/cjs/scripts; only its postgres and valkey-glide
//    backends read files or optional packages, and the bot uses neither).
// Left as ordinary node_modules requires: native addons (argon2, msgpackr-extract), packages that load their own
// files at run time (pino's transport workers), bullmq's optional backends, and what is loaded on first use only (the
// zxcvbn dictionaries, required lazily by adapters/password).
// The tsc output stays usable as before (`node dist/bot/index.js`; tests and the worker use it).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Buffer } = require('node:buffer');

const ROOT = path.resolve(__dirname, '..');
const EXTERNAL = [
  'argon2',
  '@valkey/valkey-glide',
  'pg',
  'pino',
  'thread-stream',
  'msgpackr-extract',
  'dtrace-provider',
  '@zxcvbn-ts/core',
  '@zxcvbn-ts/language-common',
  '@zxcvbn-ts/language-en',
];

/** The part of botbuilder-dialogs' index the project imports (checked by the build: anything else is an error). */
const DIALOGS_MODULES = ['dialog', 'componentDialog', 'waterfallDialog', 'dialogSet', 'dialogContext'];
/** The server's sources (what tsconfig.build.json compiles). */
const SOURCE_DIRS = ['bot', 'dialogs', 'cards', 'domain', 'adapters', 'locales'];

const dialogsCore = {
  name: 'botbuilder-dialogs-core',
  setup(build) {
    build.onResolve({ filter: /^botbuilder-dialogs$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}`) ? undefined : { path: 'botbuilder-dialogs', namespace: 'dialogs-core' },
    );
    build.onLoad({ filter: /.*/, namespace: 'dialogs-core' }, () => ({
      resolveDir: ROOT,
      loader: 'js',
      contents: `module.exports = Object.assign({}, ${DIALOGS_MODULES.map((m) => `require('botbuilder-dialogs/lib/${m}')`).join(', ')});`,
    }));
  },
};

/** Every runtime name the project's sources import from botbuilder-dialogs must come from DIALOGS_MODULES. */
function checkDialogsImports() {
  const provided = new Set();
  for (const m of DIALOGS_MODULES) for (const k of Object.keys(require(path.join(ROOT, 'node_modules', 'botbuilder-dialogs', 'lib', m)))) provided.add(k);
  const missing = new Set();
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const src = fs.readFileSync(p, 'utf8');
        for (const m of src.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'botbuilder-dialogs'/g)) {
          if (m[1]) continue;
          for (const name of m[2].split(',').map((n) => n.trim()).filter(Boolean)) {
            if (name.startsWith('type ')) continue;
            const local = name.split(/\s+as\s+/)[0];
            if (!provided.has(local)) missing.add(local);
          }
        }
        if (/import\s+\*\s+as\s+\w+\s+from\s+'botbuilder-dialogs'|require\('botbuilder-dialogs'\)/.test(src)) missing.add(`* (${path.relative(ROOT, p)})`);
      }
    }
  };
  for (const d of SOURCE_DIRS) if (fs.existsSync(path.join(ROOT, d))) walk(path.join(ROOT, d));
  if (missing.size > 0)
    throw new Error(`scripts/buildServer.js: botbuilder-dialogs exports used but not in DIALOGS_MODULES: ${[...missing].join(', ')}`);
}

/** U+0080 and above as \uXXXX escapes (they occur only in string, template and regular-expression literals). */
function escapeNonAscii(code) {
  // eslint-disable-next-line no-control-regex
  return code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * @param {{ entry?: string, outFile?: string, logLevel?: import('esbuild').LogLevel }} [options] entry: dist/bot/index.js
 *   (tsc output) by default; bot/index.ts works too (esbuild compiles it; the bench does that when dist is stale).
 *   outFile: the file to run (the loader, dist/bundle/server.js by default); the bundle is app.js in its folder.
 * @returns {Promise<{ outFile: string, bundle: string, bytes: number }>}
 */
async function buildServer(options = {}) {
  const entry = path.resolve(options.entry ?? path.join(ROOT, 'dist', 'bot', 'index.js'));
  const loaderFile = path.resolve(options.outFile ?? path.join(ROOT, 'dist', 'bundle', 'server.js'));
  const outFile = path.join(path.dirname(loaderFile), 'app.js');
  checkDialogsImports();
  const esbuild = require('esbuild');
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: EXTERNAL,
    plugins: [dialogsCore],
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
    legalComments: 'none',
    sourcemap: false,
    write: false,
    logLevel: options.logLevel ?? 'warning',
  });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  let code = '';
  for (const file of result.outputFiles) {
    const text = file.path === outFile ? (code = escapeNonAscii(file.text)) : file.text;
    fs.writeFileSync(file.path, text);
  }
  // A cache of the previous bundle would be rejected by V8 anyway (other source); removed so it is not read at all.
  fs.rmSync(`${outFile}.v8cache`, { force: true });
  fs.copyFileSync(path.join(__dirname, 'serverLoader.js'), loaderFile);
  return { outFile: loaderFile, bundle: outFile, bytes: Buffer.byteLength(code) };
}

module.exports = { buildServer, EXTERNAL, DIALOGS_MODULES };

if (require.main === module) {
  buildServer().then(
    (r) => console.log(`server: ${path.relative(process.cwd(), r.outFile)} → ${path.relative(process.cwd(), r.bundle)} (${(r.bytes / 1e6).toFixed(1)} MB)`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
