// The file `npm start` runs (copied to dist/bundle/server.js by scripts/buildServer.js): it runs the server bundle
// (app.js next to it) with a V8 code cache (issue 15, start to ready ≤ 1.5 s; measured by `npm run bench`, findings in
// docs/benchmark.md). Compiling the 7 MB bundle and the functions its modules run at load is about 0.4 s of CPU per
// start; V8 can store that compiled code and reuse it when the source is byte-for-byte the same.
//  - The cache is app.js.v8cache next to the bundle. A start without it (or whose cache V8 rejects: other source,
//    other Node/V8 version or flags) runs as before and, once start-up is over (listening), writes it (temp file + rename),
//    so every start after the first one of a build uses it. Nothing else is written; when the folder is read-only the
//    write fails silently and every start compiles, as without this file.
//  - The cache holds code only, no data of the process (V8 code cache of the compiled functions).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');
const { setImmediate } = require('node:timers');

const file = path.join(__dirname, 'app.js');
const cacheFile = `${file}.v8cache`;
const source = fs.readFileSync(file, 'utf8');
let cached;
try {
  cached = fs.readFileSync(cacheFile);
} catch {
  cached = undefined;
}
// import() inside the bundle (optional code paths of bullmq and rate-limiter-flexible the bot does not use) resolves
// as it would in a file Node loaded itself, instead of failing for a lack of a vm import callback.
const dynamicImport = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
const script = new vm.Script(Module.wrap(source), {
  filename: file,
  ...(cached ? { cachedData: cached } : {}),
  ...(dynamicImport ? { importModuleDynamically: dynamicImport } : {}),
});
const usedCache = cached !== undefined && !script.cachedDataRejected;
const hadCache = cached !== undefined;
cached = undefined; // V8 has copied what it needs; the 7 MB buffer is not kept
if (!usedCache) {
  // bot/startupPhases.ts calls this once start-up is over: by then the start-up's functions are compiled.
  globalThis[Symbol.for('sspr.startup.done')] = () => {
    setImmediate(() => {
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        /* read-only folder or a full disk: the next start compiles again */
      }
    });
  };
}
globalThis[Symbol.for('sspr.startup.codeCache')] = usedCache ? 'used' : hadCache ? 'rejected' : 'none';
const bundle = new Module(file, module);
bundle.filename = file;
bundle.paths = Module._nodeModulePaths(__dirname);
script.runInThisContext()(bundle.exports, Module.createRequire(file), bundle, file, __dirname);
