/**
 * `npm run manifest [-- --config <file>] [--out <file>] [--production]`
 *
 * Builds the Teams app package (dist/appPackage.zip) from a manifest configuration (default
 * manifest/config.example.json), validates it offline against the official schema and checks the icons. Production
 * mode (`--production` or SSPR_MODE=production) requires every URL to be https. On any problem it prints each one
 * (file, field, what is wrong) and exits with status 1.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_CONFIG_FILE,
  DEFAULT_OUT_FILE,
  ENV_OVERRIDES,
  MANIFEST_VERSION,
  applyEnvOverrides,
  buildPackage,
  formatProblem,
  type PackageMode,
} from './lib/appPackage';

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        out: { type: 'string', short: 'o' },
        production: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(
      'Usage: npm run manifest -- [--config <file>] [--out <file>] [--production]\n' +
        `Environment overrides: ${Object.entries(ENV_OVERRIDES)
          .map(([k, v]) => `${k} → ${v}`)
          .join(', ')}; SSPR_MODE=production implies --production.\n`,
    );
    return 0;
  }
  const mode: PackageMode = args.production || env.SSPR_MODE === 'production' ? 'production' : 'development';
  const configFile = resolve(args.config ?? DEFAULT_CONFIG_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(configFile, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? 'not valid JSON';
    process.stderr.write(`config: cannot read ${configFile} (${why})\n`);
    return 1;
  }
  const result = await buildPackage({
    config: applyEnvOverrides(raw, env),
    mode,
    outFile: resolve(args.out ?? DEFAULT_OUT_FILE),
  });
  if (!result.ok) {
    process.stderr.write(`App package refused (${mode} mode, config ${configFile}):\n`);
    for (const p of result.problems) process.stderr.write(`  - ${formatProblem(p)}\n`);
    return 1;
  }
  process.stdout.write(
    `Wrote ${result.outFile} (manifest v${MANIFEST_VERSION}, app version ${JSON.stringify(result.manifest.version)}, ${mode} mode): ${result.files.join(', ')}\n`,
  );
  return 0;
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`manifest: unexpected failure: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
